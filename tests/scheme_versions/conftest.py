"""Fixtures for the scheme-version tests (local schemes, diffs, comparisons).

Test modules are imported by path (``--import-mode=importlib``), so this folder is put on
``sys.path`` for them to ``import versions_support``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Messages in English, so assertions can read them."""
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables printed wide enough that a cell's text is not wrapped across lines."""
    from kaohe.cli.app import console

    monkeypatch.setattr(console, "width", 240)
