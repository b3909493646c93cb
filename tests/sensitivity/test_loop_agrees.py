"""The vectorized engine against the scoring steps run one draw at a time (bench/sensitivity_loop).

Same draws, two code paths: every rank and grade must agree, with weights, alternative
normalization and aggregation methods, sampled rates and a veto over a sampled rate all varying.
"""

from __future__ import annotations

import numpy as np
import pytest

# the benchmark's baseline: one draw at a time through the scoring steps
from bench import sensitivity_loop
from tests.support.sensitivity import RATE_SCHEME, assess_case

from kaohe.sensitivity.draws import build_design
from kaohe.sensitivity.reload import reload_run
from kaohe.sensitivity.rescoring import Rescorer
from kaohe.sensitivity.sampling import build_samplers
from kaohe.sensitivity.settings import Settings, parse_methods, parse_weights

VETO_SCHEME = RATE_SCHEME.replace(
    "[[null, 0.02, 1.0], [0.02, null, 0.0]]", "[[null, 0.05, 1.0], [0.05, null, 0.0]]"
)


@pytest.mark.parametrize(
    ("methods", "weights"),
    [
        (["normalize:minmax,percentile", "aggregate:geometric,minimum"], "uniform:0.4"),
        (["aggregate:harmonic"], "dirichlet:5"),
    ],
)
def test_vectorized_and_loop_agree(tmp_path, methods, weights):
    rng = np.random.default_rng(9)
    provinces = [
        (
            f"{11 + i}0000",
            f"P{i}",
            float(rng.uniform(20, 100)),
            float(rng.uniform(20, 100)),
            int(rng.integers(0, 4)),
            int(rng.integers(40, 120)),
        )
        for i in range(15)
    ]
    provinces[3] = (*provinces[3][:2], 55.0, 55.0, *provinces[3][4:])  # ties between units
    provinces[4] = (*provinces[4][:2], 55.0, 55.0, *provinces[4][4:])
    state = reload_run(assess_case(tmp_path, provinces, VETO_SCHEME)).result.state
    normalizations, aggregations = parse_methods(methods)
    settings = Settings(
        draws=120,
        seed=2,
        weights=parse_weights(weights),
        normalizations=normalizations,
        aggregations=aggregations,
    )
    samplers, _ = build_samplers(state, settings, {})
    design = build_design(state.scheme.tree, settings, samplers, {})
    (rows,) = design.chunks(design.base)
    vectorized = Rescorer(state, settings, {s.indicator for s in samplers}).score(rows)
    scores, ranks, grades = sensitivity_loop.score_rows_by_loop(state, settings, rows)
    np.testing.assert_allclose(vectorized.scores, scores, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(vectorized.ranks, ranks)
    np.testing.assert_array_equal(vectorized.grades, grades)
    assert len(np.unique(grades)) > 1  # the draws did move grades
