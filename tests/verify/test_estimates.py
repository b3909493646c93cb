"""Design-based estimates and intervals against published values, statsmodels and textbook
formulas computed independently in each test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from kaohe.verify.estimates import (
    confidence_intervals,
    simple_proportions,
    stratified_proportions,
)


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


# --- no design weights: the textbook intervals of k events in n (issue 11) ---


def textbook_wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927), closed form: (k + z²/2 ± z √(k(n − k)/n + z²/4)) / (n + z²)."""
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    centre = k + z * z / 2
    half = z * math.sqrt(k * (n - k) / n + z * z / 4)
    return (centre - half) / (n + z * z), (centre + half) / (n + z * z)


def textbook_clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Clopper & Pearson (1934) through the F distribution (Leemis & Trivedi 1996), not beta."""
    a = 1 - confidence
    low = (
        0.0 if k == 0 else 1 / (1 + (n - k + 1) / (k * stats.f.ppf(a / 2, 2 * k, 2 * (n - k + 1))))
    )
    high = (
        1.0
        if k == n
        else 1 / (1 + (n - k) / ((k + 1) * stats.f.ppf(1 - a / 2, 2 * (k + 1), 2 * (n - k))))
    )
    return low, high


def unweighted(events: int, n: int):
    return simple_proportions(np.zeros(n, int), 1, np.ones(n, bool), np.arange(n) < events)


@given(n=st.integers(1, 2000), data=st.data(), confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_without_weights_the_intervals_are_the_textbook_ones(n, data, confidence):
    k = data.draw(st.integers(0, n))
    est = unweighted(k, n)
    ci = confidence_intervals(est, confidence)
    assert est.rate[0] == k / n and est.n_domain[0] == n and est.n_events[0] == k
    assert est.se[0] == pytest.approx(math.sqrt(k / n * (1 - k / n) / n), abs=1e-15)
    assert ci.n_effective[0] == n and ci.design_effect[0] == 1.0
    alpha = 1 - confidence
    for method, low, high, formula in (
        ("wilson", ci.wilson_low, ci.wilson_high, textbook_wilson),
        ("beta", ci.cp_low, ci.cp_high, textbook_clopper_pearson),
    ):
        assert abs(low[0] - formula(k, n, confidence)[0]) <= 1e-12
        assert abs(high[0] - formula(k, n, confidence)[1]) <= 1e-12
        expected = proportion_confint(k, n, alpha=alpha, method=method)
        assert abs(low[0] - expected[0]) <= 1e-12 and abs(high[0] - expected[1]) <= 1e-12


def test_the_issues_cases_without_weights():
    # 5/50: Wilson [0.0435, 0.2136], not [0.1, 0.1]; 1/50 straddles 2% as 0/50 does.
    for k, expected in ((5, (0.04347576493189, 0.21360231437480)), (1, (0.0035393, 0.1049544))):
        ci = confidence_intervals(unweighted(k, 50))
        assert (ci.wilson_low[0], ci.wilson_high[0]) == pytest.approx(expected, abs=1e-6)


def test_domains_and_groups_without_weights_count_households():
    group = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    domain = np.array([1, 1, 1, 0, 1, 1, 0, 0], bool)
    event = np.array([1, 0, 1, 1, 0, 0, 1, 1], bool)
    est = simple_proportions(group, 3, domain, event)
    assert list(est.n_domain) == [3, 2, 0] and list(est.n_events) == [2, 0, 0]
    ci = confidence_intervals(est)
    assert ci.wilson_high[0] == pytest.approx(textbook_wilson(2, 3, 0.95)[1], abs=1e-12)
    assert np.isnan(est.rate[2]) and np.isnan(ci.wilson_low[2]) and np.isnan(ci.cp_high[2])


# --- with weights: when the design-based intervals are the textbook ones, and when not ---


@given(
    n=st.integers(2, 300),
    data=st.data(),
    weight=st.floats(1.5, 500),
    fpc=st.booleans(),
    confidence=st.sampled_from([0.9, 0.95]),
)
@settings(max_examples=150, deadline=None)
def test_equal_weights_in_one_stratum_give_the_textbook_intervals(n, data, weight, fpc, confidence):
    # docs/verification.md: equal weights, every household of the unit in one stratum (other
    # units may share it), no psu, not a census → deff ≤ 1 − f, n_eff = n_d / (1 − f): the
    # textbook intervals without the finite-population correction, and with it those of
    # k / (1 − f) events in n_d / (1 − f) (f = 1 / weight).
    others = data.draw(st.integers(0, 50))
    n_d = data.draw(st.integers(1, n))
    k = data.draw(st.integers(0, n_d))
    group = np.r_[np.zeros(n, int), np.ones(others, int)]
    domain = np.r_[np.arange(n) < n_d, np.ones(others, bool)]
    event = np.r_[np.arange(n) < k, np.zeros(others, bool)]
    total = n + others
    est = stratified_proportions(
        group, 1, np.zeros(total), np.full(total, weight), domain, event, fpc=fpc
    )
    ci = confidence_intervals(est, confidence)
    scale = 1 / (1 - 1 / weight) if fpc else 1.0
    assert ci.n_effective[0] == pytest.approx(n_d * scale, rel=1e-12)
    for method, low, high in (
        ("wilson", ci.wilson_low, ci.wilson_high),
        ("beta", ci.cp_low, ci.cp_high),
    ):
        expected = proportion_confint(k * scale, n_d * scale, alpha=1 - confidence, method=method)
        assert abs(low[0] - expected[0]) <= 1e-12 and abs(high[0] - expected[1]) <= 1e-12


def test_unequal_weights_or_clusters_widen_the_interval_never_narrow_it():
    rng = np.random.default_rng(11)
    n = 200
    y = rng.random(n) < 0.1
    h = np.repeat([0, 1], n // 2)
    # Weights that vary within strata: deff > 1, n_eff < n.
    w = rng.uniform(1, 30, n) * 100
    est = stratified_proportions(np.zeros(n, int), 1, h, w, np.ones(n, bool), y)
    ci = confidence_intervals(est)
    assert ci.design_effect[0] > 1 and ci.n_effective[0] == pytest.approx(n / ci.design_effect[0])
    # Strong stratification gains (deff < 1 − f) are not credited: n_eff stays at n / (1 − f),
    # or n without the finite-population correction.
    y = np.repeat([False, True], n // 2) & (rng.random(n) < 0.98)
    for fpc, most in ((True, n / (1 - 1 / 50)), (False, n)):
        est = stratified_proportions(
            np.zeros(n, int), 1, h, np.full(n, 50.0), np.ones(n, bool), y, fpc=fpc
        )
        ci = confidence_intervals(est)
        assert ci.design_effect[0] < 1 - 1 / 50 and ci.n_effective[0] == pytest.approx(most)


def test_single_psu_strata_only_is_not_a_census():
    # Every stratum has one household: no variance can be estimated, yet nothing says every
    # household was checked — the interval falls back to n_eff = n / (1 − f), never zero width.
    y = np.array([1, 0, 0, 0, 0], bool)
    est = stratified_proportions(
        np.zeros(5, int), 1, np.arange(5), np.full(5, 20.0), np.ones(5, bool), y
    )
    ci = confidence_intervals(est)
    assert est.variance[0] == 0 and est.lonely_strata[0] == 5 and not est.census[0]
    assert (ci.wilson_low[0], ci.wilson_high[0]) == pytest.approx(
        proportion_confint(1 / 0.95, 5 / 0.95, method="wilson"), abs=1e-12
    )
