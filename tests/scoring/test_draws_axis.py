"""The rank and grade steps' array functions on a leading draws axis (scoring/rank.py, grade.py).

The sensitivity analysis ranks and grades draws × units arrays with these functions; the run
ranks and grades its one row of scores with the same ones inside its steps. Here each draw is
also scored alone through the real steps (``score`` with the full STEPS), and the two must agree
on every draw: ties, units without a score (withheld: no rank, no grade), peer groups, each
grading method and the vetoes' caps.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest

from kaohe.scheme import load_scheme
from kaohe.scoring import STEPS, ScoringState, score
from kaohe.scoring.grade import NO_GRADE, Grader, assign_grades, cap_grades
from kaohe.scoring.rank import (
    NO_RANK,
    assign_ranks,
    competition_rank,
    competition_ranks,
    group_ranks,
)

UNITS = [f"U{i:02d}" for i in range(24)]
SIZES = np.array(["large" if i % 3 else "small" for i in range(len(UNITS))], dtype=object)


def write_scheme(tmp_path, grading: dict, vetoes: bool = True):
    """One indicator ``x`` scored 0–100 (so the score is x), graded by ``grading``; two vetoes: a
    ceiling on x >= 95 (at most the second grade) and a fixed grade (the last) on x <= 10."""
    grades = [grade for _, grade in grading["bands"]]
    scheme = {
        "id": "draws-axis-test",
        "title": "批量评级测试",
        "version": "1",
        "policy_source": "tests",
        "assesses": {"kind": "region", "level": "county"},
        "unit_attributes": {"size": {"type": "text"}},
        "sources": {"facts": {"columns": {"x": "number"}}},
        "measures": {"x": {"source": "facts", "expr": "max(x)"}},
        "indicators": {
            "index": {"expr": "x", "score": {"method": "goalposts", "min": 0, "max": 100}}
        },
        "tree": ["index"],
        "grading": grading,
    }
    if vetoes:
        scheme["vetoes"] = [
            {"id": "high", "when": "x >= 95", "grade_at_most": grades[1], "reason": "上限"},
            {"id": "low", "when": "x <= 10", "grade": grades[-1], "reason": "定为末等"},
        ]
    path = tmp_path / "scheme.yaml"
    path.write_text(json.dumps(scheme, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return load_scheme(str(path))


def state_of(scheme, con, x: np.ndarray) -> ScoringState:
    values = {"x": np.asarray(x, dtype=float), "size": SIZES[: len(x)].copy()}
    units = UNITS[: len(x)]
    return ScoringState(scheme=scheme, units=units, names=units, values=values, con=con)


def draws_of_x(seed: int, draws: int = 30) -> np.ndarray:
    """Multiples of 5 (many ties), about one in eight missing (a missing x withholds the grade)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 21, size=(draws, len(UNITS))) * 5.0
    x[rng.random(x.shape) < 0.125] = np.nan
    return x


GRADINGS = {
    "bands": {"bands": [[80, "A"], [50, "B"], [None, "C"]]},
    "bands_in_groups": {"peer_group": "size", "bands": [[80, "A"], [50, "B"], [None, "C"]]},
    "peer_sd_population": {
        "method": "peer_sd",
        "peer_group": "size",
        "bands": [[1, "A"], [0, "B"], [-1, "C"], [None, "D"]],
    },
    "peer_sd_sample": {
        "method": "peer_sd",
        "peer_group": "size",
        "sd": "sample",
        "bands": [[1, "A"], [0, "B"], [-1, "C"], [None, "D"]],
    },
    "quantiles": {"method": "quantiles", "bands": [[0.2, "A"], [0.5, "B"], [None, "C"]]},
    "quantiles_in_groups": {
        "method": "quantiles",
        "peer_group": "size",
        "bands": [[0.25, "A"], [0.6, "B"], [None, "C"]],
    },
    "top_n": {"method": "top_n", "bands": [[3, "A"], [8, "B"], [None, "C"]]},
    "top_n_in_groups": {"method": "top_n", "peer_group": "size", "bands": [[2, "A"], [None, "B"]]},
}


@pytest.mark.parametrize("name", list(GRADINGS))
def test_draws_at_once_equal_the_steps_run_on_each_draw(tmp_path, name):
    scheme = write_scheme(tmp_path, GRADINGS[name])
    x = draws_of_x(seed=len(name))
    scores, ranks, in_group, grades, hits = [], [], [], [], []
    with duckdb.connect() as con:
        for row in x:
            state = score(state_of(scheme, con, row))
            scores.append(state.values["score"])
            ranks.append(state.values["rank"])
            in_group.append(state.values["group_rank"])
            grades.append(state.values["grade"])
            hits.append(state.veto_hits)
        grader = Grader(state)
    scores = np.array(scores)
    veto_hits = [np.array([draw[v] for draw in hits]) for v in range(len(grader.bounds))]

    assert competition_ranks(scores).tolist() == np.nan_to_num(ranks, nan=NO_RANK).tolist()
    assert group_ranks(scores, grader.members).tolist() == (
        np.nan_to_num(in_group, nan=NO_RANK).tolist()
    )
    expected = np.array([grader.indices(row) for row in grades])
    assert grader.grade(scores, veto_hits).tolist() == expected.tolist()
    # the draws exercised what they are meant to: withheld units, ties, vetoes that lowered
    assert (expected == NO_GRADE).any() and np.isnan(x).any()
    assert not np.array_equal(grader.bands(scores), grader.grade(scores, veto_hits))


