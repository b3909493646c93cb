"""Fixtures for the scheme-version tests (local schemes, diffs, comparisons); helpers in
``tests.support.scheme_versions``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Messages in English, so assertions can read them."""
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables printed wide enough that a cell's text is not wrapped across lines."""
    from kaohe.cli.app import console

    monkeypatch.setattr(console, "width", 240)
