"""Ranks (competition ranking, peer groups) and grading methods (rank.py, grade.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.support.engine import per_unit, run_facts

from kaohe.scoring.rank import competition_rank

BASE = {"base": {"expr": "x", "score": {"method": "goalposts", "min": 0, "max": 100}}}
BANKS = {"size": {"type": "text", "label": "同组"}}


def ranks(scores: list[float]) -> list[int]:
    return [int(r) for r in competition_rank(np.array(scores, dtype=float))]


# --------------------------------------------------------------------------- ranks


def test_competition_ranking_ties_share_the_better_rank():
    assert ranks([90, 80, 80, 70]) == [1, 2, 2, 4]
    assert ranks([70, 80, 90, 90, 90]) == [5, 4, 1, 1, 1]


def test_units_without_a_score_have_no_rank():
    result = competition_rank(np.array([math.nan, 60, math.nan, 70]))
    assert result[1] == 2 and result[3] == 1
    assert math.isnan(result[0]) and math.isnan(result[2])


def test_floating_point_noise_does_not_break_a_tie():
    assert ranks([0.1 + 0.2, 0.3, 0.29]) == [1, 1, 3]


def test_ranks_within_peer_groups(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 90}, "B": {"x": 80}, "C": {"x": 80}, "D": {"x": 70}, "E": {"x": 85}},
        attributes={
            "A": {"size": "large"},
            "B": {"size": "large"},
            "C": {"size": "small"},
            "D": {"size": "large"},
            "E": {"size": "small"},
        },
        unit_attributes=BANKS,
        indicators=BASE,
        grading={"method": "bands", "peer_group": "size", "bands": [[None, "合格"]]},
    )
    assert per_unit(result, "rank") == {"A": 1, "B": 3, "C": 3, "D": 5, "E": 2}
    assert per_unit(result, "group_rank") == {"A": 1, "B": 2, "C": 2, "D": 3, "E": 1}


# --------------------------------------------------------------------------- absolute bands


def test_absolute_bands_include_the_cut(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 90}, "B": {"x": 89.99}, "C": {"x": 60}, "D": {"x": 0}},
        indicators=BASE,
        grading={"bands": [[90, "优秀"], [80, "良好"], [60, "及格"], [None, "不及格"]]},
    )
    assert per_unit(result, "grade") == {"A": "优秀", "B": "良好", "C": "及格", "D": "不及格"}


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([[90, "好"], [80, "较好"]], "last band"),
        ([[None, "好"], [None, "较差"]], "only the last band"),
        ([[90, "好"], [None, "好"]], "only one band"),
        ([], "at least one band"),
    ],
)
def test_bands_are_checked(bands, message):
    from kaohe.scheme.model import Grading

    with pytest.raises(ValueError, match=message):
        Grading.model_validate({"bands": bands})


# --------------------------------------------------------------------------- peer mean ± k·sd

# The bank assessment: 优秀 >= mean + sd; 良好 in [mean, mean + sd); 一般 in [mean − sd, mean);
# 勉励 < mean − sd, within each peer group.
PEER_SD = [[1, "优秀"], [0, "良好"], [-1, "一般"], [None, "勉励"]]

# Group "large": 50, 70, 75, 80, 92 → mean 73.4; squared deviations 547.56 + 11.56 + 2.56
# + 43.56 + 345.96 = 951.2; population sd sqrt(951.2 / 5) = 13.7928 (cuts 87.193 / 73.4 / 59.607);
# sample sd sqrt(951.2 / 4) = 15.4208 (cuts 88.821 / 73.4 / 57.979).
# Group "small": 10, 20, 30 → mean 20; population sd sqrt(200 / 3) = 8.1650 (cuts 28.165 / 20 /
# 11.835); sample sd sqrt(200 / 2) = 10 (cuts 30 / 20 / 10: S1 and S3 sit exactly on a cut).
LARGE = {"L1": 50, "L2": 70, "L3": 75, "L4": 80, "L5": 92}
SMALL = {"S1": 10, "S2": 20, "S3": 30}


def run_peer_sd(tmp_path, sd: str):
    facts = {code: {"x": x} for code, x in {**LARGE, **SMALL}.items()}
    attributes = {code: {"size": "large" if code[0] == "L" else "small"} for code in facts}
    return run_facts(
        tmp_path,
        facts,
        attributes=attributes,
        unit_attributes=BANKS,
        indicators=BASE,
        grading={"method": "peer_sd", "peer_group": "size", "sd": sd, "bands": PEER_SD},
    )


def test_peer_sd_with_the_population_sd(tmp_path):
    result = run_peer_sd(tmp_path, "population")
    assert per_unit(result, "grade") == {
        "L1": "勉励",  # 50 < 59.607
        "L2": "一般",  # 59.607 <= 70 < 73.4
        "L3": "良好",
        "L4": "良好",
        "L5": "优秀",  # 92 >= 87.193
        "S1": "勉励",  # 10 < 11.835
        "S2": "良好",  # the mean itself
        "S3": "优秀",  # 30 >= 28.165
    }
    groups = result.state.log["grade"]["groups"]
    assert groups["large"] == {"mean": pytest.approx(73.4), "sd": pytest.approx(13.792752), "n": 5}
    assert groups["small"] == {"mean": pytest.approx(20), "sd": pytest.approx(8.164966), "n": 3}


def test_peer_sd_with_the_sample_sd(tmp_path):
    result = run_peer_sd(tmp_path, "sample")
    grades = per_unit(result, "grade")
    assert grades["S1"] == "一般"  # 10 >= 20 - 10: a cut includes its bound
    assert grades["S3"] == "优秀"  # 30 >= 20 + 10
    assert [grades[u] for u in LARGE] == ["勉励", "一般", "良好", "良好", "优秀"]
    assert result.state.log["grade"]["groups"]["large"]["sd"] == pytest.approx(15.420765)


def test_peer_sd_rule_is_explained(tmp_path):
    result = run_peer_sd(tmp_path, "population")
    rule = dict(zip(result.state.units, result.state.grade_rules, strict=True))["L5"]
    assert rule == "score >= mean 73.4000 + 1 × sd 13.7928 = 87.1928 → 优秀"


# --------------------------------------------------------------------------- quantile shares


def test_quantile_shares_by_rank(tmp_path):
    # ten units 10, 20, … 100: the best 20% A, the next to 50% B, the rest C
    facts = {f"U{i:02d}": {"x": 10 * i} for i in range(1, 11)}
    result = run_facts(
        tmp_path,
        facts,
        indicators=BASE,
        grading={"method": "quantiles", "bands": [[0.2, "A"], [0.5, "B"], [None, "C"]]},
    )
    grades = per_unit(result, "grade")
    assert [grades[f"U{i:02d}"] for i in range(10, 0, -1)] == list("AABBBCCCCC")


def test_quantile_ties_at_the_cut_share_the_better_grade(tmp_path):
    # 100, 90, 90, 80, 70: ranks 1, 2, 2, 4, 5; 40% → rank <= 2
    facts = {"A": {"x": 100}, "B": {"x": 90}, "C": {"x": 90}, "D": {"x": 80}, "E": {"x": 70}}
    result = run_facts(
        tmp_path,
        facts,
        indicators=BASE,
        grading={"method": "quantiles", "bands": [[0.4, "前列"], [None, "其他"]]},
    )
    assert per_unit(result, "grade") == {
        "A": "前列",
        "B": "前列",
        "C": "前列",
        "D": "其他",
        "E": "其他",
    }


# --------------------------------------------------------------------------- top N


def test_top_n_within_peer_groups(tmp_path):
    facts = {code: {"x": x} for code, x in {**LARGE, **SMALL}.items()}
    attributes = {code: {"size": "large" if code[0] == "L" else "small"} for code in facts}
    result = run_facts(
        tmp_path,
        facts,
        attributes=attributes,
        unit_attributes=BANKS,
        indicators=BASE,
        grading={"method": "top_n", "peer_group": "size", "bands": [[2, "入选"], [None, "未入选"]]},
    )
    chosen = sorted(u for u, g in per_unit(result, "grade").items() if g == "入选")
    assert chosen == ["L4", "L5", "S2", "S3"]


def test_units_without_a_score_get_no_grade(tmp_path):
    result = run_facts(
        tmp_path,
        {"A": {"x": 95}, "B": {"x": None}},
        indicators=BASE,
        grading={"method": "top_n", "bands": [[5, "入选"], [None, "未入选"]]},
    )
    assert per_unit(result, "grade") == {"A": "入选", "B": None}
