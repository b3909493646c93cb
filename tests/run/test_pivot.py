"""Pivot tables (``kaohe pivot``, ``run.pivot``): indicators × units × years, filters, totals
recomputed from their parts, and the xlsx, csv and json exports.

Two worlds, every number computed by hand:
- ``tests.support.history``'s three periods (2019 and 2020 by one scheme, 2021 by its
  successor; counties A, B, C, D from 2020): years, grades, filters and the score's median. Its
  indicators read ``max(x)`` measures, which do not add up: their totals stay empty.
- a ratio world (below): the wrong-exit rate Σ wrong_exit / Σ exited over counties with a region.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import openpyxl
import pytest
from tests.support.cli import Kaohe
from tests.support.engine import facts_scheme, write_facts_case
from tests.support.history import assess_periods

from kaohe.errors import UsageError
from kaohe.i18n import use_language
from kaohe.run import assess
from kaohe.run.history import find_runs
from kaohe.run.pivot import PivotFilter, from_opened, pivot
from kaohe.run.pivot_export import pivot_csv, pivot_xlsx

# The ratio world: x = wrong exits, y = exited households, z = a peak (max: does not add up).
#   A: 1 / 10 = 10 %   B: 3 / 20 = 15 %   C: 0 / 70 = 0 %   D: no x and y (withheld)
# The total over A, B, C is Σx / Σy = (1 + 3 + 0) / (10 + 20 + 70) = 4 / 100 = 0.04 — not the
# mean of the three rates (0.10 + 0.15 + 0) / 3 = 0.083333.
# East (A, B): (1 + 3) / (10 + 20) = 4 / 30 = 0.133333.
RATIO_FACTS = {
    "A": {"x": 1, "y": 10, "z": 7},
    "B": {"x": 3, "y": 20, "z": 9},
    "C": {"x": 0, "y": 70, "z": 4},
    "D": {"z": 5},
}
REGIONS = {
    "A": {"region": "东部"},
    "B": {"region": "东部"},
    "C": {"region": "西部"},
    "D": {"region": "西部"},
}
RATIO_SCHEME = facts_scheme(
    indicators={
        "wrong_exit_rate": {
            "label": "错退率",
            "label_en": "Wrong-exit rate",
            "expr": "wrong_exit / nullif(exited, 0)",
            "unit_of_measure": "%",
            "score": {"method": "goalposts", "min": 0, "max": 1},
        },
        "peak": {
            "label": "峰值",
            "expr": "z_max",
            "score": {"method": "goalposts", "min": 0, "max": 10},
        },
    },
    unit_attributes={"region": {"type": "text", "label": "区域"}},
    measures={
        "wrong_exit": {"source": "facts", "expr": "sum(x)", "label": "错退户数"},
        "exited": {"source": "facts", "expr": "sum(y)", "label": "退出户数"},
        "z_max": {"source": "facts", "expr": "max(z)", "label": "最大值"},
    },
)
RATIO_SCHEME["id"] = "ratio-test"


@pytest.fixture(scope="module")
def history_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pivot-history")
    assess_periods(root)
    return root / "runs"


@pytest.fixture(scope="module")
def ratio_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pivot-ratio")
    case = write_facts_case(root / "case", RATIO_SCHEME, RATIO_FACTS, REGIONS)
    assess(str(case.scheme), case.data, root / "runs" / "2020", period="2020")
    return root / "runs"


def _pivot(folder, **chosen):
    return pivot([from_opened(r) for r in find_runs(folder)], PivotFilter(**chosen))


def test_a_ratio_total_is_the_sum_of_numerators_over_the_sum_of_denominators(ratio_runs):
    table = _pivot(ratio_runs)
    rows = {row.unit: row for row in table.rows}
    assert rows["A"].periods["2020"].values["wrong_exit_rate"] == pytest.approx(0.1)
    assert rows["B"].periods["2020"].values["wrong_exit_rate"] == pytest.approx(0.15)
    assert rows["D"].periods["2020"].status == "withheld"
    total = table.totals["2020"].indicators["wrong_exit_rate"]
    # (1 + 3 + 0) / (10 + 20 + 70) = 0.04, never the mean of the rates (0.083333)
    assert (total.value, total.method) == (pytest.approx(0.04), "recomputed")
    assert total.measures == {"exited": 100.0, "wrong_exit": 4.0}
    assert (total.count, total.units, total.left_out) == (3, 4, ["D"])  # D has no x and y
    assert "D" in total.reason
    # max(z) does not add up: left empty, with the reason naming the measure by its label
    peak = table.totals["2020"].indicators["peak"]
    assert (peak.value, peak.method) == (None, "none")
    assert "最大值" in peak.reason


def test_filters_recompute_the_total_over_the_units_shown(ratio_runs):
    east = _pivot(ratio_runs, peer_groups=("东部",))
    assert [row.unit for row in east.rows] == ["A", "B"]
    # (1 + 3) / (10 + 20) = 0.133333
    total = east.totals["2020"].indicators["wrong_exit_rate"]
    assert total.value == pytest.approx(4 / 30, abs=1e-6)
    graded = _pivot(ratio_runs, statuses=("graded",))
    assert [row.unit for row in graded.rows] == ["A", "B", "C"]
    assert graded.totals["2020"].indicators["wrong_exit_rate"].left_out == []
    withheld = _pivot(ratio_runs, statuses=("withheld",))
    assert [row.unit for row in withheld.rows] == ["D"]
    assert withheld.totals["2020"].indicators["wrong_exit_rate"].value is None


def test_units_of_several_levels_are_never_added_up(ratio_runs):
    runs = [from_opened(r) for r in find_runs(ratio_runs)]
    mixed = dataclasses.replace(runs[0], levels={**runs[0].levels, "A": "province"})
    total = pivot([mixed]).totals["2020"].indicators["wrong_exit_rate"]
    assert total.value is None and ("层级" in total.reason or "level" in total.reason)
    only = pivot([mixed], PivotFilter(levels=("county",)))
    assert [row.unit for row in only.rows] == ["B", "C", "D"]
    # (3 + 0) / (20 + 70) = 0.033333
    assert only.totals["2020"].indicators["wrong_exit_rate"].value == pytest.approx(3 / 90, 1e-5)


def test_years_grades_and_the_median_score(history_runs):
    table = _pivot(history_runs)
    assert [p.period for p in table.periods] == ["2019", "2020", "2021"]
    assert [p.scheme_id for p in table.periods] == ["tiny-2016", "tiny-2016", "tiny-2021"]
    assert [f.id for f in table.figures] == ["a", "b"]
    rows = {row.unit: row for row in table.rows}
    assert sorted(rows["D"].periods) == ["2020", "2021"]  # D is assessed from 2020
    # C in 2019: 0.6·80 + 0.4·50 = 68, 中
    c2019 = rows["C"].periods["2019"]
    assert (c2019.score, c2019.grade, c2019.values) == (68.0, "中", {"a": 80.0, "b": 50.0})
    totals = table.totals
    # medians: 2019 of 100, 50, 68 → 68; 2020 of 80, 70, 96, 40 → (70 + 80) / 2 = 75
    assert (totals["2019"].score.value, totals["2019"].score.method) == (68.0, "median")
    assert totals["2020"].score.value == 75.0
    assert totals["2020"].grades == [("好", 1), ("中", 2), ("差", 1)]
    # x is a max(x) measure: the indicator's total is left empty, never averaged
    assert totals["2020"].indicators["a"].value is None
    assert totals["2020"].indicators["a"].reason


def test_filters_select_unit_years(history_runs):
    poor = _pivot(history_runs, grades=("差",))
    # 差: B in 2019 (50), D in 2020 (40) and 2021 (30)
    assert {row.unit: sorted(row.periods) for row in poor.rows} == {
        "B": ["2019"],
        "D": ["2020", "2021"],
    }
    assert poor.totals["2021"].score.value == 30.0
    some = _pivot(history_runs, periods=("2020",), units=("A", "C"), indicators=("b",))
    assert [p.period for p in some.periods] == ["2020"]
    assert [f.id for f in some.figures] == ["b"]
    assert {row.unit: row.periods["2020"].values for row in some.rows} == {
        "A": {"b": 80.0},
        "C": {"b": 90.0},
    }
    assert some.totals["2020"].score.value == 88.0  # median of 80 and 96


def test_unknown_filter_values_are_refused_by_name(history_runs):
    with pytest.raises(UsageError, match="--grade"):
        _pivot(history_runs, grades=("优",))
    with pytest.raises(UsageError, match="--indicator"):
        _pivot(history_runs, indicators=("nope",))
    with pytest.raises(UsageError, match="--period"):
        _pivot(history_runs, periods=("2030",))


def test_two_schemes_in_one_period_need_a_choice(history_runs, ratio_runs, tmp_path):
    runs = [from_opened(r) for r in [*find_runs(history_runs), *find_runs(ratio_runs)]]
    with pytest.raises(UsageError, match="--scheme"):
        pivot(runs)
    chosen = pivot(runs, PivotFilter(schemes=("ratio-test",)))
    assert [p.period for p in chosen.periods] == ["2020"]


def test_xlsx_holds_the_table_its_totals_and_their_explanation(ratio_runs, tmp_path):
    path = tmp_path / "pivot.xlsx"
    path.write_bytes(pivot_xlsx(_pivot(ratio_runs)))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["透视表", "合计说明", "说明"]
    sheet = book["透视表"]
    header = [c.value for c in sheet[1]]
    assert "错退率" in header and "wrong_exit_rate" not in header
    column = header.index("错退率") + 1
    rows = {sheet.cell(r, 1).value: r for r in range(3, sheet.max_row + 1)}
    assert sheet.cell(rows["A"], column).value == pytest.approx(0.1)
    assert sheet.cell(rows["A"], column).number_format == "0.00%"
    assert sheet.cell(rows["合计"], column).value == pytest.approx(0.04)
    explained = [[c.value for c in row] for row in book["合计说明"].iter_rows(min_row=2)]
    ratio = next(row for row in explained if row[1] == "错退率")
    assert ratio[2] == pytest.approx(0.04) and "exited = 100" in ratio[6]


def test_pivot_command(history_runs, ratio_runs, tmp_path):
    kaohe = Kaohe()
    run = kaohe("pivot", "--runs", ratio_runs, "--format", "csv")
    assert run.exit_code == 0, run.stderr
    rows = {row["unit"]: row for row in csv.DictReader(io.StringIO(run.stdout))}
    assert rows["B"]["wrong_exit_rate.2020"] == "0.15"
    assert rows["total"]["wrong_exit_rate.2020"] == "0.04"
    assert rows["total"]["peak.2020"] == ""  # max(z): left empty
    with use_language("en"):
        assert run.stdout == pivot_csv(_pivot(ratio_runs))
    run = kaohe("pivot", "--runs", history_runs, "--format", "json", "--grade", "好")
    assert run.exit_code == 0, run.stderr
    found = json.loads(run.stdout)
    assert {row["unit"]: sorted(row["periods"]) for row in found["rows"]} == {
        "A": ["2019", "2021"],
        "C": ["2020"],
    }
    table = kaohe("pivot", "--runs", history_runs, "--period", "2020", lang="zh")
    assert table.exit_code == 0 and "县C" in table.stdout and "中位数" in table.stdout
    out = tmp_path / "p.xlsx"
    run = kaohe("pivot", "--runs", ratio_runs, "--format", "xlsx", "--out", out)
    assert run.exit_code == 0 and openpyxl.load_workbook(out).sheetnames[0] == "Pivot"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--grade", "优"), "--grade: 优 is not in these runs"),
        (("--level", "town"), "--level: town"),
        (("--status", "lost"), "--status: lost"),
        (("--format", "pdf"), "--format takes table, csv, json or xlsx"),
        (("--format", "xlsx"), "--out FILE"),
    ],
)
def test_pivot_command_refuses_bad_input_naming_the_option(history_runs, args, message):
    run = Kaohe()("pivot", "--runs", history_runs, *args)
    assert run.exit_code == 2
    assert message in run.stderr


def test_pivot_command_needs_runs_or_a_store():
    run = Kaohe()("pivot")
    assert run.exit_code == 2 and "--runs" in run.stderr and "--store" in run.stderr


def test_the_workbook_keeps_a_hostile_name_as_text_and_names_levels(ratio_runs, tmp_path):
    """A unit's name that would run as a formula stays text (``data.cell_safety``), and the level
    column shows the level's name, not its code."""
    link = '=HYPERLINK("http://x","y")'
    table = _pivot(ratio_runs)
    table = dataclasses.replace(
        table, rows=[dataclasses.replace(table.rows[0], name=link), *table.rows[1:]]
    )
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(pivot_xlsx(table))
    sheet = openpyxl.load_workbook(path)["透视表"]
    cells = [cell for row in sheet for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert link in [c.value for c in cells]
    levels = {sheet.cell(r, 3).value for r in range(3, sheet.max_row + 1)} - {None}
    assert levels and not levels & {"province", "county", "nation"}, levels
