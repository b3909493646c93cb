"""Normalization (scoring/normalize.py): each scoring rule against hand-computed values.

The rules are called directly on arrays (``normalize``) where the formula is the point, and once
each through a real run where the rule depends on data the run provides (targets, other units).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.support.engine import per_unit, run_facts

from kaohe.scheme.model import Indicator
from kaohe.scoring.normalize import normalize

NAN = float("nan")


def scores(rule: dict, values: list[float], direction: str = "higher", target=None) -> list:
    indicator = Indicator.model_validate({"expr": "x", "direction": direction, "score": rule})
    array = np.array(values, dtype=float)
    target_array = None if target is None else np.array(target, dtype=float)
    result, _ = normalize(array, indicator, target_array)
    return [None if math.isnan(v) else round(float(v), 12) for v in result]


# --------------------------------------------------------------------------- min-max


def test_minmax_rescales_between_the_worst_and_best_unit():
    # min 2, max 6: (x - 2) / 4
    assert scores({"method": "minmax"}, [2, 4, 6, 3]) == [0.0, 0.5, 1.0, 0.25]


def test_minmax_lower_is_better_reverses():
    assert scores({"method": "minmax"}, [2, 4, 6, 3], "lower") == [1.0, 0.5, 0.0, 0.75]


def test_minmax_ignores_missing_units_and_keeps_them_missing():
    assert scores({"method": "minmax"}, [NAN, 10, 20]) == [None, 0.0, 1.0]


def test_minmax_without_spread_gives_everyone_full_marks():
    assert scores({"method": "minmax"}, [5, 5, NAN]) == [1.0, 1.0, None]


def test_minmax_records_the_min_and_max_it_used():
    indicator = Indicator.model_validate({"expr": "x", "score": {"method": "minmax"}})
    _, params = normalize(np.array([3.0, 9.0, NAN]), indicator, None)
    assert params == {"min": 3.0, "max": 9.0}


# --------------------------------------------------------------------------- goalposts


LIFE = {"method": "goalposts", "min": 20, "max": 85}


def test_goalposts_are_fixed_not_taken_from_the_units():
    # (52.5 - 20) / 65 = 0.5; (46 - 20) / 65 = 0.4
    assert scores(LIFE, [52.5, 46, 85, 20]) == [0.5, 0.4, 1.0, 0.0]


def test_goalposts_cap_values_outside_by_default():
    assert scores(LIFE, [90, 10]) == [1.0, 0.0]


def test_goalposts_without_cap_extrapolate():
    rule = {**LIFE, "cap": False}
    # (90 - 20) / 65 and (10 - 20) / 65
    assert scores(rule, [90, 10]) == [round(70 / 65, 12), round(-10 / 65, 12)]


def test_goalposts_lower_is_better():
    # 1 - (33 - 20) / 65 = 0.8
    assert scores(LIFE, [33, 85, 10], "lower") == [0.8, 0.0, 1.0]


def test_log_goalposts_like_the_hdi_income_index():
    rule = {"method": "goalposts", "min": 100, "max": 75000, "log": True}
    # ln(1000/100) / ln(75000/100) = ln 10 / ln 750
    expected = round(math.log(10) / math.log(750), 12)
    assert scores(rule, [1000, 100, 75000, 200000, 50]) == [expected, 0.0, 1.0, 1.0, 0.0]


def test_log_goalposts_without_cap_leave_non_positive_values_missing():
    rule = {"method": "goalposts", "min": 100, "max": 75000, "log": True, "cap": False}
    assert scores(rule, [0, -5])[0] is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"method": "goalposts", "min": 5, "max": 5}, "max > min"),
        ({"method": "goalposts", "min": 0, "max": 5, "log": True}, "min > 0"),
    ],
)
def test_goalposts_reject_unusable_bounds(rule, message):
    with pytest.raises(ValueError, match=message):
        Indicator.model_validate({"expr": "x", "score": rule})


# --------------------------------------------------------------------------- target achievement


def test_target_achievement_is_value_over_target_capped():
    rule = {"method": "target"}  # cap 1.0, floor 0.0
    assert scores(rule, [0.8, 1.2, 0.0, 0.5], target=[1.0, 1.0, 1.0, 2.0]) == [
        0.8,
        1.0,
        0.0,
        0.25,
    ]


def test_target_achievement_cap_and_floor():
    rule = {"method": "target", "cap": 1.2, "floor": 0.5}
    # 1.3 → capped at 1.2; 1.1 stays; 0.3 → floored at 0.5
    assert scores(rule, [1.3, 1.1, 0.3], target=[1, 1, 1]) == [1.2, 1.1, 0.5]


def test_target_achievement_lower_is_better_is_target_over_value():
    rule = {"method": "target"}
    # target 2%: 4% achieves 0.02 / 0.04 = 0.5; 1% beats the target (capped 1); 0 is perfect
    assert scores(rule, [0.04, 0.01, 0.0], "lower", target=[0.02] * 3) == [0.5, 1.0, 1.0]


def test_target_achievement_without_a_usable_target_is_missing():
    rule = {"method": "target"}
    assert scores(rule, [0.5, 0.5, NAN], target=[0.0, NAN, 1.0]) == [None, None, None]


def test_target_from_a_units_column_through_a_run(tmp_path):
    result = run_facts(
        tmp_path,
        facts={"A": {"x": 30}, "B": {"x": 30}, "C": {"x": 90}},
        attributes={"A": {"plan": 60}, "B": {"plan": 20}, "C": {"plan": 100}},
        unit_attributes={"plan": {"type": "number"}},
        indicators={
            "growth": {"expr": "x", "target": {"column": "plan"}, "score": {"method": "target"}}
        },
    )
    # 30/60, 30/20 capped, 90/100; one indicator of 100 points
    assert per_unit(result, "score") == {"A": 50.0, "B": 100.0, "C": pytest.approx(90.0)}
    assert per_unit(result, result.state.targets["growth"]) == {"A": 60.0, "B": 20.0, "C": 100.0}


def test_method_target_needs_a_target():
    # the model accepts it; the scheme check reports it (see test_scheme_check)
    Indicator.model_validate({"expr": "x", "score": {"method": "target"}})


# --------------------------------------------------------------------------- score tables

WRONG_EXIT = {
    "method": "table",
    "rows": [[0, 0.01, 1.0], [0.01, 0.02, 0.6], [0.02, None, 0.0]],
}


def test_table_rows_include_from_and_exclude_to():
    assert scores(WRONG_EXIT, [0.0, 0.005, 0.01, 0.0199, 0.02, 0.5]) == [
        1.0,
        1.0,
        0.6,
        0.6,
        0.0,
        0.0,
    ]


def test_table_value_outside_every_row_earns_nothing_and_missing_stays_missing():
    assert scores(WRONG_EXIT, [-0.1, NAN]) == [0.0, None]


def test_table_open_lower_end():
    rule = {"method": "table", "rows": [[None, 60, 0.0], [60, 80, 0.5], [80, None, 1.0]]}
    assert scores(rule, [-1000, 59.9, 60, 80, 1e9]) == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_table_rows_must_not_be_reversed():
    with pytest.raises(ValueError, match="greater"):
        Indicator.model_validate(
            {"expr": "x", "score": {"method": "table", "rows": [[0.5, 0.1, 1.0]]}}
        )


# --------------------------------------------------------------------------- z-score


def test_zscore_uses_the_population_sd_of_the_assessed_units():
    # mean 2, population sd sqrt(2/3)
    z = 1 / math.sqrt(2 / 3)
    assert scores({"method": "zscore"}, [1, 2, 3, NAN]) == [round(-z, 12), 0.0, round(z, 12), None]


def test_zscore_mapped_to_a_mean_and_sd_and_reversed_when_lower_is_better():
    rule = {"method": "zscore", "mean": 50, "sd": 10}
    z = 1 / math.sqrt(2 / 3)
    assert scores(rule, [1, 2, 3], "lower") == [
        round(50 + 10 * z, 12),
        50.0,
        round(50 - 10 * z, 12),
    ]


def test_zscore_without_spread_is_the_mean():
    assert scores({"method": "zscore", "mean": 50, "sd": 10}, [4, 4]) == [50.0, 50.0]


@pytest.mark.parametrize(("value", "units"), [(0.1, 3), (0.7, 3), (2.3, 7)])
def test_zscore_of_equal_values_is_the_mean_whatever_the_rounding(value, units):
    rule = {"method": "zscore", "mean": 50, "sd": 10}
    assert scores(rule, [value] * units) == [50.0] * units


# --------------------------------------------------------------------------- percentile rank


def test_percentile_rank_averages_ties():
    # four units: below / (n - 1), ties count half: 10 → 0, 20 → (1 + 0.5) / 3, 40 → 1
    assert scores({"method": "percentile"}, [10, 20, 20, 40]) == [0.0, 0.5, 0.5, 1.0]


def test_percentile_rank_lower_is_better():
    assert scores({"method": "percentile"}, [10, 20, 30, NAN], "lower") == [1.0, 0.5, 0.0, None]


def test_percentile_rank_of_a_single_unit_is_full():
    assert scores({"method": "percentile"}, [NAN, 7]) == [None, 1.0]


# --------------------------------------------------------------------------- threshold


def test_threshold_pass_fail_inclusive_by_default():
    rule = {"method": "threshold", "value": 0.9}
    assert scores(rule, [0.9, 0.95, 0.8999, NAN]) == [1.0, 1.0, 0.0, None]


def test_threshold_exclusive():
    rule = {"method": "threshold", "value": 0.9, "inclusive": False}
    assert scores(rule, [0.9, 0.91]) == [0.0, 1.0]


def test_threshold_lower_is_better():
    # the 2% wrong-exit bar: at most 2% passes
    rule = {"method": "threshold", "value": 0.02}
    assert scores(rule, [0.02, 0.0201, 0.0], "lower") == [1.0, 0.0, 1.0]


# --------------------------------------------------------------------------- through a run


def test_normalized_scores_and_points_through_a_run(tmp_path):
    result = run_facts(
        tmp_path,
        facts={"A": {"x": 52.5, "y": 10}, "B": {"x": 85, "y": 30}},
        indicators={
            "life": {"expr": "x", "score": LIFE, "points": 60},
            "rank_y": {"expr": "y", "score": {"method": "minmax"}, "points": 40},
        },
    )
    normalized = result.state.normalized
    assert per_unit(result, normalized["life"]) == {"A": 0.5, "B": 1.0}
    assert per_unit(result, normalized["rank_y"]) == {"A": 0.0, "B": 1.0}
    # points = normalized × the indicator's points; total 100
    assert per_unit(result, result.state.points["life"]) == {"A": 30.0, "B": 60.0}
    assert per_unit(result, "score") == {"A": 30.0, "B": 100.0}
