"""Fixtures for the sensitivity tests; helpers live in ``sensitivity_support``.

Test modules are imported by path (``--import-mode=importlib``), so this folder is put on
``sys.path`` for them to ``import sensitivity_support``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English so assertions read plainly (Chinese is tested where it matters); the
    root conftest already resets a language chosen by an earlier command."""
    monkeypatch.setenv("KAOHE_LANG", "en")
