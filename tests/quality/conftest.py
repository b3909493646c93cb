"""Fixtures for the quality tests; the data helpers are shared with tests/verify
(``tests.support.verify``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
