"""Fixtures for the data tests; the helpers live in ``tests.support.data``."""

from __future__ import annotations

import pytest
from tests.support.cli import Kaohe


@pytest.fixture
def kaohe() -> Kaohe:
    return Kaohe()


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
