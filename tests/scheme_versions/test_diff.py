"""``kaohe scheme diff`` (scheme/diff.py): every kind of change, by hand, and through the CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.scheme_versions import EXAMPLE, kaohe, write

from kaohe.scheme import load_scheme
from kaohe.scheme.diff import diff_schemes

BASE = "provincial-effectiveness-2016"


def changes_of(old, new) -> set[tuple]:
    return {
        (c.section, c.item, c.change, c.field, json.dumps(c.old), json.dumps(c.new))
        for c in diff_schemes(old, new)
    }


def test_a_scheme_has_no_differences_with_itself():
    scheme = load_scheme(BASE)
    assert diff_schemes(scheme, scheme) == []


def test_hand_written_revision(tmp_path):
    path = write(
        tmp_path / "v2.yaml",
        """
        extends: provincial-effectiveness-2016
        id: provincial-effectiveness-2016
        version: "2016.2"
        parameters: {points_funds: 10, cut_good: 92}
        indicators:
          county_exit: null
          stable_exit:
            label: 稳定脱贫
            expr: "1 - poor_end / nullif(poor_start, 0)"
            score: {method: goalposts, min: 0, max: 1}
            weight: 10
        tree:
          - {id: reduction, points: 40, children: [poverty_reduction, income_growth, stable_exit]}
        vetoes:
          - {id: three_rates, remove: true}
        """,
    )
    old, new = load_scheme(BASE), load_scheme(str(path))
    found = {(c.section, c.item, c.change, c.field): (c.old, c.new) for c in diff_schemes(old, new)}
    assert found[("scheme", "scheme", "changed", "version")] == ("2016.1", "2016.2")
    assert ("indicators", "county_exit", "removed", None) in found
    assert found[("indicators", "stable_exit", "added", None)][1]["weight"] == 10
    # points (issue 15 gave 政策落实 15 points: reduction 25, funds 20 with weights 14:3:3):
    # reduction 25 → 40 and funds 20 → 10 (a parameter); indicators inside follow
    assert found[("tree", "reduction", "changed", "max_points")] == (25, 40)
    assert found[("tree", "funds", "changed", "max_points")] == (20, 10)
    # funds: 14, 3, 3 of 20 points → 7, 1.5, 1.5 of 10
    assert found[("tree", "fund_performance", "changed", "max_points")] == (14, 7)
    assert found[("tree", "integration_use", "changed", "max_points")] == (3, 1.5)
    assert found[("tree", "carryover_rate", "changed", "max_points")] == (3, 1.5)
    # reduction: weights 12/8/10 (of 30) shared 25 points → 10, 6.67, 8.33; now weights 12/10/10
    # (of 32) share 40 points → 15, 12.5, 12.5
    assert found[("tree", "poverty_reduction", "changed", "max_points")] == (10, 15)
    assert found[("tree", "income_growth", "changed", "max_points")] == (
        pytest.approx(25 * 10 / 30),
        12.5,
    )
    assert found[("grading", "好", "changed", "cut")] == (90, 92)
    assert ("grading", "较好", "changed", "cut") not in found
    assert ("vetoes", "three_rates", "removed", None) in found
    assert found[("parameters", "points_funds", "changed", "value")] == (20, 10)
    assert found[("parameters", "cut_good", "changed", "value")] == (90, 92)
    # the total follows: 40 + 20 + 20 + 15 + 10 = 105 (the base's 25 + 20 + 20 + 15 + 20 = 100)
    assert found[("tree", "total", "changed", "max_points")] == (100, 105)
    assert len(found) == 15, sorted(found)  # nothing else: exactly the changes above


def test_grades_added_and_removed_and_outcomes_by_condition(tmp_path):
    path = write(
        tmp_path / "v2.yaml",
        """
        extends: provincial-effectiveness-2016
        id: v2
        grading:
          bands: [[90, 好], [75, 较好], [null, 差]]
        vetoes:
          - {id: fabrication, grade: 差}
          - {id: three_rates, grade_at_most: 较好}
        outcomes:
          - when: "grade = '好'"
            actions: [{commend: {}}]
          - when: "grade = '差'"
            actions: [{interview: {who: 党政主要负责同志}}]
        """,
    )
    found = {
        (c.section, c.item, c.change, c.field)
        for c in diff_schemes(load_scheme(BASE), load_scheme(str(path)))
    }
    assert {
        ("grading", "较好", "changed", "cut"),
        ("grading", "一般", "removed", "cut"),
        ("grading", "较差", "removed", "cut"),
        ("grading", "差", "added", "cut"),
        ("vetoes", "fabrication", "changed", "grade"),
        ("vetoes", "three_rates", "changed", "grade_at_most"),
        ("outcomes", "grade = '好'", "changed", None),
        ("outcomes", "grade = '一般'", "removed", None),
        ("outcomes", "grade = '差'", "added", None),
    } <= found


@settings(max_examples=5, deadline=None)
@given(
    points=st.fixed_dictionaries(
        {
            "points_reduction": st.integers(5, 40),
            "points_identification": st.integers(5, 40),
        }
    )
)
def test_diff_is_symmetric(points):
    """What is added one way is removed the other way; changes swap old and new."""
    old = load_scheme(BASE)
    new = load_scheme(str(EXAMPLE), points)
    forward = diff_schemes(old, new)
    backward = {(c.section, c.item, c.field): c for c in diff_schemes(new, old)}
    assert len(forward) == len(backward)
    flip = {"added": "removed", "removed": "added", "changed": "changed"}
    for change in forward:
        other = backward[(change.section, change.item, change.field)]
        assert other.change == flip[change.change]
        assert (other.old, other.new) == (change.new, change.old)
    dims = {c.item: c.new for c in forward if c.section == "tree" and c.field == "max_points"}
    # 25: unchanged from the base (30 before 政策落实 took its points, issue 15)
    assert dims.get("reduction", 25) == points["points_reduction"]


def test_cli_table_and_json():
    result = kaohe("scheme", "diff", BASE, str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "fund_performance" in result.output and "removed" in result.output
    result = kaohe("scheme", "diff", BASE, str(EXAMPLE), "--json")
    payload = json.loads(result.output)
    assert payload["old"]["id"] == BASE and payload["new"]["id"] == "county-effectiveness-example"
    kinds = {(c["section"], c["item"], c["change"]) for c in payload["changes"]}
    assert ("vetoes", "prohibition", "added") in kinds
    assert ("tree", "funds", "removed") in kinds
    same = kaohe("scheme", "diff", BASE, BASE)
    assert "the same" in same.output
