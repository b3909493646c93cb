"""docs/cli.md is generated from the code (typer's own docs generator), so it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def generate(target: Path) -> str:
    subprocess.run(
        [sys.executable, "-m", "typer", "kaohe.cli", "utils", "docs", "--name", "kaohe",
         "--output", str(target)],
        check=True,
        capture_output=True,
        env={"KAOHE_LANG": "zh", "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
    )  # fmt: skip
    return target.read_text(encoding="utf-8")


def test_cli_reference_matches_the_code(tmp_path):
    expected = generate(tmp_path / "cli.md")
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == expected, "docs/cli.md is out of date: run `make docs`"
