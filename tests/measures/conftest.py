"""Fixtures for the measure-engine tests (helpers in ``measures_support``, imported by path)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from measures_support import write_case  # noqa: E402


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_case(tmp_path_factory.mktemp("engines"))


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
