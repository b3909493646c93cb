"""Fixtures for the verification tests; helpers live in ``verify_support`` (imported by path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English so assertions read plainly; Chinese output is tested apart."""
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small demo data set from the lead's generator (real files, shared by the CLI tests)."""
    from verify_support import shared_demo

    return shared_demo(tmp_path_factory)
