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
    """Messages in English so assertions read plainly (Chinese is tested where it matters).

    A language chosen with ``--lang`` by an earlier command must not leak into the next test.
    """
    from kaohe import i18n

    monkeypatch.setenv("KAOHE_LANG", "en")
    chosen = getattr(i18n, "_current", None)
    if hasattr(chosen, "set"):  # the choice is a context variable
        token = chosen.set(None)
        yield
        chosen.reset(token)
    else:
        monkeypatch.setattr(i18n, "_current", None)
        yield
