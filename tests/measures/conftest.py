"""Fixtures for the measure-engine tests (helpers in ``tests.support.measures``)."""

from __future__ import annotations

import pytest
from tests.support.measures import write_case


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_case(tmp_path_factory.mktemp("engines"))


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
