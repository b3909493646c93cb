"""Sensitivity indices against SALib and analytic values; the draws' design and samplers."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.analyze import sobol
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami
from tests.support.sensitivity import assess_case, run_cli

from kaohe.errors import DataError
from kaohe.sensitivity.draws import build_design
from kaohe.sensitivity.indices import sobol_indices
from kaohe.sensitivity.reload import reload_run
from kaohe.sensitivity.sampling import build_samplers
from kaohe.sensitivity.settings import Settings, parse_weights

PROBLEM = {
    "num_vars": 3,
    "names": ["x1", "x2", "x3"],
    "bounds": [[-np.pi, np.pi]] * 3,
}


def test_per_unit_indices_equal_salib():
    """Three 'units' (Ishigami, a linear model, and Ishigami squared) on SALib's own sample."""
    x = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=1)
    outputs = np.column_stack(
        [Ishigami.evaluate(x), 3 * x[:, 0] + x[:, 1], Ishigami.evaluate(x) ** 2]
    )
    ours = sobol_indices(outputs, groups=3)
    for unit in range(outputs.shape[1]):
        theirs = sobol.analyze(PROBLEM, outputs[:, unit], calc_second_order=False, seed=1)
        np.testing.assert_allclose(ours.unit_first[:, unit], theirs["S1"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.unit_total[:, unit], theirs["ST"], rtol=1e-9, atol=1e-12)


def test_ishigami_published_values():
    """Ishigami (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (Saltelli 2008)."""
    x = sobol_sample.sample(PROBLEM, 8192, calc_second_order=False, seed=2)
    ours = sobol_indices(Ishigami.evaluate(x)[:, None], groups=3)
    np.testing.assert_allclose(ours.first, [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(ours.total, [0.558, 0.442, 0.244], atol=0.03)
    assert np.all(ours.first_conf > 0) and np.all(ours.first_conf < 0.05)


def test_generalized_indices_weigh_units_by_their_variance():
    """Unit 1 = X1, unit 2 = 2·X2 (X uniform): X1 explains 1/5 of the summed variance."""
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = sobol_sample.sample(problem, 4096, calc_second_order=False, seed=3)
    outputs = np.column_stack([x[:, 0], 2 * x[:, 1], np.full(len(x), 5.0)])  # unit 3 never moves
    ours = sobol_indices(outputs, groups=2)
    np.testing.assert_allclose(ours.first, [0.2, 0.8], atol=0.03)
    np.testing.assert_allclose(ours.total, [0.2, 0.8], atol=0.03)
    assert np.isnan(ours.unit_total[:, 2]).all()


PROVINCES = [
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 5, 50),
]


@pytest.fixture
def state(tmp_path):
    return reload_run(assess_case(tmp_path, PROVINCES)).result.state


def test_rows_do_not_depend_on_chunking(state):
    settings = Settings(draws=100, seed=4, weights=parse_weights("dirichlet:30"))
    samplers, _ = build_samplers(state, settings, {})
    design = build_design(state.scheme.tree, settings, samplers, {})
    assert [g.id for g in design.groups] == [
        "weights:total",
        "weights:results",
        "sampling:wrong_rate",
    ]
    assert design.rows == 100  # 20 base samples × (3 groups + 2)

    def collect(per_chunk):
        chunks = list(design.chunks(per_chunk))
        return (
            np.concatenate([c.weights["results"] for c in chunks]),
            np.concatenate([c.values["wrong_rate"] for c in chunks]),
        )

    whole, pieces = collect(20), collect(3)
    for a, b in zip(whole, pieces, strict=True):
        np.testing.assert_array_equal(a, b)
    weights, rates = whole
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    # the pick-freeze layout: row AB_g takes group g from B, every other group from A
    blocks = weights.reshape(20, 5, 2)
    np.testing.assert_array_equal(blocks[:, 0], blocks[:, 1])  # AB_total: results' weights from A
    np.testing.assert_array_equal(blocks[:, 2], blocks[:, 4])  # AB_results: from B
    rate_blocks = rates.reshape(20, 5, 3)
    np.testing.assert_array_equal(rate_blocks[:, 3], rate_blocks[:, 4])  # AB_sampling = B


def test_jeffreys_draws_of_a_ratio(state):
    (sampler,), notes = build_samplers(state, Settings(draws=10), {})
    assert notes == []
    draws = sampler.draw(np.random.default_rng(0), (40000,))
    # Beijing 1 of 100: Beta(1.5, 99.5), mean 1.5 / 101
    assert draws[:, 0].mean() == pytest.approx(1.5 / 101, rel=0.02)
    assert draws.min() >= 0 and draws.max() <= 1


def test_intervals_from_an_estimates_file_shape_the_draws(state, tmp_path):
    """A split normal around the run's value with the interval's ends at the 2.5/97.5 % points."""
    estimates = tmp_path / "estimates.csv"
    estimates.write_text(
        "unit,indicator,low,high,confidence\n"
        "110000,wrong_rate,0.002,0.04,0.95\n"
        "120000,wrong_rate,0.0,0.0,0.95\n",
        encoding="utf-8",
    )
    (sampler,), _ = build_samplers(state, Settings(draws=10, estimates=estimates), {})
    assert sampler.source == "intervals"
    assert sampler.describe()["units_drawn"] == 1  # Tianjin's interval has no width; Hebei none
    draws = sampler.draw(np.random.default_rng(1), (100000,))
    low, mid, high = np.quantile(draws[:, 0], [0.025, 0.5, 0.975])
    assert (low, mid, high) == pytest.approx((0.002, 0.01, 0.04), abs=0.0008)
    assert np.all(draws[:, 1] == 0.0) and np.all(draws[:, 2] == 0.1)


def test_an_estimate_outside_its_interval_is_refused(state, tmp_path):
    estimates = tmp_path / "estimates.csv"
    estimates.write_text("unit,indicator,low,high\n110000,wrong_rate,0.03,0.05\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"estimates.csv:2: wrong_rate of 110000 is 0.01"):
        build_samplers(state, Settings(draws=10, estimates=estimates), {})


def test_intervals_in_explain_json_are_used(tmp_path):
    import json

    run = assess_case(tmp_path, PROVINCES)
    explanation = json.loads((run / "explain.json").read_text(encoding="utf-8"))
    explanation["units"]["110000"]["indicators"]["wrong_rate"]["interval"] = {
        "low": 0.001,
        "high": 0.05,
        "level": 0.95,
    }
    state = reload_run(run).result.state
    (sampler,), _ = build_samplers(state, Settings(draws=10), explanation)
    assert (sampler.source, sampler.detail) == ("intervals", "explain.json")
    code, output = run_cli("sensitivity", str(run), "--draws", "50", "--sampling", "intervals")
    assert code == 2  # the real explain.json has no intervals
    assert "no confidence intervals" in output


def test_intervals_declared_by_the_scheme_are_drawn_from(tmp_path):
    """``interval: {low, high}`` over measures: the run computes it, the analysis draws in it."""
    from tests.support.sensitivity import RATE_SCHEME

    scheme = RATE_SCHEME.replace(
        "    estimated: true\n",
        "    estimated: true\n"
        '    interval: {low: "greatest(wrong / nullif(checked, 0) - 0.01, 0)", '
        'high: "wrong / nullif(checked, 0) + 0.03"}\n',
    )
    state = reload_run(assess_case(tmp_path, PROVINCES, scheme)).result.state
    (sampler,), _ = build_samplers(state, Settings(draws=10), {})
    assert (sampler.source, sampler.detail) == ("intervals", "scheme")
    draws = sampler.draw(np.random.default_rng(2), (100000,))
    low, high = np.quantile(draws[:, 0], [0.025, 0.975])  # Beijing: 0.01 in [0.0, 0.04]
    assert (low, high) == pytest.approx((0.0, 0.04), abs=0.001)
