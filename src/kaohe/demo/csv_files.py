"""How the demo writes its CSV files: UTF-8 with Unix line ends, booleans as ``true``/``false``."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """Write ``header`` and ``rows`` to ``path`` (replacing it), creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def flag(value: object) -> str:
    """A boolean as the demo's files spell it."""
    return "true" if bool(value) else "false"
