"""Invariants of the engine, checked with hypothesis on generated inputs.

- bounded scoring rules stay within their bounds;
- the shares of every resolved tree node sum to 1, and children's points to the node's;
- improving one unit's raw value (in the indicator's direction) never lowers its normalized
  score or its total;
- the order of the rows in units.csv and in a source file does not change results.csv.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.support.engine import dump_yaml, facts_scheme, write_csv, write_facts_case

from kaohe.run import assess
from kaohe.scheme import load_scheme
from kaohe.scheme.model import Indicator, Tree
from kaohe.scheme.tree import resolve_tree
from kaohe.scoring import ScoringState, score
from kaohe.scoring.normalize import normalize

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

value = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
maybe_value = st.one_of(value, st.just(math.nan))
values = st.lists(maybe_value, min_size=1, max_size=12)
direction = st.sampled_from(["higher", "lower"])

# Rules whose normalized score is bounded, with their bounds.
BOUNDED = {
    "minmax": ({"method": "minmax"}, (0.0, 1.0)),
    "goalposts": ({"method": "goalposts", "min": -50, "max": 300}, (0.0, 1.0)),
    "log goalposts": ({"method": "goalposts", "min": 1, "max": 1e5, "log": True}, (0.0, 1.0)),
    "target": ({"method": "target", "cap": 1.2, "floor": 0.1}, (0.1, 1.2)),
    "table": (
        {"method": "table", "rows": [[None, 0, 0.0], [0, 10, 0.3], [10, 100, 0.7], [100, None, 1]]},
        (0.0, 1.0),
    ),
    "percentile": ({"method": "percentile"}, (0.0, 1.0)),
    "threshold": ({"method": "threshold", "value": 5}, (0.0, 1.0)),
}


def normalized(rule: dict, x, way: str, target=None) -> np.ndarray:
    indicator = Indicator.model_validate({"expr": "x", "direction": way, "score": rule})
    array = np.asarray(x, dtype=float)
    target_array = None if target is None else np.asarray(target, dtype=float)
    return normalize(array, indicator, target_array)[0]


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize("name", list(BOUNDED))
@FAST
@given(x=values, way=direction, data=st.data())
def test_bounded_rules_stay_within_bounds(name, x, way, data):
    rule, (low, high) = BOUNDED[name]
    target = None
    if rule["method"] == "target":
        target = data.draw(st.lists(maybe_value, min_size=len(x), max_size=len(x)))
    result = normalized(rule, x, way, target)
    present = result[~np.isnan(result)]
    assert np.all(present >= low - 1e-12) and np.all(present <= high + 1e-12)
    # a missing value is never given a score
    assert np.all(np.isnan(result[np.isnan(np.asarray(x, dtype=float))]))


@FAST
@given(x=st.lists(value, min_size=2, max_size=12), way=direction)
def test_zscores_have_the_configured_mean_and_sd(x, way):
    # values all equal are test_normalize's zscore-without-spread cases (a known bug)
    assume(np.ptp(x) > 1e-9 * max(1.0, np.max(np.abs(x))))
    result = normalized({"method": "zscore", "mean": 50, "sd": 10}, x, way)
    assert np.mean(result) == pytest.approx(50, abs=1e-6)
    if np.std(x) > 1e-3 * max(1.0, np.max(np.abs(x))):  # clearly spread
        assert np.std(result) == pytest.approx(10, rel=1e-6)


# --------------------------------------------------------------------------- tree shares

INDICATOR_IDS = [f"i{k}" for k in range(40)]  # enough for 3 levels of at most 3 children


@st.composite
def trees(draw):
    """A random tree over distinct indicator ids, with points, weights or nothing at each level."""
    ids = iter(INDICATOR_IDS)
    counter = iter(range(1000))

    def children(depth: int) -> tuple[list, float | None]:
        count = draw(st.integers(1, 3))
        mode = draw(st.sampled_from(["points", "weight", "none"]))
        items, total = [], 0.0
        for _ in range(count):
            nested = depth < 2 and draw(st.booleans())
            if nested:
                kids, kid_points = children(depth + 1)
                node = {"id": f"n{next(counter)}", "children": kids}
                node["aggregate"] = draw(
                    st.sampled_from(["arithmetic", "geometric", "harmonic", "minimum"])
                )
                amount = draw(st.floats(0.5, 50)) if kid_points is None else kid_points
                if mode == "points":
                    node["points"] = amount
                elif mode == "weight":
                    node["weight"] = draw(st.floats(0.1, 10))
                items.append(node)
                total += amount
            else:
                item_id = next(ids)
                items.append(item_id)
                amount = draw(st.floats(0.5, 50))
                indicator_weights[item_id] = (mode, amount)
                total += amount
        return items, (total if mode == "points" else None)

    indicator_weights: dict[str, tuple[str, float]] = {}
    top, _ = children(0)
    indicators = {}
    for name in INDICATOR_IDS:
        spec = {"expr": "x", "score": {"method": "minmax"}}
        mode, amount = indicator_weights.get(name, ("none", 0))
        if mode == "points":
            spec["points"] = amount
        elif mode == "weight":
            spec["weight"] = amount
        indicators[name] = Indicator.model_validate(spec)
    return Tree.model_validate({"children": top}), indicators


@FAST
@given(tree_and_indicators=trees())
def test_every_node_s_shares_sum_to_one_and_points_are_handed_down(tree_and_indicators):
    tree, indicators = tree_and_indicators
    root = resolve_tree(tree, {k: v for k, v in indicators.items()})
    for node in root.walk():
        if node.indicator:
            continue
        assert sum(node.shares) == pytest.approx(1.0)
        assert all(share > 0 for share in node.shares)
        assert sum(child.points for child in node.children) == pytest.approx(node.points)


# --------------------------------------------------------------------------- monotone

MONOTONE = {
    **BOUNDED,
    "goalposts uncapped": ({"method": "goalposts", "min": 0, "max": 100, "cap": False}, None),
    "zscore": ({"method": "zscore"}, None),
}
# A table is monotone only if its shares are: the one above rises with the value, so it is
# monotone for "higher"; it is left out for "lower" (a table does not read the direction).


@pytest.mark.parametrize("name", list(MONOTONE))
@FAST
@given(
    x=st.lists(value, min_size=1, max_size=10),
    way=direction,
    unit=st.integers(0, 9),
    step=st.floats(1e-3, 1e4),
    data=st.data(),
)
def test_improving_a_value_never_lowers_its_normalized_score(name, x, way, unit, step, data):
    rule, _ = MONOTONE[name]
    if name == "table" and way == "lower":
        return
    unit %= len(x)
    if rule.get("log"):
        x = [abs(v) + 1 for v in x]  # the log rule needs positive values to score at all
    target = None
    if rule["method"] == "target":
        target = data.draw(
            st.lists(st.floats(0.01, 1e6), min_size=len(x), max_size=len(x)), label="target"
        )
        x = [abs(v) for v in x]
    better = list(x)
    better[unit] += step if way == "higher" else -step
    if rule.get("log") or rule["method"] == "target":
        better[unit] = max(better[unit], 0.0 if rule["method"] == "target" else 1e-9)
    before = normalized(rule, x, way, target)[unit]
    after = normalized(rule, better, way, target)[unit]
    assert after >= before - 1e-9 * max(1.0, abs(before))


@pytest.fixture(scope="module")
def mixed_scheme(tmp_path_factory):
    """Three indicators with different rules and directions, in a tree with every aggregation."""
    folder = tmp_path_factory.mktemp("monotone")
    indicators = {
        "a": {"expr": "x", "score": {"method": "minmax"}},
        "b": {"expr": "y", "direction": "lower", "score": {"method": "percentile"}},
        "c": {"expr": "z", "score": {"method": "goalposts", "min": 0, "max": 100}},
    }
    tree = {
        "aggregate": "geometric",
        "children": [
            {"id": "d1", "points": 50, "aggregate": "harmonic", "children": ["a", "b"]},
            {"id": "d2", "points": 30, "aggregate": "minimum", "children": ["c", "a2"]},
            {"id": "d3", "points": 20, "children": ["c2"]},
        ],
    }
    indicators["a2"] = {"expr": "x + z", "score": {"method": "zscore", "mean": 0.5, "sd": 0.1}}
    indicators["c2"] = {"expr": "z - y", "score": {"method": "goalposts", "min": -50, "max": 50}}
    path = folder / "scheme.yaml"
    scheme = facts_scheme(indicators=indicators, tree=tree)
    scheme["adjustments"] = {"items": [{"id": "good_x", "kind": "bonus", "points": "x / 100"}]}
    path.write_text(dump_yaml(scheme), encoding="utf-8")
    return load_scheme(str(path))


def totals(scheme, x, y, z) -> np.ndarray:
    units = [f"U{i}" for i in range(len(x))]
    values = {name: np.asarray(v, dtype=float) for name, v in zip("xyz", (x, y, z), strict=True)}
    with duckdb.connect() as con:
        state = ScoringState(scheme=scheme, units=units, names=units, values=values, con=con)
        score(state)
    return state.values["score"]


unit_value = st.floats(min_value=0, max_value=100, allow_nan=False)


@SLOW
@given(
    rows=st.lists(st.tuples(unit_value, unit_value, unit_value), min_size=2, max_size=8),
    unit=st.integers(0, 7),
    which=st.sampled_from("xyz"),
    step=st.floats(0.01, 50),
)
def test_improving_a_value_never_lowers_the_total(mixed_scheme, rows, unit, which, step):
    # Every indicator rises with x and z and falls with y; so does every aggregation.
    unit %= len(rows)
    x, y, z = (list(column) for column in zip(*rows, strict=True))
    before = totals(mixed_scheme, x, y, z)[unit]
    column = {"x": x, "y": y, "z": z}[which]
    column[unit] += -step if which == "y" else step
    after = totals(mixed_scheme, x, y, z)[unit]
    assert after >= before - 1e-9 * max(1.0, abs(before))


# --------------------------------------------------------------------------- row order

ORDER_CASE_FACTS = {
    f"U{i:02d}": {"x": float((i * 37) % 101), "y": float((i * 13) % 7), "z": None if i == 5 else i}
    for i in range(12)
}


@pytest.fixture(scope="module")
def order_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("order")
    indicators = {
        "a": {"expr": "x", "score": {"method": "minmax"}},
        "b": {"expr": "y", "direction": "lower", "score": {"method": "percentile"}},
        "c": {"expr": "z", "score": {"method": "zscore", "mean": 0.5, "sd": 0.2}},
    }
    scheme = facts_scheme(
        indicators=indicators,
        unit_attributes={"group": {"type": "text"}},
        grading={"method": "peer_sd", "peer_group": "group", "bands": [[0.5, "好"], [None, "差"]]},
        vetoes=[{"id": "v", "when": "y >= 6", "grade": "差", "reason": "测试"}],
        outcomes=[{"when": "grade = '好'", "actions": [{"commend": {}}]}],
    )
    attributes = {
        code: {"group": "甲" if i % 3 else "乙"} for i, code in enumerate(ORDER_CASE_FACTS)
    }
    case = write_facts_case(folder / "case", scheme, ORDER_CASE_FACTS, attributes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAOHE_LANG", "en")  # the notes column is in the user's language
        case.assess(folder / "reference")
    return case, folder, (folder / "reference" / "results.csv").read_bytes()


@SLOW
@given(data=st.data())
def test_row_order_of_units_and_sources_does_not_change_results(order_case, data):
    case, folder, reference = order_case
    units = (case.data / "units.csv").read_text(encoding="utf-8").splitlines()
    facts = (case.data / "facts.csv").read_text(encoding="utf-8").splitlines()
    shuffled_units = data.draw(st.permutations(units[1:]), label="units")
    shuffled_facts = data.draw(st.permutations(facts[1:]), label="facts")
    target = folder / "shuffled"
    target.mkdir(exist_ok=True)
    for name, header, rows in (
        ("units.csv", units[0], shuffled_units),
        ("facts.csv", facts[0], shuffled_facts),
    ):
        (target / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    scheme_path = str(case.scheme)
    assess(scheme_path, target, folder / "out")
    assert (folder / "out" / "results.csv").read_bytes() == reference


def test_the_order_case_is_not_trivial(order_case):
    """The reference run has ties, a missing value, two peer groups, vetoes and outcomes."""
    _, folder, reference = order_case
    text = reference.decode("utf-8")
    assert "好" in text and "差" in text and "通报表扬" in text
    assert ",true," in text  # a vetoed unit
    assert write_csv  # (the helper is shared with other modules)
