"""Fixtures for the outcomes tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    from kaohe.cli.app import console

    monkeypatch.setattr(console, "width", 240)
