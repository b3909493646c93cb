"""Fixtures for the engine tests; the helpers themselves live in ``engine_support``.

Test modules are imported by path (``--import-mode=importlib``), so this folder is put on
``sys.path`` for them to ``import engine_support``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engine_support import Kaohe  # noqa: E402


@pytest.fixture
def kaohe() -> Kaohe:
    """The real ``kaohe`` command line, in-process; messages in English unless ``lang`` is given."""
    return Kaohe()


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English, so assertions read plainly; Chinese (the default) is tested apart."""
    monkeypatch.setenv("KAOHE_LANG", "en")
