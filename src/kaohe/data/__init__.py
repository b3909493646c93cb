"""Data: declared source schemas, validated imports, immutable snapshots, and the sources a run reads."""
