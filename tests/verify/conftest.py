"""Fixtures for the verification tests; helpers live in ``tests.support.verify``."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English so assertions read plainly; Chinese output is tested apart."""
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="session")
def demo_dir(demo_data) -> Path:
    """The session's demo data set (tests/conftest.py; read-only), shared by the CLI tests."""
    return demo_data
