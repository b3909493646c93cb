"""Fixtures for the outcomes tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    from kaohe.cli.app import console

    monkeypatch.setattr(console, "width", 240)
