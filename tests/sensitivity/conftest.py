"""Fixtures for the sensitivity tests; helpers live in ``tests.support.sensitivity``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English so assertions read plainly (Chinese is tested where it matters); the
    root conftest already resets a language chosen by an earlier command."""
    monkeypatch.setenv("KAOHE_LANG", "en")
