"""Fixtures for the monitoring tests: small data directories written by hand."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
