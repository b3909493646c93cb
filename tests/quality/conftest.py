"""Fixtures for the quality tests; the data helpers are shared with tests/verify."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "verify"))


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
