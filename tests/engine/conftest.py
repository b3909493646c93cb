"""Fixtures for the engine tests; the helpers themselves live in ``tests.support.engine``."""

from __future__ import annotations

import pytest
from tests.support.cli import Kaohe


@pytest.fixture
def kaohe() -> Kaohe:
    """The real ``kaohe`` command line, in-process; messages in English unless ``lang`` is given."""
    return Kaohe()


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English, so assertions read plainly; Chinese (the default) is tested apart."""
    monkeypatch.setenv("KAOHE_LANG", "en")
