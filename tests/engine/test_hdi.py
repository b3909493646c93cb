"""The public conformance check: the UNDP Human Development Index, reproduced by a scheme.

``kaohe assess --scheme examples/hdi/scheme.yaml --data examples/hdi/data --period P --out OUT``
runs as a user runs it (the installed console script, in its own process, for 2021; the same
command line in-process for the earlier years). Its ``score`` must
match the published HDI (``published_hdi.value``, carried through the run untouched) to within
0.0005. Measured: 2021 191 of 191 countries; 2015 190 of 190 with data (San Marino has none);
2010 189 of 189 with data (Marshall Islands and San Marino have none).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.support.engine import HDI_DATA, HDI_SCHEME, kaohe_subprocess

TOLERANCE = 0.0005


def run_hdi(out: Path, period: str, kaohe=None) -> list[dict[str, str]]:
    """The console script in its own process, or (given ``kaohe``) the same app in-process."""
    args = ("assess", "--scheme", HDI_SCHEME, "--data", HDI_DATA, "--period", period, "--out", out)
    if kaohe is None:
        run = kaohe_subprocess(*args)
        assert run.returncode == 0, run.stderr
    else:
        run = kaohe(*args)
        assert run.exit_code == 0, run.stderr
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def matches(rows: list[dict[str, str]]) -> tuple[list[str], list[str], list[str]]:
    """(countries within tolerance, countries off, countries without data)."""
    good, off, without = [], [], []
    for row in rows:
        if not row["score"] or not row["published_hdi.value"]:
            without.append(row["unit"])
        elif abs(float(row["score"]) - float(row["published_hdi.value"])) <= TOLERANCE:
            good.append(row["unit"])
        else:
            off.append(row["unit"])
    return good, off, without


@pytest.fixture(scope="module")
def hdi_2021(tmp_path_factory) -> list[dict[str, str]]:
    return run_hdi(tmp_path_factory.mktemp("hdi") / "2021", "2021")


def test_hdi_2021_reproduces_the_published_index(hdi_2021):
    good, off, without = matches(hdi_2021)
    assert len(hdi_2021) == 191
    assert len(good) >= 189, f"off: {off}, without data: {without}"
    assert (len(good), off, without) == (191, [], [])  # what is measured today


def test_hdi_2021_grades_ranks_and_dimensions(hdi_2021):
    by_unit = {row["unit"]: row for row in hdi_2021}
    assert hdi_2021[0]["unit"] == "CHE" and hdi_2021[0]["rank"] == "1"
    assert by_unit["CHE"]["grade"] == "极高"
    assert by_unit["CHN"]["grade"] == "高"  # 0.768
    assert by_unit["IND"]["grade"] == "中等"  # 0.633
    assert by_unit["SSD"]["grade"] == "低"  # 0.385, last
    assert by_unit["SSD"]["rank"] == "191"
    # the scored indicators' points and the education dimension are reported
    assert {"health", "education", "expected_years", "mean_years", "income"} <= set(hdi_2021[0])
    ranks = [int(row["rank"]) for row in hdi_2021]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(("period", "with_data", "without"), [
    ("2015", 190, ["SMR"]),
    ("2010", 189, ["MHL", "SMR"]),
])  # fmt: skip
def test_hdi_earlier_years(period, with_data, without, tmp_path, kaohe):
    rows = run_hdi(tmp_path / period, period, kaohe)
    good, off, missing = matches(rows)
    assert len(rows) == 191
    assert sorted(missing) == without  # no data: no score, rather than a wrong one
    assert len(good) == with_data and off == []
    for row in rows:
        if row["unit"] in without:
            assert (row["score"], row["grade"]) == ("", "")
