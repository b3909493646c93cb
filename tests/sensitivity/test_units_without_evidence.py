"""Units whose evidence is missing, through the vectorized engine and the per-draw loop.

A unit withheld in the run has no score, rank or grade in any draw; a veto that cannot be decided
and that the scheme applies anyway (``when_missing: apply``) caps the grade in every draw, as the
veto step does in the run — the nominal self-check (``check_nominal``) must pass on both.
"""

from __future__ import annotations

import numpy as np

# the benchmark's baseline: one draw at a time through the scoring steps
from bench import sensitivity_loop
from tests.support.sensitivity import RATE_SCHEME, assess_case

from kaohe.scoring.grade import NO_GRADE
from kaohe.scoring.rank import NO_RANK
from kaohe.sensitivity import Settings, analyse, parse_weights
from kaohe.sensitivity.draws import build_design
from kaohe.sensitivity.reload import reload_run
from kaohe.sensitivity.rescoring import Rescorer
from kaohe.sensitivity.sampling import build_samplers

# Accuracy counts a missing rate as zero, so a province without checks is still graded; the veto
# caps at 差 and applies when the rate cannot be told.
APPLY_SCHEME = (
    RATE_SCHEME.replace("children: [wrong_rate]}", "children: [wrong_rate], missing: zero}")
    .replace("grade_at_most: 一般", "grade_at_most: 差")
    .replace("reason: 错退率超过 2%}", "reason: 错退率超过 2%, when_missing: apply}")
)
PROVINCES = [
    # code, name, output, quality, wrong, checked
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 90.0, 95.0, 0, 0),  # no checks: the rate is missing
    ("130000", "河北省", 70.0, 80.0, 0, 60),
    ("140000", "山西省", 80.0, 85.0, 1, 70),
]


def both_ways(state, draws: int = 60):
    """Ranks and grades of the same draws by the vectorized engine and by the per-draw loop."""
    settings = Settings(draws=draws, seed=4, weights=parse_weights("uniform:0.3"))
    samplers, _ = build_samplers(state, settings, {})
    design = build_design(state.scheme.tree, settings, samplers, {})
    (rows,) = design.chunks(design.base)
    vectorized = Rescorer(state, settings, {s.indicator for s in samplers}).score(rows)
    _, ranks, grades = sensitivity_loop.score_rows_by_loop(state, settings, rows)
    np.testing.assert_array_equal(vectorized.ranks, ranks)
    np.testing.assert_array_equal(vectorized.grades, grades)
    return vectorized


def test_an_undecided_veto_applied_by_the_scheme_caps_every_draw(tmp_path):
    state = reload_run(assess_case(tmp_path, PROVINCES, APPLY_SCHEME)).result.state
    tianjin = state.units.index("120000")
    assert state.values["status"][tianjin] == "graded"
    assert state.values["grade"][tianjin] == "差"  # 一般 by its score, capped by the veto
    _, simulation, *_ = analyse(state, Settings(draws=100, seed=1))  # check_nominal passes
    assert set(simulation.grades[:, tianjin].tolist()) == {2}
    assert set(both_ways(state).grades[:, tianjin].tolist()) == {2}


def test_a_withheld_unit_has_no_rank_and_no_grade_in_any_draw(tmp_path):
    state = reload_run(assess_case(tmp_path, PROVINCES)).result.state
    tianjin = state.units.index("120000")
    assert state.values["status"][tianjin] == "withheld"  # the rate is required by default
    _, simulation, *_ = analyse(state, Settings(draws=100, seed=1))
    assert set(simulation.ranks[:, tianjin].tolist()) == {NO_RANK}
    assert set(simulation.grades[:, tianjin].tolist()) == {NO_GRADE}
    scored = both_ways(state)
    assert np.isnan(scored.scores[:, tianjin]).all()
    assert len(np.unique(scored.ranks[:, state.units.index("110000")])) > 1  # the draws moved
