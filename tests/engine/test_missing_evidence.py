"""Honest grades on incomplete data (issue 11): completeness, status, withheld grades.

Every grade is either backed by its evidence or visibly withheld (不予评定): the scheme decides
what missing data means node by node, vetoes cannot be escaped by missing evidence, and a
withheld unit gets no score, rank, grade, reward or sanction — only the scheme's request for the
missing evidence. Expectations are computed by hand.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.cli import Kaohe
from tests.support.engine import (
    facts_scheme,
    per_unit,
    run_facts,
    write_csv,
    write_facts_case,
)

from kaohe.errors import SchemeError
from kaohe.scheme import load_scheme

UNIT = {"method": "goalposts", "min": 0, "max": 1}
BANDS = {"bands": [[90, "好"], [60, "中"], [None, "差"]]}


def two_areas(missing_a="withhold", missing_b="withhold", **sections):
    """Area A (60 points: a1 40, a2 20) over x and y; area B (40 points: b1) over z."""
    return {
        "indicators": {
            "a1": {"expr": "x", "score": UNIT, "points": 40},
            "a2": {"expr": "y", "score": UNIT, "points": 20},
            "b1": {"expr": "z", "score": UNIT, "points": 40},
        },
        "tree": [
            {"id": "A", "points": 60, "missing": missing_a, "children": ["a1", "a2"]},
            {"id": "B", "points": 40, "missing": missing_b, "children": ["b1"]},
        ],
        "grading": BANDS,
        "outcomes": [
            {"when": "grade = '好'", "actions": [{"fiscal_reward": {"amount_yuan": 5000000}}]},
            {"when": "true", "actions": [{"leader_evaluation": {}}]},
            {"status": "withheld", "actions": [{"request_data": {"days": 30}}]},
        ],
        **sections,
    }


FULL = {"x": 1.0, "y": 1.0, "z": 1.0}


def test_by_default_a_missing_value_withholds_the_grade(tmp_path):
    result = run_facts(
        tmp_path,
        {"G": FULL, "W": {"x": 1.0, "y": None, "z": 1.0}, "V": {"x": 0.5, "y": 0.5, "z": 0.5}},
        **two_areas(),
    )
    assert per_unit(result, "status") == {"G": "graded", "W": "withheld", "V": "graded"}
    # W would have scored 100 on the re-weighted evidence: it gets no score, rank or grade
    assert per_unit(result, "score") == {"G": 100.0, "W": None, "V": 50.0}
    assert per_unit(result, "rank") == {"G": 1.0, "W": None, "V": 2.0}
    assert per_unit(result, "grade") == {"G": "好", "W": None, "V": "差"}
    # completeness: the share of nominal points backed by data (a2 holds 20 of 100)
    assert per_unit(result, "completeness") == {"G": 1.0, "W": 0.8, "V": 1.0}
    actions = dict(zip(result.state.units, result.state.actions, strict=True))
    assert [a["action"] for a in actions["W"]] == ["request_data"]
    assert [a["action"] for a in actions["G"]] == ["fiscal_reward", "leader_evaluation"]
    reasons = result.state.withheld[result.state.units.index("W")]
    assert reasons == ["'A' lacks data for a2 (the scheme withholds the grade then)"]


def test_reweight_only_up_to_the_declared_share_of_points(tmp_path):
    scheme = two_areas(missing_a={"reweight": True, "at_most": 0.34})
    facts = {
        "R": {"x": 0.9, "y": None, "z": 1.0},  # a2 is 20 of A's 60 points: 1/3 <= 0.34
        "O": {"x": None, "y": 0.9, "z": 1.0},  # a1 is 40 of 60: 2/3 > 0.34
    }
    result = run_facts(tmp_path, facts, **scheme)
    assert per_unit(result, "status") == {"R": "graded", "O": "withheld"}
    # R: A = 0.9 re-weighted to all of A's 60 points, B = 40
    assert per_unit(result, "score")["R"] == pytest.approx(0.9 * 60 + 40)
    assert per_unit(result, "completeness") == {
        "R": pytest.approx(0.8),
        "O": pytest.approx(0.6),
    }
    reason = result.state.withheld[result.state.units.index("O")][0]
    assert "67%" in reason and "34%" in reason


def test_a_whole_area_is_never_reweighted_away_by_default(tmp_path):
    # B's only indicator missing: the root's default is withhold, whatever A says
    scheme = two_areas(missing_a="reweight", missing_b="reweight")
    result = run_facts(tmp_path, {"U": {"x": 1.0, "y": 1.0, "z": None}}, **scheme)
    assert per_unit(result, "status") == {"U": "withheld"}
    assert per_unit(result, "completeness") == {"U": pytest.approx(0.6)}


def test_a_required_indicator_withholds_even_where_its_node_reweights(tmp_path):
    scheme = two_areas(missing_a="reweight")
    scheme["indicators"]["a2"]["required"] = True
    result = run_facts(tmp_path, {"U": {"x": 1.0, "y": None, "z": 1.0}}, **scheme)
    assert per_unit(result, "status") == {"U": "withheld"}
    assert "required indicator" in result.state.withheld[0][0]


def test_a_veto_whose_inputs_are_missing_is_undetermined_and_withholds(tmp_path):
    # issue 11: a province with no field checks escaped the 错退率 > 2% veto (its flag was NULL)
    scheme = two_areas(missing_a="reweight", missing_b="zero")
    scheme["flags"] = {"wrong_exit_over": {"when": "z > 0.02"}}
    scheme["vetoes"] = [
        {
            "id": "three_rates",
            "when": "wrong_exit_over",
            "grade_at_most": "差",
            "reason": "错退率超标",
        }
    ]
    facts = {"N": {"x": 1.0, "y": 1.0, "z": None}, "H": {"x": 1.0, "y": 1.0, "z": 0.5}}
    result = run_facts(tmp_path, facts, **scheme)
    assert per_unit(result, "wrong_exit_over") == {"N": None, "H": True}
    assert per_unit(result, "status") == {"N": "withheld", "H": "graded"}
    assert per_unit(result, "grade") == {"N": None, "H": "差"}
    assert "cannot be decided" in result.state.withheld[result.state.units.index("N")][0]


@pytest.mark.parametrize(
    ("when_missing", "status", "grade"), [("apply", "graded", "差"), ("ignore", "graded", "中")]
)
def test_the_scheme_may_apply_or_ignore_an_undetermined_veto(tmp_path, when_missing, status, grade):
    scheme = two_areas(missing_b="zero")
    scheme["vetoes"] = [
        {
            "id": "v",
            "when": "z > 0.02",
            "grade_at_most": "差",
            "reason": "r",
            "when_missing": when_missing,
        }
    ]
    result = run_facts(tmp_path, {"U": {"x": 1.0, "y": 1.0, "z": None}}, **scheme)
    assert per_unit(result, "status") == {"U": status}
    assert per_unit(result, "grade") == {"U": grade}  # 60 points: 中, or 差 by the veto


def test_coverage_rule_withholds_units_with_too_little_evidence(tmp_path):
    scheme = two_areas(
        coverage=[{"id": "checks", "when": "z >= 0.5", "nodes": ["B"], "reason": "核查户数不足"}]
    )
    result = run_facts(
        tmp_path,
        {"S": {"x": 1.0, "y": 1.0, "z": 0.4}, "E": {"x": 1.0, "y": 1.0, "z": 0.6}},
        **scheme,
    )
    assert per_unit(result, "status") == {"S": "withheld", "E": "graded"}
    assert per_unit(result, "completeness")["S"] == pytest.approx(0.6)  # B not backed
    reasons = result.state.withheld[result.state.units.index("S")]
    assert reasons[0].startswith("not enough evidence: 核查户数不足")


def test_a_deduction_that_cannot_be_computed_withholds(tmp_path):
    scheme = two_areas(
        missing_b="zero",
        adjustments={"items": [{"id": "misuse", "kind": "deduction", "points": "z * 10"}]},
    )
    result = run_facts(tmp_path, {"U": {"x": 1.0, "y": 1.0, "z": None}}, **scheme)
    assert per_unit(result, "status") == {"U": "withheld"}


def test_division_by_zero_fails_the_unit(tmp_path):
    scheme = two_areas()
    scheme["indicators"]["b1"]["expr"] = "z / x"
    result = run_facts(tmp_path, {"F": {"x": 0.0, "y": 1.0, "z": 1.0}, "G": FULL}, **scheme)
    assert per_unit(result, "status") == {"F": "failed", "G": "graded"}
    assert per_unit(result, "grade")["F"] is None


def test_a_withheld_unit_can_only_be_asked_for_evidence(tmp_path):
    scheme = facts_scheme(**two_areas())
    scheme["outcomes"].append({"status": "withheld", "actions": [{"fiscal_reward": {}}]})
    case = write_facts_case(tmp_path, scheme, {"U": FULL})
    with pytest.raises(SchemeError) as error:
        load_scheme(str(case.scheme))
    assert "can only be asked for evidence" in str(error.value)


def test_results_and_explanation_carry_status_and_completeness(tmp_path):
    case = write_facts_case(
        tmp_path,
        facts_scheme(**two_areas()),
        {"G": FULL, "W": {"x": 1.0, "y": None, "z": 1.0}},
    )
    run = Kaohe()("assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "out")
    assert run.exit_code == 0, run.stderr
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8") as handle:
        rows = {row["unit"]: row for row in csv.DictReader(handle)}
    assert rows["W"]["status"] == "withheld"
    assert rows["W"]["completeness"] == "0.8"
    assert rows["W"]["score"] == rows["W"]["grade"] == rows["W"]["rank"] == ""
    assert "a2" in rows["W"]["status_reasons"]
    assert rows["G"]["status"] == "graded" and rows["G"]["completeness"] == "1.0"
    explain = json.loads((tmp_path / "out" / "explain.json").read_text(encoding="utf-8"))
    assert explain["units"]["W"]["status"] == "withheld"
    assert explain["units"]["W"]["completeness"] == 0.8
    assert explain["units"]["W"]["grade"] is None
    assert explain["units"]["W"]["outcomes"][0]["action"] == "request_data"


def test_a_unit_without_rows_in_a_required_source_has_no_counts(tmp_path):
    """count(*) over no field checks is no evidence, not "no wrong exits"."""
    scheme = facts_scheme(
        indicators={"a": {"expr": "x", "score": UNIT}, "n": {"expr": "checks", "score": UNIT}},
    )
    scheme["sources"]["checks"] = {"columns": {"ok": "boolean"}}
    scheme["measures"]["checks"] = {"source": "checks", "expr": "count(*) filter (where ok)"}
    case = write_facts_case(tmp_path, scheme, {"A": {"x": 1.0}, "B": {"x": 1.0}})
    write_csv(case.data / "checks.csv", ["unit", "ok"], [("A", "true")])
    result = case.assess()
    assert per_unit(result, "checks") == {"A": 1.0, "B": None}
    assert per_unit(result, "status") == {"A": "graded", "B": "withheld"}
    # an optional source keeps the count over no rows: nothing to report is a statement
    scheme["sources"]["checks"]["optional"] = True
    case = write_facts_case(tmp_path / "optional", scheme, {"A": {"x": 1.0}, "B": {"x": 1.0}})
    write_csv(case.data / "checks.csv", ["unit", "ok"], [("A", "true")])
    assert per_unit(case.assess(), "checks") == {"A": 1.0, "B": 0.0}


def test_a_source_without_rows_is_refused_unless_optional(tmp_path):
    # issue 11: a header-only bank figures file gave exit 0 and a bank scored 100.0 优秀
    case = write_facts_case(tmp_path, facts_scheme(**two_areas()), {})
    write_csv(
        case.data / "units.csv",
        ["unit", "name", "parent", "level"],
        [("P", "省", "", "province"), ("A", "县", "P", "county")],
    )
    run = Kaohe()("assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert "facts.csv: source facts has no rows" in run.stderr
    assert "optional: true" in run.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- property


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            *[st.one_of(st.none(), st.integers(0, 100).map(lambda v: v / 100)) for _ in range(3)]
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["withhold", "reweight_limited", "zero"]),
)
def test_every_unit_is_withheld_or_graded_on_enough_evidence(tmp_path_factory, rows, policy):
    """For random gaps: a graded unit has at least the completeness the scheme allows, and no
    withheld unit has a grade, a rank or any outcome but the request for evidence."""
    missing_a = {"reweight": True, "at_most": 0.34} if policy == "reweight_limited" else policy
    scheme = two_areas(missing_a=missing_a)
    facts = {f"U{i}": dict(zip("xyz", row, strict=True)) for i, row in enumerate(rows)}
    result = run_facts(tmp_path_factory.mktemp("gaps"), facts, **scheme)
    state = result.state
    # the least completeness a graded unit can have: A may lose a2 (20 of 100) if it re-weights
    least = {"withhold": 1.0, "reweight_limited": 0.8, "zero": 0.4}[policy]
    for i, unit in enumerate(state.units):
        status = state.values["status"][i]
        assert status in ("graded", "withheld")
        kinds = [action["action"] for action in state.actions[i]]
        if status == "graded":
            assert state.values["completeness"][i] >= least - 1e-9
            assert state.values["grade"][i] is not None
            assert "request_data" not in kinds
        else:
            assert state.values["grade"][i] is None
            assert np.isnan(state.values["rank"][i]) and np.isnan(state.values["score"][i])
            assert kinds == ["request_data"], unit
            assert state.withheld[i]


def test_a_second_row_for_a_unit_in_a_per_unit_report_names_both_lines(tmp_path):
    # issue 11: a duplicated report row was silently aggregated (max() took the larger value)
    scheme = facts_scheme(**two_areas())
    scheme["sources"]["facts"]["one_row_per_unit"] = True
    case = write_facts_case(tmp_path, scheme, {"A": FULL, "B": FULL})
    write_csv(
        case.data / "facts.csv",
        ["unit", "x", "y", "z"],
        [("A", 1, 1, 1), ("B", 1, 1, 1), ("A", 0.5, 1, 1)],
    )
    run = Kaohe()("assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "o")
    assert run.exit_code == 2
    assert "facts.csv: the source has one row per unit" in run.stderr
    assert "unit='A' appears at facts.csv:line 2, facts.csv:line 4" in run.stderr


def test_data_check_says_before_a_run_who_would_be_withheld(tmp_path):
    case = write_facts_case(
        tmp_path, facts_scheme(**two_areas()), {"G": FULL, "W": {"x": 1.0, "y": None, "z": 1.0}}
    )
    run = Kaohe()("data", "check", "--scheme", case.scheme, "--data", case.data)
    assert run.exit_code == 2
    assert "facts" in run.stdout and "2 / 2" in run.stdout  # both units have rows
    assert (
        "withheld" in run.stdout and "80.00 %" in run.stdout and "lacks data for a2" in run.stdout
    )
    assert "1 of 2 units would be withheld or fail" in run.stdout
    complete = write_facts_case(tmp_path / "complete", facts_scheme(**two_areas()), {"G": FULL})
    run = Kaohe()("data", "check", "--scheme", complete.scheme, "--data", complete.data)
    assert run.exit_code == 0, run.stdout
    assert "all 1 units can be graded" in run.stdout


@pytest.mark.parametrize("form", ["html", "xlsx"])
def test_reports_show_status_and_completeness(tmp_path, form):
    case = write_facts_case(
        tmp_path, facts_scheme(**two_areas()), {"G": FULL, "W": {"x": 1.0, "y": None, "z": 1.0}}
    )
    out = tmp_path / "out"
    assert (
        Kaohe()("assess", "--scheme", case.scheme, "--data", case.data, "--out", out).exit_code == 0
    )
    report = tmp_path / f"report.{form}"
    run = Kaohe()("report", out, "--format", form, "--out", report, lang=None)
    assert run.exit_code == 0, run.stderr
    if form == "html":
        page = report.read_text(encoding="utf-8")
        assert "不予评定（待定）" in page and "80.00 %" in page and "数据完整度" in page
        assert "第 None 名" not in page
    else:
        import openpyxl

        sheet = openpyxl.load_workbook(report)["排名"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        header = rows[0]
        withheld = next(row for row in rows if row[1] == "W")
        assert withheld[header.index("等次")] == "不予评定（待定）"
        assert withheld[header.index("数据完整度")] == pytest.approx(0.8)


def test_the_outcomes_ledger_opens_nothing_but_the_data_request_for_a_withheld_unit(tmp_path):
    scheme = facts_scheme(**two_areas())
    scheme["outcomes"].insert(0, {"when": "grade = '差'", "actions": [{"rectify": {"days": 60}}]})
    facts = {"L": {"x": 0.1, "y": 0.1, "z": 0.1}, "W": {"x": 0.1, "y": None, "z": 0.1}}
    case = write_facts_case(tmp_path, scheme, facts)
    out, ledger = tmp_path / "out", tmp_path / "ledger"
    kaohe = Kaohe()
    assert (
        kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", out).exit_code == 0
    )
    opened = kaohe("outcomes", "open", "--run", out, "--ledger", ledger, "--date", "2020-03-01")
    assert opened.exit_code == 0, opened.stderr
    events = [
        json.loads(line)
        for line in (ledger / "events.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    by_unit: dict[str, list] = {}
    for event in events:
        data = event.get("data") or {}
        if "unit" in data:
            by_unit.setdefault(data["unit"], []).append((event["kind"], data.get("action")))
    # L (graded 差) gets its rectification; W (withheld) only the request for its data
    assert ("item_opened", None) in by_unit["L"]
    assert by_unit["W"] == [("action_issued", "request_data")]


def test_no_outcome_is_opened_from_a_preliminary_run(tmp_path):
    from kaohe.run import assess

    case = write_facts_case(tmp_path, facts_scheme(**two_areas()), {"G": FULL})
    out = tmp_path / "out"
    assess(str(case.scheme), case.data, out, preliminary={"en": "2 of 30 checks done"})
    opened = Kaohe()("outcomes", "open", "--run", out, "--ledger", tmp_path / "ledger")
    assert opened.exit_code == 2
    assert "preliminary run" in opened.stderr
    assert not (tmp_path / "ledger" / "events.jsonl").exists()
