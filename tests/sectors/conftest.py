"""The session's demo data set with the sector sources added, built once for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.demo.sectors import write_sector_demo

SEED = 7  # the sector sources' own seed, on top of the shared demo data set


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="session")
def sector_data(copy_demo) -> Path:
    data = copy_demo("sectors")
    write_sector_demo(data, SEED)
    return data
