"""Next year's allocation by the factor method: a hand-computed case, the effect of performance,
and the invariants (exact totals, no effect without a performance weight)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.funds import ALLOCATION_FORMULA, write_csv

from kaohe.errors import SchemeError
from kaohe.funds.allocation import allocate, combine, load_allocation_rules, split
from kaohe.funds.tables import read_table


@pytest.fixture
def case(tmp_path):
    data = tmp_path / "data"
    write_csv(
        data / "units.csv",
        ["unit", "name", "parent", "level"],
        [
            ["P", "省", "", "province"],
            ["A", "甲县", "P", "county"],
            ["B", "乙县", "P", "county"],
            ["C", "丙县", "P", "county"],
        ],
    )
    write_csv(
        data / "need.csv",
        ["unit", "poor", "income"],
        [["A", 60, 5000], ["A", 40, 5000], ["B", 300, 10000], ["C", 100, 10000]],
    )
    scores = write_csv(
        tmp_path / "unit_scores.csv", ["unit", "final_score"], [["A", 90], ["B", 70]]
    )
    formula = tmp_path / "formula.yaml"
    formula.write_text(ALLOCATION_FORMULA, encoding="utf-8")
    return data, formula, read_table(scores, {"unit": ()}, ["unit", "final_score"])


def test_a_hand_computed_allocation(case):
    data, formula, scores = case
    result = allocate(data, load_allocation_rules(formula), scores)
    rows = {r["unit"]: r for r in result.rows()}
    # shares — poor: A 100, B 300, C 100 → .2 .6 .2; income inverse: 1/5000, 1/10000, 1/10000
    # → .5 .25 .25; performance above 60: A 30, B 10, C none → .75 .25 0.
    assert rows["A"]["poor_share"] == pytest.approx(0.2)
    assert rows["B"]["income_share"] == pytest.approx(0.25)
    assert rows["C"]["performance_share"] == 0.0
    # with: 1000 × (.6 s_poor + .2 s_income + .2 s_performance)
    assert [rows[u]["allocation"] for u in "ABC"] == [370.0, 460.0, 170.0]
    # without: 1000 × (.75 s_poor + .25 s_income)
    assert [rows[u]["allocation_without_performance"] for u in "ABC"] == [275.0, 512.5, 212.5]
    assert [rows[u]["performance_effect"] for u in "ABC"] == [95.0, -52.5, -42.5]
    assert rows["C"]["performance_score"] is None
    assert result.weights == pytest.approx({"poor": 0.6, "income": 0.2, "performance": 0.2})


def test_without_a_performance_weight_performance_changes_nothing(case):
    data, formula, scores = case
    result = allocate(data, load_allocation_rules(formula, {"weight_performance": 0}), scores)
    assert result.with_performance == result.without_performance


def test_a_formula_with_an_unknown_source_or_bad_expression_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ALLOCATION_FORMULA.replace(
            'source: need, expr: "sum(poor)"', 'source: needs, expr: "sum(poor)"'
        ).replace('expr: "avg(income)"', 'expr: "avg(incme)"'),
        encoding="utf-8",
    )
    with pytest.raises(SchemeError) as error:
        load_allocation_rules(bad)
    message = str(error.value)
    assert "undeclared source needs" in message or "未声明的数据源 needs" in message
    assert "incme" in message


@settings(max_examples=80, deadline=None)
@given(
    total=st.floats(min_value=0.01, max_value=1e7),
    weights=st.lists(st.floats(min_value=0, max_value=1e3), min_size=1, max_size=30),
)
def test_amounts_add_up_to_the_total_to_the_cent(total, weights):
    amounts = split(total, weights)
    if sum(weights) > 0:
        assert round(sum(amounts) * 100) == round(total * 100)
    assert all(a >= 0 for a in amounts)


@settings(max_examples=60, deadline=None)
@given(
    need=st.lists(st.floats(min_value=0.1, max_value=100), min_size=2, max_size=12),
    performance=st.lists(st.floats(min_value=0, max_value=40), min_size=2, max_size=12),
    bump=st.floats(min_value=0.1, max_value=20),
)
def test_a_better_score_never_lowers_a_county_allocation(need, performance, bump):
    size = min(len(need), len(performance))
    need, performance = need[:size], performance[:size]

    def allocation(perf):
        shares = {
            "need": [v / sum(need) for v in need],
            "performance": [v / sum(perf) if sum(perf) else 0.0 for v in perf],
        }
        return combine(shares, {"need": 0.8, "performance": 0.2}, 10000.0)[0]

    before = allocation(performance)
    after = allocation([performance[0] + bump, *performance[1:]])
    assert after[0] >= before[0] - 0.01  # rounding to the cent only
