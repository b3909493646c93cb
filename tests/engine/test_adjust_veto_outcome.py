"""Bonus and deduction items, one-vote vetoes and outcomes (adjust.py, veto.py, grade.py,
outcomes.py), through real runs with hand-computed expectations."""

from __future__ import annotations

import csv

from tests.support.engine import facts_scheme, per_unit, run_facts, write_facts_case

# x is the base score in points (0 to 100): one indicator of 100 points with goalposts 0–100.
BASE = {"base": {"expr": "x", "score": {"method": "goalposts", "min": 0, "max": 100}}}
BANDS = {"bands": [[90, "好"], [80, "较好"], [70, "一般"], [None, "较差"]]}


# --------------------------------------------------------------------------- adjustments


ADJUSTMENTS = {
    "bonus_cap": 4,
    "deduction_cap": 3,
    "items": [
        {"id": "innovation", "kind": "bonus", "points": 3, "when": "y >= 1"},
        {"id": "per_case", "kind": "bonus", "points": "y * 0.5", "cap": 2},
        {"id": "misuse", "kind": "deduction", "points": "z", "cap": 2.5},
        {"id": "late", "kind": "deduction", "points": 1, "when": "z > 1"},
    ],
}


def test_bonus_and_deduction_items_with_item_and_total_caps(tmp_path):
    result = run_facts(
        tmp_path,
        {
            "A": {"x": 80, "y": 0, "z": 0},  # nothing
            "B": {"x": 80, "y": 2, "z": 0},  # 3 + min(1, 2) = 4
            "C": {"x": 80, "y": 10, "z": 0},  # 3 + min(5, 2) = 5 → total cap 4
            "D": {"x": 80, "y": 0, "z": 1},  # deduction min(1, 2.5) = 1; z > 1 false
            "E": {"x": 80, "y": 0, "z": 9},  # min(9, 2.5) + 1 = 3.5 → total cap 3
            "F": {"x": 80, "y": -4, "z": 0},  # a negative amount is no bonus (and no deduction)
        },
        indicators=BASE,
        adjustments=ADJUSTMENTS,
    )
    assert per_unit(result, "bonus") == {"A": 0, "B": 4, "C": 4, "D": 0, "E": 0, "F": 0}
    assert per_unit(result, "deduction") == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 3, "F": 0}
    assert per_unit(result, "score") == {"A": 80, "B": 84, "C": 84, "D": 79, "E": 77, "F": 80}
    # each item's own amount (before the total caps), signed by its kind
    items = result.state.adjustments
    assert per_unit(result, items["per_case"])["C"] == 2.0
    assert per_unit(result, items["misuse"])["E"] == -2.5
    assert per_unit(result, items["late"])["E"] == -1.0


def test_adjustments_are_in_the_results_and_the_explanation(tmp_path):
    case = write_facts_case(
        tmp_path,
        facts_scheme(indicators=BASE, adjustments=ADJUSTMENTS),
        {"B": {"x": 80, "y": 2, "z": 0}},
    )
    case.assess(out=tmp_path / "out")
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert (row["base_score"], row["bonus"], row["deduction"], row["score"]) == (
        "80.0",
        "4.0",
        "0.0",
        "84.0",
    )
    import json

    explained = json.loads((tmp_path / "out" / "explain.json").read_text(encoding="utf-8"))
    items = explained["units"]["B"]["adjustments"]
    assert [(i["id"], i["kind"], i["points"]) for i in items] == [
        ("innovation", "bonus", 3.0),
        ("per_case", "bonus", 1.0),
    ]


def test_an_adjustment_can_lift_a_grade(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 88, "y": 2, "z": 0}},
        indicators=BASE,
        adjustments=ADJUSTMENTS,
        grading=BANDS,
    )
    assert per_unit(result, "grade") == {"A": "好"}  # 88 + 4 = 92


# --------------------------------------------------------------------------- vetoes


VETOES = [
    {"id": "fabrication", "when": "z >= 1", "grade": "较差", "reason": "弄虚作假"},
    {"id": "serious", "when": "y >= 1", "grade_at_most": "较好", "reason": "严重问题不得评优"},
]


def test_vetoes_fix_or_cap_the_grade_and_leave_the_score(tmp_path):
    result = run_facts(
        tmp_path,
        {
            "A": {"x": 95, "y": 0, "z": 0},  # 好
            "B": {"x": 95, "y": 1, "z": 0},  # 好, capped at 较好
            "C": {"x": 75, "y": 1, "z": 0},  # 一般 is already below the ceiling
            "D": {"x": 95, "y": 0, "z": 2},  # fixed 较差
            "E": {"x": 95, "y": 1, "z": 2},  # both: 较差
        },
        indicators=BASE,
        vetoes=VETOES,
        grading=BANDS,
    )
    assert per_unit(result, "grade") == {
        "A": "好",
        "B": "较好",
        "C": "一般",
        "D": "较差",
        "E": "较差",
    }
    assert per_unit(result, "score") == {"A": 95, "B": 95, "C": 75, "D": 95, "E": 95}
    assert per_unit(result, "vetoed") == {"A": False, "B": True, "C": True, "D": True, "E": True}
    rules = dict(zip(result.state.units, result.state.grade_rules, strict=True))
    assert rules["A"] == "score >= 90 → 好"
    assert rules["B"] == "score >= 90 → 好; veto serious (严重问题不得评优) → 较好"
    assert rules["C"] == "score >= 70 → 一般"  # the ceiling changed nothing
    assert "veto fabrication (弄虚作假) → 较差" in rules["D"]