def test_withheld_units_get_no_rank_and_no_grade_in_any_draw(tmp_path):
    scheme = write_scheme(tmp_path, GRADINGS["top_n"])
    with duckdb.connect() as con:
        state = score(state_of(scheme, con, [90.0, np.nan, 5.0, 99.0]))
    assert state.values["status"].tolist() == ["graded", "withheld", "graded", "graded"]
    scores = np.array([[90.0, np.nan, 5.0, 99.0], [np.nan, np.nan, 50.0, 60.0]])
    every_veto = [np.ones(scores.shape, dtype=bool)] * 2  # a veto cannot grade a withheld unit
    grader = Grader(state)
    assert competition_ranks(scores).tolist() == [[2, NO_RANK, 3, 1], [NO_RANK, NO_RANK, 2, 1]]
    assert grader.grade(scores, every_veto)[:, :2].tolist() == [[2, NO_GRADE], [NO_GRADE] * 2]
    assert state.values["grade"].tolist() == ["A", None, "C", "B"]  # 99: top 3, capped by `high`
    assert np.isnan(state.values["rank"][1]) and np.isnan(competition_rank(scores)[0, 1])


def test_ties_share_the_better_rank_in_every_draw():
    scores = np.array([[90, 80, 80, 70], [70, 70, 70, 60], [0.1 + 0.2, 0.3, 0.29, np.nan]])
    assert competition_ranks(scores).tolist() == [[1, 2, 2, 4], [1, 1, 1, 4], [1, 1, 3, NO_RANK]]
    assert competition_ranks(scores).dtype == np.int32  # kept per draw and unit: 4 bytes
    assert competition_ranks(np.empty((3, 0))).shape == (3, 0)


def test_peer_sd_statistics_are_taken_per_draw_over_the_scored_units(tmp_path):
    grading = {**GRADINGS["peer_sd_sample"], "peer_group": None}
    grader = Grader(state_of(write_scheme(tmp_path, grading), None, [0.0] * 5))
    scores = np.array(
        [[50, 70, 75, 80, 92], [10, 20, 30, np.nan, np.nan], [7, np.nan] + [np.nan] * 3]
    )
    mean, sd, count = grader.statistics(scores)
    assert count[:, 0].tolist() == [5, 3, 1]
    np.testing.assert_allclose(mean[:, 0], [73.4, 20, 7])
    np.testing.assert_allclose(sd[:, 0], [15.420765, 10, 0], rtol=1e-6)  # one score: sd 0
    # a cut includes its bound: in the second draw 10 = 20 - 10 and 30 = 20 + 10 (sample sd)
    assert grader.bands(scores)[1, :3].tolist() == [2, 1, 0]


def test_quantiles_count_the_scored_units_of_each_draw(tmp_path):
    scheme = write_scheme(tmp_path, {"method": "quantiles", "bands": [[0.5, "A"], [None, "B"]]})
    grader = Grader(state_of(scheme, None, [0.0] * 4))
    scores = np.array([[100, 90, 80, 70], [100, 90, np.nan, np.nan], [90, 90, 90, 70]])
    assert grader.bands(scores).tolist() == [
        [0, 0, 1, 1],  # rank <= 0.5 × 4
        [0, 1, NO_GRADE, NO_GRADE],  # rank <= 0.5 × 2: the withheld do not count
        [0, 0, 0, 1],  # ties at the cut share the better grade
    ]


def test_top_n_with_ties_within_peer_groups(tmp_path):
    grader = Grader(state_of(write_scheme(tmp_path, GRADINGS["top_n_in_groups"]), None, [0.0] * 6))
    # units 0 and 3 are small, the others large (SIZES)
    scores = np.array([[10, 90, 80, 20, 80, 70], [10, 90, 90, 5, 90, 70]])
    assert grader.bands(scores).tolist() == [[0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1]]


def test_a_veto_only_lowers_and_the_worst_bound_wins_in_any_order():
    grades = np.array([[0, 1, 2, 3, NO_GRADE], [3, 2, 1, 0, NO_GRADE]], dtype=np.int8)
    hit = np.array([True, True, True, False, True])  # one row of hits for every draw
    assert cap_grades(grades, hit, 1).tolist() == [[1, 1, 2, 3, -1], [3, 2, 1, 0, -1]]
    both = cap_grades(cap_grades(grades, hit, 1), hit, 2)
    assert both.tolist() == cap_grades(cap_grades(grades, hit, 2), hit, 1).tolist()
    assert both.tolist() == [[2, 2, 2, 3, -1], [3, 2, 2, 0, -1]]


def test_the_step_records_the_veto_in_words(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "zh")
    scheme = write_scheme(tmp_path, GRADINGS["bands"])
    with duckdb.connect() as con:
        state = score(state_of(scheme, con, [99.0, 60.0, 5.0]))
    assert state.values["grade"].tolist() == ["B", "B", "C"]
    assert state.grade_rules[0] == "score >= 80 → A；一票否决 high（上限）→ B"
    assert state.grade_rules[1] == "score >= 50 → B"
    assert state.grade_rules[2] == "其余 → C"  # already the last grade: the veto changes nothing


def test_score_takes_only_a_part_of_steps_in_its_order(tmp_path):
    scheme = write_scheme(tmp_path, GRADINGS["bands"], vetoes=False)
    with duckdb.connect() as con:
        state = score(state_of(scheme, con, [90.0, 40.0]))
        state.values["score"] = np.array([40.0, 90.0])
        score(state, steps=(assign_ranks, assign_grades))  # ranks and grades again, nothing else
        assert state.values["rank"].tolist() == [2.0, 1.0]
        assert state.values["grade"].tolist() == ["C", "A"]
        for steps in [(assign_grades, assign_ranks), (*STEPS, assign_ranks), (lambda s: None,)]:
            with pytest.raises(ValueError, match="STEPS"):
                score(state, steps=steps)
