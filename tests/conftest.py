"""Fixtures for every test folder."""

from __future__ import annotations

import pytest

from kaohe import i18n


@pytest.fixture(autouse=True)
def fresh_language():
    """A language chosen by an earlier command (``kaohe --lang en``) must not leak into the next
    test: each test starts from the environment's choice (KAOHE_LANG, else Chinese)."""
    token = i18n._current.set(None)
    yield
    try:
        i18n._current.reset(token)
    except ValueError:  # the test ran its code in another context; nothing of ours to undo
        i18n._current.set(None)
