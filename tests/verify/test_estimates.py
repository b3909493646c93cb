"""Design-based estimates and intervals against published values, statsmodels and textbook
formulas computed independently in each test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from kaohe.verify.estimates import confidence_intervals, stratified_proportions


def srs(events: int, n: int, **kwargs):
    y = np.arange(n) < events
    return stratified_proportions(
        np.zeros(n, int), 1, np.zeros(n), np.ones(n), np.ones(n, bool), y, **kwargs
    )


@pytest.mark.parametrize(
    ("events", "n", "wilson", "clopper_pearson"),
    # Newcombe (1998), Statistics in Medicine 17:857–872, Table II (methods 3 and 5), 95%.
    [
        (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
        (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
        (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    ],
)
def test_simple_random_sample_intervals_are_the_published_ones(events, n, wilson, clopper_pearson):
    ci = confidence_intervals(srs(events, n, fpc=False))
    assert (ci.wilson_low[0], ci.wilson_high[0]) == pytest.approx(wilson, abs=5e-5)
    assert (ci.cp_low[0], ci.cp_high[0]) == pytest.approx(clopper_pearson, abs=5e-5)


@given(n=st.integers(2, 400), data=st.data())
@settings(max_examples=60, deadline=None)
def test_equal_weights_without_fpc_reduce_to_statsmodels(n, data):
    events = data.draw(st.integers(0, n))
    est = srs(events, n, fpc=False)
    ci = confidence_intervals(est, 0.9)
    assert est.rate[0] == pytest.approx(events / n)
    for method, low, high in (
        ("wilson", ci.wilson_low, ci.wilson_high),
        ("beta", ci.cp_low, ci.cp_high),
    ):
        expected = proportion_confint(events, n, alpha=0.1, method=method)
        assert (low[0], high[0]) == pytest.approx(expected, abs=1e-9)


def test_stratified_variance_is_cochrans_formula_with_fpc():
    rng = np.random.default_rng(4)
    population = np.array([1000, 500, 200])
    n = np.array([50, 40, 30])
    h = np.repeat([0, 1, 2], n)
    y = rng.random(n.sum()) < np.repeat([0.1, 0.3, 0.5], n)
    est = stratified_proportions(
        np.zeros(len(h), int), 1, h, np.repeat(population / n, n), np.ones(len(h), bool), y
    )
    # Cochran (1977) eq. 5.7 for p_st = Σ W_h p_h: v = Σ W_h² (1 − f_h) s_h² / n_h.
    share = population / population.sum()
    p_h = np.array([y[h == k].mean() for k in range(3)])
    s2 = np.array([y[h == k].var(ddof=1) for k in range(3)])
    assert est.rate[0] == pytest.approx((share * p_h).sum())
    assert est.variance[0] == pytest.approx((share**2 * (1 - n / population) * s2 / n).sum())


def test_domain_ratio_linearization_by_hand():
    # One stratum of 6 households, weight 2 (N = 12, f = 1/2); domain = the first four.
    d = np.array([1, 1, 1, 1, 0, 0], bool)
    y = np.array([1, 0, 0, 0, 1, 1], bool)
    est = stratified_proportions(np.zeros(6, int), 1, np.zeros(6), np.full(6, 2.0), d, y)
    assert est.rate[0] == pytest.approx(0.25)
    # z_i = w d (y − R) / X̂ with X̂ = 8: (1.5, −.5, −.5, −.5, 0, 0)/8 · 2 …
    z = 2 * d * (y - 0.25) / 8
    expected = (1 - 6 / 12) * 6 / 5 * ((z - z.mean()) ** 2).sum()
    assert est.variance[0] == pytest.approx(expected)
    assert (est.n_domain[0], est.n_events[0], est.weighted_domain[0]) == (4, 1, 8.0)


def test_groups_share_strata_like_domains():
    # Two units in one stratum: each unit's estimate is a domain estimate over the whole stratum.
    group = np.array([0, 0, 0, 1, 1, 1])
    y = np.array([1, 0, 0, 1, 1, 0], bool)
    both = stratified_proportions(group, 2, np.zeros(6), np.ones(6), np.ones(6, bool), y, fpc=False)
    assert list(both.rate) == pytest.approx([1 / 3, 2 / 3])
    alone = stratified_proportions(
        np.zeros(6, int), 1, np.zeros(6), np.ones(6), group == 0, y, fpc=False
    )
    assert both.variance[0] == pytest.approx(alone.variance[0])


def test_clusters_use_psu_totals():
    # Two strata, each with 3 villages (PSUs) of 2 households, equal weights, no FPC.
    h = np.repeat([0, 1], 6)
    psu = np.repeat(np.arange(6), 2)
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0], bool)
    est = stratified_proportions(np.zeros(12, int), 1, h, np.ones(12), np.ones(12, bool), y, psu)
    rate = y.mean()
    z = (y - rate) / 12
    totals = np.bincount(psu, weights=z)
    expected = sum(
        3 / 2 * ((totals[k * 3 : k * 3 + 3] - totals[k * 3 : k * 3 + 3].mean()) ** 2).sum()
        for k in (0, 1)
    )
    assert est.variance[0] == pytest.approx(expected)


def test_census_has_a_zero_width_interval_and_lonely_strata_are_counted():
    # Every household of the stratum checked (weight 1, f = 1): no sampling error.
    y = np.array([1, 0, 0, 1], bool)
    est = stratified_proportions(np.zeros(4, int), 1, np.zeros(4), np.ones(4), np.ones(4, bool), y)
    ci = confidence_intervals(est)
    assert est.variance[0] == 0 and ci.wilson_low[0] == ci.wilson_high[0] == 0.5
    lonely = stratified_proportions(
        np.zeros(3, int),
        1,
        np.array([0, 0, 1]),
        np.ones(3),
        np.ones(3, bool),
        np.array([1, 0, 1], bool),
        fpc=False,
    )
    assert lonely.lonely_strata[0] == 1


def test_empty_domain_gives_no_estimate():
    est = stratified_proportions(
        np.zeros(3, int), 1, np.zeros(3), np.ones(3), np.zeros(3, bool), np.ones(3, bool)
    )
    ci = confidence_intervals(est)
    assert np.isnan(est.rate[0]) and np.isnan(ci.wilson_low[0]) and est.n_domain[0] == 0


@given(scale=st.floats(0.01, 1000), seed=st.integers(0, 10**6))
@settings(max_examples=40, deadline=None)
def test_rates_and_variances_do_not_depend_on_the_scale_of_the_weights(scale, seed):
    rng = np.random.default_rng(seed)
    n = 40
    h = rng.integers(0, 3, n)
    w = rng.uniform(1, 20, n)
    d = rng.random(n) < 0.7
    y = rng.random(n) < 0.3
    a = stratified_proportions(np.zeros(n, int), 1, h, w, d, y, fpc=False)
    b = stratified_proportions(np.zeros(n, int), 1, h, w * scale, d, y, fpc=False)
    assert np.allclose(a.rate, b.rate, equal_nan=True)
    assert np.allclose(a.variance, b.variance, equal_nan=True)