def test_vetoes_are_listed_in_the_explanation(tmp_path):
    import json

    case = write_facts_case(
        tmp_path,
        facts_scheme(indicators=BASE, vetoes=VETOES, grading=BANDS),
        {"D": {"x": 95, "y": 0, "z": 2}},
    )
    case.assess(out=tmp_path / "out")
    unit = json.loads((tmp_path / "out" / "explain.json").read_text(encoding="utf-8"))["units"]["D"]
    assert unit["vetoes"] == [
        {"id": "fabrication", "reason": "弄虚作假", "grade": "较差", "grade_at_most": None}
    ]
    assert unit["grade"] == "较差"


def test_a_veto_can_use_the_score(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 95}, "B": {"x": 85}},
        indicators=BASE,
        vetoes=[{"id": "low_x", "when": "score < 90", "grade": "较差", "reason": "测试"}],
        grading=BANDS,
    )
    assert per_unit(result, "grade") == {"A": "好", "B": "较差"}


def test_a_veto_never_lifts_a_grade_whatever_the_order(tmp_path):
    vetoes = [
        {"id": "ceiling", "when": "z >= 1", "grade_at_most": "较差", "reason": "上限"},
        {"id": "fixed", "when": "z >= 1", "grade": "一般", "reason": "固定"},
    ]
    result = run_facts(
        tmp_path,
        {"A": {"x": 50, "z": 1}, "B": {"x": 95, "z": 1}},
        indicators=BASE,
        vetoes=vetoes,
        grading=BANDS,
    )
    # A earned 较差 (50): no veto may lift it. B earned 好: both vetoes hit, the worse one wins.
    assert per_unit(result, "grade") == {"A": "较差", "B": "较差"}


# --------------------------------------------------------------------------- outcomes


OUTCOMES = [
    {
        "when": "grade = '好'",
        "actions": [{"commend": {}}, {"fiscal_reward": {"amount_yuan": 400000000}}],
    },
    {
        "when": "grade = '较差'",
        "actions": [{"interview": {"who": "principal_leaders"}}, {"rectify": {"days": 90}}],
    },
    {"when": "vetoed", "actions": [{"accountability": {}}]},
    {"when": "rank = 1 and bonus > 0", "actions": [{"notify_criticism": {}}]},
]


def test_outcomes_follow_grade_flags_and_rank(tmp_path):
    result = run_facts(
        tmp_path,
        {
            "A": {"x": 95, "y": 0, "z": 0},
            "B": {"x": 50, "y": 0, "z": 0},
            "C": {"x": 85, "y": 0, "z": 3},
        },
        indicators=BASE,
        vetoes=[VETOES[0]],
        grading=BANDS,
        outcomes=OUTCOMES,
    )
    actions = dict(zip(result.state.units, result.state.actions, strict=True))
    assert actions["A"] == [
        {"action": "commend"},
        {"action": "fiscal_reward", "amount_yuan": 400000000},
    ]
    assert actions["B"] == [
        {"action": "interview", "who": "principal_leaders"},
        {"action": "rectify", "days": 90},
    ]
    # C was vetoed to 较差: the 较差 outcomes and accountability
    assert [a["action"] for a in actions["C"]] == ["interview", "rectify", "accountability"]


def test_outcomes_in_results_csv_are_described_in_words(tmp_path):
    case = write_facts_case(
        tmp_path,
        facts_scheme(indicators=BASE, grading=BANDS, outcomes=OUTCOMES),
        {"A": {"x": 95}, "B": {"x": 50}},
    )
    case.assess(out=tmp_path / "out")
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as handle:
        outcomes = {row["unit"]: row["outcomes"] for row in csv.DictReader(handle)}
    assert outcomes == {
        "A": "通报表扬; 财政奖励（amount_yuan=400000000）",
        "B": "约谈（who=principal_leaders）; 限期整改（days=90）",
    }


def test_flags_feed_outcomes(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 95, "y": 0.03}, "B": {"x": 95, "y": 0.01}},
        indicators={**BASE, "wrong_exit": {"expr": "y", "score": {"method": "minmax"}}},
        tree=["base"],
        flags={"wrong_exit_high": {"when": "wrong_exit >= 0.02", "label": "错退率超标"}},
        grading=BANDS,
        outcomes=[{"when": "wrong_exit_high", "actions": [{"rectify": {"days": 30}}]}],
    )
    assert per_unit(result, "wrong_exit_high") == {"A": True, "B": False}
    actions = dict(zip(result.state.units, result.state.actions, strict=True))
    assert actions == {"A": [{"action": "rectify", "days": 30}], "B": []}
