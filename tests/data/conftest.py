"""Fixtures for the data tests; the helpers live in ``data_support`` (imported by path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from data_support import Kaohe  # noqa: E402


@pytest.fixture
def kaohe() -> Kaohe:
    return Kaohe()


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
