"""Aggregation up the tree (scoring/aggregate.py): combine() and the missing-data policies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.support.engine import facts_scheme, per_unit, run_facts, write_facts_case

from kaohe.errors import DataError
from kaohe.scoring.aggregate import combine

UNIT = {"method": "goalposts", "min": 0, "max": 1}  # the value itself, 0 to 1


def combined(values: list[float], shares: list[float], method: str) -> float:
    return float(combine(np.array([values]), np.array([shares]), method)[0])


# --------------------------------------------------------------------------- combine


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("arithmetic", 0.25 * 0.4 + 0.75 * 0.9),
        ("geometric", 0.4**0.25 * 0.9**0.75),
        ("harmonic", 1 / (0.25 / 0.4 + 0.75 / 0.9)),
        ("minimum", 0.4),
    ],
)
def test_combine_weighted(method, expected):
    assert combined([0.4, 0.9], [0.25, 0.75], method) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("arithmetic", 0.75), ("geometric", math.sqrt(0.5)), ("harmonic", 2 / 3), ("minimum", 0.5)],
)
def test_combine_equal_shares(method, expected):
    assert combined([0.5, 1.0], [0.5, 0.5], method) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("method", ["geometric", "harmonic", "minimum"])
def test_a_zero_child_zeroes_the_non_compensatory_means(method):
    assert combined([0.0, 1.0, 1.0], [0.2, 0.4, 0.4], method) == 0.0


def test_combine_skips_children_with_zero_share():
    # a missing child has share 0 and any value (NaN) there must not leak in
    for method in ("arithmetic", "geometric", "harmonic", "minimum"):
        assert combined([0.64, math.nan], [1.0, 0.0], method) == pytest.approx(0.64)


def test_combine_rows_are_units():
    values = np.array([[0.2, 0.8], [1.0, 0.5]])
    shares = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert combine(values, shares, "arithmetic").tolist() == pytest.approx([0.5, 0.75])


# --------------------------------------------------------------------------- the tree in a run


def three(missing: str, aggregate: str = "arithmetic") -> dict:
    return {
        "indicators": {
            "a": {"expr": "x", "score": UNIT},
            "b": {"expr": "y", "score": UNIT},
            "c": {"expr": "z", "score": UNIT},
        },
        "tree": [
            {
                "id": "d",
                "points": 100,
                "aggregate": aggregate,
                "missing": missing,
                "children": ["a", "b", "c"],
            }
        ],
    }


FACTS = {"U": {"x": 0.2, "y": None, "z": 0.8}, "V": {"x": 0.3, "y": 0.6, "z": 0.9}}


def test_reweight_spreads_a_missing_childs_share_over_the_others(tmp_path):
    result = run_facts(tmp_path, FACTS, **three("reweight"))
    # U: (0.2 + 0.8) / 2 = 0.5 of 100 points; V: (0.3 + 0.6 + 0.9) / 3
    assert per_unit(result, "score") == {"U": 50.0, "V": pytest.approx(60.0)}
    points = result.state.points
    assert per_unit(result, points["a"])["U"] == pytest.approx(10.0)  # 0.2 × 1/2 × 100
    assert per_unit(result, points["c"])["U"] == pytest.approx(40.0)
    assert per_unit(result, points["b"])["U"] is None
    assert per_unit(result, points["d"])["U"] == pytest.approx(50.0)
    notes = dict(zip(result.state.units, result.state.notes, strict=True))
    assert notes["U"] == ["b missing, the other weights in d re-normalized (the scheme allows it)"]
    assert notes["V"] == []


def test_reweighting_raises_the_remaining_childrens_maximum_points(tmp_path):
    result = run_facts(tmp_path, FACTS, **three("reweight"))
    maxima = result.state.max_points
    # U lost b, so a and c may each earn half of d's 100 points; V keeps thirds
    assert per_unit(result, maxima["a"]) == {"U": 50.0, "V": pytest.approx(100 / 3)}
    assert per_unit(result, maxima["b"]) == {"U": 0.0, "V": pytest.approx(100 / 3)}
    for name in ("a", "b", "c"):
        earned = np.nan_to_num(result.state.points[name])
        assert np.all(earned <= maxima[name] + 1e-9)


def test_zero_counts_a_missing_child_as_zero(tmp_path):
    result = run_facts(tmp_path, FACTS, **three("zero"))
    # U: (0.2 + 0 + 0.8) / 3 of 100 points
    assert per_unit(result, "score")["U"] == pytest.approx(100 / 3)
    assert per_unit(result, result.state.points["b"])["U"] == 0.0
    assert result.state.notes[0] == ["b missing, counted as zero in d"]


def test_zero_policy_under_geometric_aggregation_zeroes_the_node(tmp_path):
    result = run_facts(tmp_path, FACTS, **three("zero", "geometric"))
    assert per_unit(result, "score")["U"] == 0.0
    # V: (0.3 × 0.6 × 0.9) ^ (1/3) of 100
    assert per_unit(result, "score")["V"] == pytest.approx(100 * (0.3 * 0.6 * 0.9) ** (1 / 3))


def test_fail_stops_the_run_naming_the_node_unit_and_indicator(tmp_path):
    with pytest.raises(DataError) as caught:
        run_facts(tmp_path, FACTS, **three("fail"))
    message = str(caught.value)
    assert "scheme.yaml" in message
    assert "node d has missing: fail" in message
    assert "U b" in message
    assert "V" not in message.split("missing:")[-1].split(".")[0]


def test_fail_does_not_fire_when_nothing_is_missing(tmp_path):
    facts = {"V": FACTS["V"]}
    result = run_facts(tmp_path, facts, **three("fail"))
    assert per_unit(result, "score") == {"V": pytest.approx(60.0)}


def test_fail_through_the_cli_exits_2_and_writes_nothing(tmp_path, kaohe):
    case = write_facts_case(tmp_path, facts_scheme(**three("fail")), FACTS)
    out = tmp_path / "out"
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", out)
    assert run.exit_code == 2
    assert "node d has missing: fail" in run.stderr
    assert not out.exists()


def test_a_unit_with_nothing_to_aggregate_has_no_score(tmp_path):
    facts = {"U": {"x": None, "y": None, "z": None}, "V": FACTS["V"]}
    result = run_facts(tmp_path, facts, **three("reweight"))
    assert per_unit(result, "score")["U"] is None
    assert per_unit(result, "grade")["U"] is None


def test_nested_nodes_hand_down_points_and_weights(tmp_path):
    # root: two dimensions of 60 and 40 points; inside the first, weights 1:3
    result = run_facts(
        tmp_path,
        {"U": {"x": 0.5, "y": 1.0, "z": 0.25}},
        indicators={
            "a": {"expr": "x", "score": UNIT, "weight": 1},
            "b": {"expr": "y", "score": UNIT, "weight": 3},
            "c": {"expr": "z", "score": UNIT},
        },
        tree=[
            {"id": "first", "points": 60, "children": ["a", "b"]},
            {"id": "second", "points": 40, "children": ["c"]},
        ],
    )
    points = {name: per_unit(result, result.state.points[name])["U"] for name in "abc"}
    # a: 0.5 × 15; b: 1.0 × 45; c: 0.25 × 40
    assert points == {"a": 7.5, "b": 45.0, "c": 10.0}
    assert per_unit(result, result.state.points["first"])["U"] == 52.5
    assert per_unit(result, "score")["U"] == 62.5
    assert [(n.id, n.points) for n in result.scheme.tree.walk()] == [
        ("total", 100.0),
        ("first", 60.0),
        ("a", 15.0),
        ("b", 45.0),
        ("second", 40.0),
        ("c", 40.0),
    ]


def test_the_hdi_shape_geometric_over_an_arithmetic_node(tmp_path):
    result = run_facts(
        tmp_path,
        {"U": {"x": 0.81, "y": 0.5, "z": 0.7}},
        indicators={
            "health": {"expr": "x", "score": UNIT},
            "e1": {"expr": "y", "score": UNIT},
            "e2": {"expr": "z", "score": UNIT},
        },
        tree={
            "aggregate": "geometric",
            "scale": 1,
            "children": ["health", {"id": "education", "children": ["e1", "e2"]}],
        },
    )
    # sqrt(0.81 × 0.6)
    assert per_unit(result, "score")["U"] == pytest.approx(math.sqrt(0.81 * 0.6))
    assert per_unit(result, result.state.node_values["education"])["U"] == pytest.approx(0.6)
