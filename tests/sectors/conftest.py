"""A small national demo data set with the sector sources, built once for these tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kaohe.demo.generate import generate_demo
from kaohe.demo.sectors import write_sector_demo

SEED = 7


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="session")
def base_data(tmp_path_factory) -> Path:
    """The national demo data set alone (small), before any sector source is added."""
    base = tmp_path_factory.mktemp("sectors") / "base"
    generate_demo(base, SEED, persons=8000)
    return base


@pytest.fixture(scope="session")
def sector_data(base_data, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sectors") / "data"
    shutil.copytree(base_data, data)
    write_sector_demo(data, SEED)
    return data
