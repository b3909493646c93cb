"""Helpers: write YAML files and run the real ``kaohe`` command line in-process."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from kaohe.cli import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "local-scheme" / "county-effectiveness.yaml"
BUNDLED = REPO / "src" / "kaohe" / "schemes"


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def kaohe(*args: str):
    """Run ``kaohe ARGS`` in English; returns the click result (exit_code, output)."""
    return CliRunner().invoke(app, ["--lang", "en", *args])


def line_of_text(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
