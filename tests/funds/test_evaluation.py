"""Year-end evaluation: scores from target achievement (hand-computed), verified scores prevailing
where checked, the spot-check coverage rule, and the sample the finance department draws."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.funds import VALUE_HEADER, library_with, write_csv

from kaohe.errors import DataError, UsageError
from kaohe.funds.evaluation import (
    VALUE_COLUMNS,
    evaluate,
    load_evaluation_rules,
    project_rows,
    read_values,
    score_project,
    unit_rows,
)
from kaohe.funds.library import Library
from kaohe.funds.spot_checks import draw_sample
from kaohe.funds.tables import read_table
from kaohe.funds.targets import Project, Target

RULES = load_evaluation_rules()


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


def values(tmp_path, name, rows, state):
    path = write_csv(tmp_path / name, VALUE_HEADER, rows)
    return read_values(read_table(path, VALUE_COLUMNS, list(VALUE_COLUMNS)), state, ("表", "table"))


# P1's targets (see tests.support.funds.targets): Q1 ≥ 100 亩 and C1 ≤ 1 万元/亩 (outputs, 50 points:
# 25 each), B1 ≥ 200 人 (benefit, 30), S1 ≥ 90 % (satisfaction, 10); budget execution 10.
SELF_P1 = [
    ["P1", "budget_executed", 90],  # 90/100 → 9
    ["P1", "Q1", 80],  # 0.8 → 20
    ["P1", "C1", 1.25],  # at most 1: 1/1.25 = 0.8 → 20
    ["P1", "B1", 250],  # above target, capped at 1 → 30
    ["P1", "S1", 85],  # 85/90 → 9.4444
]
SELF_SCORE_P1 = 9 + 20 + 20 + 30 + 10 * 85 / 90  # 88.4444
CHECK_P1 = [["P1", "budget_executed", 80], ["P1", "Q1", 60]]  # → 8 and 15
VERIFIED_P1 = 8 + 15 + 20 + 30 + 10 * 85 / 90  # 82.4444
SELF_P2 = [
    ["P2", item, v]
    for item, v in [("budget_executed", 100), ("Q1", 100), ("C1", 1), ("B1", 200), ("S1", 90)]
]


def test_self_and_verified_scores_and_their_difference(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    state = library.state()
    own = values(tmp_path, "self.csv", SELF_P1 + SELF_P2, state)
    checked = values(tmp_path, "checks.csv", CHECK_P1, state)
    result = evaluate(state, own, checked, RULES)
    rows = {r["project_id"]: r for r in project_rows(result)}
    p1, p2 = rows["P1"], rows["P2"]
    assert p1["self_score"] == pytest.approx(SELF_SCORE_P1, abs=1e-4)
    assert p1["verified_score"] == pytest.approx(VERIFIED_P1, abs=1e-4)
    assert p1["difference"] == pytest.approx(-6.0, abs=1e-4)
    assert p1["final_score"] == p1["verified_score"] and p1["checked"] is True
    assert p1["grade"] == "良"
    assert p1["budget_executed"] == 80.0
    assert p1["output_rate"] == pytest.approx((0.6 + 0.8) / 2)
    assert (p1["targets"], p1["targets_met"], p1["tasks_achieved"]) == (4, 1, False)
    assert (p2["final_score"], p2["grade"], p2["checked"], p2["verified_score"]) == (
        100.0,
        "优",
        False,
        None,
    )
    assert p2["tasks_achieved"] is True
    (county,) = unit_rows(result)
    assert county["final_score"] == pytest.approx((VERIFIED_P1 + 100) / 2, abs=1e-4)
    assert county["self_score"] == pytest.approx((SELF_SCORE_P1 + 100) / 2, abs=1e-4)
    assert (county["projects"], county["checked"], county["mean_difference"]) == (2, 1, -6.0)
    assert result.coverage["share"] == 0.5


def test_projects_are_counted_one_by_one_with_those_not_evaluated(tmp_path):
    library = library_with(tmp_path, "P1", "P2", "P3")
    state = library.state()
    own = values(tmp_path, "self.csv", SELF_P1 + SELF_P2, state)  # P3: no self-evaluation
    calls: list[tuple[int, int]] = []
    result = evaluate(state, own, {}, RULES, preliminary=True, progress=lambda *c: calls.append(c))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert result.not_evaluated == ["P3"]


def test_a_missing_value_scores_nothing_for_that_indicator(tmp_path):
    library = library_with(tmp_path, "P1")
    state = library.state()
    own = values(tmp_path, "self.csv", SELF_P1[:1], state)  # only the budget
    result = evaluate(state, own, {}, RULES, preliminary=True)
    (scored,) = result.projects
    assert scored.self_score.total == pytest.approx(9.0)
    assert scored.self_score.missing == ["Q1", "C1", "B1", "S1"]


def test_a_group_without_indicators_gives_its_points_to_the_others():
    project = Project(
        "X",
        "x",
        "110101",
        "基础设施",
        100.0,
        dt.date(2019, 1, 1),
        dt.date(2019, 12, 31),
        "o",
        (
            Target("Q1", "quantity", "q", 10.0, "个", "higher"),
            Target("B1", "social", "b", 10.0, "人", "higher"),
        ),
    )
    full = score_project(project, {"budget_executed": 100, "Q1": 10, "B1": 10}, RULES.model)
    assert full.total == pytest.approx(100.0)
    half = score_project(project, {"budget_executed": 100, "Q1": 5, "B1": 10}, RULES.model)
    # 90 nominal points present (10 + 50 + 30) scaled to 100: Q1 is worth 50 × 100/90.
    assert half.total == pytest.approx(100 - 25 * 100 / 90)


def test_spot_checks_below_ten_percent_are_refused(tmp_path):
    pids = [f"P{i:02d}" for i in range(11)]
    library = library_with(tmp_path, *pids)
    state = library.state()
    own = values(tmp_path, "self.csv", [[p, "budget_executed", 100] for p in pids], state)
    checked = values(tmp_path, "checks.csv", [["P00", "budget_executed", 100]], state)
    with pytest.raises(DataError, match=r"cover 1 of 11 projects \(9.1%\), below the required 10%"):
        evaluate(state, own, checked, RULES)
    assert evaluate(state, own, checked, RULES, preliminary=True).preliminary


def test_the_drawn_sample_must_be_checked_in_full(tmp_path):
    pids = [f"P{i:02d}" for i in range(20)]
    library = library_with(tmp_path, *pids)
    sample = draw_sample(library, 0.1, seed=2024)
    assert len(sample.projects) == 2
    state = library.state()
    own = values(tmp_path, "self.csv", [[p, "budget_executed", 100] for p in pids], state)
    one = sample.projects[0]
    other = next(p for p in pids if p not in sample.projects)
    checked = values(
        tmp_path,
        "checks.csv",
        [[one, "budget_executed", 90], [other, "budget_executed", 90]],
        state,
    )
    with pytest.raises(
        DataError, match=f"1 sampled projects have no spot-check result: {sample.projects[1]}"
    ):
        evaluate(state, own, checked, RULES)


def test_check_rows_for_unknown_projects_or_items_are_placed(tmp_path):
    library = library_with(tmp_path, "P1")
    with pytest.raises(DataError) as error:
        values(
            tmp_path,
            "checks.csv",
            [["P1", "Q9", 1], ["P5", "Q1", 1], ["P1", "Q1", "多"]],
            library.state(),
        )
    assert str(error.value).splitlines() == [
        "checks.csv:line 2, column item: project P1 has no item 'Q9'; use one of "
        "budget_executed, Q1, C1, B1, S1 (or an indicator's name)",
        "checks.csv:line 3, column project_id: project 'P5' of the table is not in the library",
        "checks.csv:line 4, column value: '多' is not a number",
    ]


def test_the_sample_covers_ten_percent_of_each_county_and_is_reproducible(tmp_path):
    big = [f"A{i:02d}" for i in range(25)]
    small = [f"B{i}" for i in range(3)]

    def build(root):
        library = library_with(root / "a", *big, unit="110101")
        from tests.support.funds import project, submission, targets

        from kaohe.funds.gate import check_submission, load_gate_rules, read_submission
        from kaohe.funds.library import admit

        files = submission(
            root / "b",
            [project(p, "110102") for p in small],
            [r for p in small for r in targets(p)],
        )
        admit(library, check_submission(*read_submission(*files), load_gate_rules().model))
        return library

    first = draw_sample(build(tmp_path / "one"), 0.1, seed=7)
    second = draw_sample(build(tmp_path / "two"), 0.1, seed=7)
    assert first.projects == second.projects
    in_big = [p for p in first.projects if p.startswith("A")]
    in_small = [p for p in first.projects if p.startswith("B")]
    assert len(in_big) >= 3 and len(in_small) >= 1  # ceil(10% of 25), ceil(10% of 3)
    assert first.population == 28


def test_a_sample_cannot_be_redrawn(tmp_path):
    library = library_with(tmp_path, "P1", "P2")
    draw_sample(library, 0.5, seed=1)
    with pytest.raises(UsageError, match="a sample cannot be redrawn"):
        draw_sample(library, 0.5, seed=2)
    with pytest.raises(UsageError, match=r"the rate must be in \(0, 1\]"):
        draw_sample(Library.open(tmp_path / "library"), 1.5, seed=1)


@settings(max_examples=60, deadline=None)
@given(
    executed=st.floats(min_value=0, max_value=300),
    q=st.floats(min_value=0, max_value=500),
    c=st.floats(min_value=0.01, max_value=10),
    more=st.floats(min_value=0, max_value=100),
)
def test_scores_stay_within_0_and_100_and_rise_with_achievement(executed, q, c, more):
    project = Project(
        "X",
        "x",
        "110101",
        "基础设施",
        100.0,
        dt.date(2019, 1, 1),
        dt.date(2019, 12, 31),
        "o",
        (
            Target("Q1", "quantity", "q", 100.0, "亩", "higher"),
            Target("C1", "cost", "c", 1.0, "万元/亩", "lower"),
            Target("B1", "social", "b", 200.0, "人", "higher"),
            Target("S1", "satisfaction", "s", 90.0, "%", "higher"),
        ),
    )
    base = {"budget_executed": executed, "Q1": q, "C1": c, "B1": 150, "S1": 80}
    score = score_project(project, base, RULES.model).total
    assert 0 <= score <= 100 + 1e-9
    better = score_project(project, {**base, "Q1": q + more, "C1": c / (1 + more)}, RULES.model)
    assert better.total >= score - 1e-9
