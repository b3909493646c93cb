"""Fixtures for the report tests: small real runs (with sensitivity and a previous year).

The scheme and data helpers are shared with the sensitivity tests (``tests.support.sensitivity``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.sensitivity import assess_case, run_cli

PROVINCES = [
    # code, name, output, quality, wrong, checked
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 5, 50),
]
LAST_YEAR = [
    ("110000", "北京市", 90.0, 95.0, 0, 100),
    ("120000", "天津市", 80.0, 75.0, 0, 80),
    ("130000", "河北省", 50.0, 35.0, 3, 50),
]


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Messages in English so assertions read plainly (Chinese is tested where it matters); the
    root conftest already resets a language chosen by an earlier command."""
    monkeypatch.setenv("KAOHE_LANG", "en")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """(this year's run with a sensitivity analysis, last year's run)."""
    root = tmp_path_factory.mktemp("report")
    previous = assess_case(root / "2019", LAST_YEAR)
    run = assess_case(root / "2020", PROVINCES)
    code, output = run_cli("sensitivity", str(run), "--draws", "400", "--seed", "3")
    assert code == 0, output
    return run, previous
