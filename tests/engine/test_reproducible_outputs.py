"""Reproducible and readable outputs: results.xlsx is byte-identical across identical runs (its
sha256 in manifest.json reproduces), and rates declared in the scheme (``unit_of_measure: "%"``)
are ratios written with the Excel number format ``0.00%`` (1.5 % shows as 1.50%, not 0.02)."""

from __future__ import annotations

import hashlib
import json
import time
import zipfile

import openpyxl
import pytest
from tests.support.engine import facts_scheme, write_facts_case

from kaohe.formatting import XLSX_PERCENT

SCHEME = facts_scheme(
    indicators={
        "wrong_exit": {
            "label": "错退率",
            "expr": "x",
            "direction": "lower",
            "unit_of_measure": "%",
            "score": {"method": "table", "rows": [[None, 0.02, 1.0], [0.02, None, 0.0]]},
        },
        "income": {
            "label": "收入",
            "expr": "y",
            "unit_of_measure": "元",
            "score": {"method": "goalposts", "min": 0, "max": 10000},
        },
    },
)
FACTS = {"A": {"x": 0.015, "y": 8000}, "B": {"x": 0.003747, "y": 5000}, "C": {"x": 0.0, "y": 1}}


@pytest.fixture
def case(tmp_path):
    return write_facts_case(tmp_path / "case", SCHEME, FACTS)


def _assess(kaohe, case, out):
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", out)
    assert run.exit_code == 0, run.stderr
    return out


def _next_second() -> None:
    """Wait until the wall clock shows another second (document timestamps have seconds)."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


def test_results_xlsx_is_byte_identical_across_identical_runs(case, tmp_path, kaohe):
    first = _assess(kaohe, case, tmp_path / "first")
    _next_second()
    second = _assess(kaohe, case, tmp_path / "second")
    assert (first / "results.xlsx").read_bytes() == (second / "results.xlsx").read_bytes()
    manifests = [json.loads((o / "manifest.json").read_text("utf-8")) for o in (first, second)]
    assert manifests[0]["created"] != manifests[1]["created"]  # the runs really were apart …
    assert manifests[0]["outputs"] == manifests[1]["outputs"]  # … and every output hash agrees
    digest = hashlib.sha256((first / "results.xlsx").read_bytes()).hexdigest()
    assert manifests[0]["outputs"]["results.xlsx"] == digest


def test_results_xlsx_carries_no_clock_time(case, tmp_path, kaohe):
    out = _assess(kaohe, case, tmp_path / "out")
    with zipfile.ZipFile(out / "results.xlsx") as book:
        core = book.read("docProps/core.xml").decode("utf-8")
        stamps = {info.date_time for info in book.infolist()}
    year = time.strftime("%Y")
    assert f">{year}-" not in core, core  # created/modified: a fixed date, not today
    assert stamps == {(1980, 1, 1, 0, 0, 0)}  # the members' times too


def test_rates_are_ratios_with_a_percent_format_in_results_xlsx(case, tmp_path, kaohe):
    out = _assess(kaohe, case, tmp_path / "out")
    sheet = openpyxl.load_workbook(out / "results.xlsx")["考核结果"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    rate = rows["A"][header.index("错退率（值）")]
    assert rate.value == pytest.approx(0.015)  # the ratio itself: Excel computes with it
    assert rate.number_format == XLSX_PERCENT == "0.00%"  # shown as 1.50%
    income = rows["A"][header.index("收入（值）")]
    assert income.value == 8000 and income.number_format == "0.00"  # not a rate
    assert rows["A"][header.index("错退率")].number_format == "0.00"  # points are not a rate
