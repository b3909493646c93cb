"""A small national demo data set with the sector sources, built once for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.demo.generate import generate_demo
from kaohe.demo_sectors import write_sector_demo

SEED = 7


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="session")
def sector_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sectors") / "data"
    generate_demo(data, SEED, persons=8000)
    write_sector_demo(data, SEED)
    return data
