"""Execution monitoring: flags for budget lag and target deviation, hand-computed, tracked until
answered, and reports that are recorded all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.support.funds import REPORT_HEADER, library_with, write_csv

from kaohe.errors import DataError, UsageError
from kaohe.funds.monitoring import (
    REPORT_COLUMNS,
    answer,
    load_monitoring_rules,
    monitor,
)
from kaohe.funds.tables import read_table

# P1 and P2: budget 100, 2019-01-01 → 2019-12-31 (364 days). On 2019-07-01, 181 days have
# passed: time progress 181/364 = 0.497253.
TIME = 181 / 364


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


def report(tmp_path, rows, name="report.csv"):
    path = write_csv(tmp_path / name, REPORT_HEADER, rows)
    return read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS))


def run(library, table, **overrides):
    return monitor(library, table, load_monitoring_rules("monitoring", overrides).model)


JULY = [
    # P1: budget 30% against time 49.7% → lag 19.7 points > 15: flag.
    ["P1", "2019-07-01", "budget_executed", 30],
    # P1: 25 of 100 亩 against 49.7 expected → 24.7 points behind > 20: flag.
    ["P1", "2019-07-01", "Q1", 25],
    # P1: unit cost 1.08 against at most 1 → 8% over ≤ 10%: no flag.
    ["P1", "2019-07-01", "C1", 1.08],
    # P2: budget 35% → lag 14.7 points: no flag; 30 亩 → 19.7 points behind: no flag.
    ["P2", "2019-07-01", "budget_executed", 35],
    ["P2", "2019-07-01", "新建基地", 30],  # by the indicator's name
    # P2: unit cost 1.2 → 20% over > 10%: flag; satisfaction 80 of 90 → 11.1% short > 5%: flag.
    ["P2", "2019-07-01", "C1", 1.2],
    ["P2", "2019-07-01", "S1", 80],
]


def test_deviations_beyond_the_thresholds_raise_flags(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    result = run(library, report(tmp_path, JULY))
    assert sorted(result.recorded) == [
        ("P1", dt.date(2019, 7, 1)),
        ("P2", dt.date(2019, 7, 1)),
    ]
    flags = {f.flag_id: f for f in result.raised}
    assert sorted(flags) == [
        "P1/2019-07-01/budget_lag",
        "P1/2019-07-01/output_lag/Q1",
        "P2/2019-07-01/cost_overrun/C1",
        "P2/2019-07-01/quality_shortfall/S1",
    ]
    lag = flags["P1/2019-07-01/budget_lag"]
    assert lag.expected == pytest.approx(TIME, abs=1e-6)
    assert lag.actual == pytest.approx(0.30)
    assert lag.deviation == pytest.approx(TIME - 0.30, abs=1e-6)
    assert lag.status == "open" and lag.unit == "110101"
    output = flags["P1/2019-07-01/output_lag/Q1"]
    assert output.expected == pytest.approx(100 * TIME, abs=1e-4)
    assert output.deviation == pytest.approx(TIME - 0.25, abs=1e-6)
    assert flags["P2/2019-07-01/cost_overrun/C1"].deviation == pytest.approx(0.2)
    assert flags["P2/2019-07-01/quality_shortfall/S1"].deviation == pytest.approx(
        1 - 80 / 90, abs=1e-6
    )
    assert lag.message["en"].startswith(
        "budget execution lags time progress: time 50%, budget executed 30% (30 of 100 10k "
        "yuan), 20% behind, beyond 15%"
    )
    assert lag.message["zh"].startswith("预算执行进度滞后于时间进度：时间进度 50%，预算执行 30%")


def test_thresholds_are_parameters(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    result = run(library, report(tmp_path, JULY), budget_lag=0.25, path_lag=0.3)
    assert sorted(f.rule for f in result.raised) == ["cost_overrun", "quality_shortfall"]


def test_the_same_report_twice_records_nothing_new(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    run(library, report(tmp_path, JULY))
    events = len(library.events())
    again = run(library, report(tmp_path, JULY))
    assert (again.recorded, again.revised, again.raised) == ([], [], [])
    assert len(again.unchanged) == 2
    assert len(library.events()) == events


def test_a_corrected_report_supersedes_but_keeps_the_old_one_and_the_flag(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    run(library, report(tmp_path, JULY))
    corrected = run(library, report(tmp_path, [["P1", "2019-07-01", "budget_executed", 60]]))
    assert [pid for pid, _ in corrected.revised] == ["P1"] and corrected.raised == []
    state = library.state()
    july = state.latest_report("P1")
    assert july.values == {"budget_executed": 60.0} and july.revisions == 1
    kept = [e for e in library.events() if e.kind == "progress_reported"]
    assert [e.data["values"] for e in kept if e.data["project_id"] == "P1"] == [
        {"budget_executed": 30.0, "Q1": 25.0, "C1": 1.08},
        {"budget_executed": 60.0},
    ]
    assert state.flags["P1/2019-07-01/budget_lag"].status == "open"


def test_flags_stay_open_until_answered_once(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    run(library, report(tmp_path, JULY))
    (answered,) = answer(
        library, [("P1/2019-07-01/budget_lag", "县农业农村局", "雨季停工，已调整计划，9月底前追上")]
    )
    assert answered.status == "answered" and answered.answer["by"] == "县农业农村局"
    state = library.state()
    assert sorted(f.flag_id for f in state.flags.values() if f.status == "open") == [
        "P1/2019-07-01/output_lag/Q1",
        "P2/2019-07-01/cost_overrun/C1",
        "P2/2019-07-01/quality_shortfall/S1",
    ]
    with pytest.raises(UsageError, match="was answered on"):
        answer(library, [("P1/2019-07-01/budget_lag", "x", "y")])
    with pytest.raises(UsageError, match=r"no flag P1/2019-07-01/budget_la .*did you mean"):
        answer(library, [("P1/2019-07-01/budget_la", "x", "y")])
    with pytest.raises(UsageError, match="needs who answers"):
        answer(library, [("P1/2019-07-01/output_lag/Q1", " ", "y")])


def test_a_later_report_raises_new_flags_for_the_same_deviation(tmp_path):
    library = library_with(tmp_path, "P1")
    run(library, report(tmp_path, JULY[:1]))
    october = run(library, report(tmp_path, [["P1", "2019-10-01", "budget_executed", 40]]))
    assert [f.flag_id for f in october.raised] == ["P1/2019-10-01/budget_lag"]
    assert len(library.state().flags) == 2


def test_a_bad_report_is_rejected_whole_with_every_problem_placed(tmp_path):
    library = library_with(tmp_path, "P1")
    table = report(
        tmp_path,
        [
            ["P1", "2019-07-01", "budget_executed", 30],
            ["P9", "2019-07-01", "budget_executed", 30],
            ["P1", "七月", "Q1", 10],
            ["P1", "2019-07-01", "X1", 10],
            ["P1", "2019-07-01", "Q1", "十"],
            ["P1", "2019-07-01", "budget_executed", 31],
        ],
    )
    with pytest.raises(DataError) as error:
        run(library, table)
    assert str(error.value).splitlines() == [
        "report.csv:line 3, column project_id: project 'P9' is not in the library (only admitted "
        "projects report progress)",
        "report.csv:line 4, column as_of: '七月' is not a date (YYYY-MM-DD)",
        "report.csv:line 5, column item: project P1 has no item 'X1'; use one of "
        "budget_executed, Q1, C1, B1, S1 (or an indicator's name)",
        "report.csv:line 6, column value: '十' is not a number",
        "report.csv:line 7: project P1, 2019-07-01, budget_executed appears again (first at "
        "report.csv:line 2)",
    ]
    assert library.state().reports == {}
