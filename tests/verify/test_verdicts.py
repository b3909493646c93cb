"""Verdicts: pass only when the whole interval meets the threshold, fail when none of it does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.verify.estimates import confidence_intervals, simple_proportions, stratified_proportions
from kaohe.verify.verdicts import FAIL, INCONCLUSIVE, NO_DATA, PASS, meets, verdict


@pytest.mark.parametrize(
    ("low", "high", "bound", "direction", "strict", "expected"),
    [
        (0.005, 0.019, 0.02, "max", True, PASS),  # wrong-exit rate < 2%: all below
        (0.010, 0.030, 0.02, "max", True, INCONCLUSIVE),  # straddles
        (0.020, 0.050, 0.02, "max", True, FAIL),  # at or above 2% with confidence
        (0.005, 0.020, 0.02, "max", True, INCONCLUSIVE),  # could be exactly 2%: not < 2%
        (0.005, 0.020, 0.02, "max", False, PASS),  # ≤ 2% allows 2%
        (0.020, 0.050, 0.02, "max", False, INCONCLUSIVE),  # ≤ 2%: 2% itself would pass
        (0.91, 0.95, 0.90, "min", False, PASS),  # recognition ≥ 90%
        (0.88, 0.93, 0.90, "min", False, INCONCLUSIVE),
        (0.80, 0.89, 0.90, "min", False, FAIL),
        (None, None, 0.90, "min", False, NO_DATA),
    ],
)
def test_verdicts(low, high, bound, direction, strict, expected):
    assert verdict(low, high, bound, direction, strict) == expected


def test_a_census_figure_is_judged_by_its_value():
    assert verdict(0.025, 0.025, 0.03, "max", True) == PASS
    assert verdict(0.03, 0.03, 0.03, "max", True) == FAIL
    assert meets(0.03, 0.03, "max", strict=False) is True
    assert meets(None, 0.03, "max", strict=False) is None


# --- monotone in the evidence (issue 11): more events never give a kinder verdict ---

# Kindest first. More events are bad news for a rate that must stay below its bound ("max"),
# good news for one that must reach it ("min", e.g. recognition).
ORDER = {PASS: 0, INCONCLUSIVE: 1, FAIL: 2}


def severity(v: str, direction: str) -> int:
    return ORDER[v]


def srs_verdict(k: int, n: int, method: str, confidence: float, bound, direction, strict):
    ci = confidence_intervals(
        simple_proportions(np.zeros(n, int), 1, np.ones(n, bool), np.arange(n) < k), confidence
    )
    low, high = (ci.wilson_low, ci.wilson_high) if method == "wilson" else (ci.cp_low, ci.cp_high)
    return verdict(float(low[0]), float(high[0]), bound, direction, strict)


judged = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["wilson", "clopper_pearson"]),
        "confidence": st.sampled_from([0.8, 0.9, 0.95, 0.99]),
        "bound": st.one_of(st.sampled_from([0.02, 0.03, 0.9, 0.5]), st.floats(0.001, 0.999)),
        "direction": st.sampled_from(["max", "min"]),
        "strict": st.booleans(),
    }
)


@given(n=st.integers(1, 600), data=st.data(), rule=judged)
@settings(max_examples=300, deadline=None)
def test_verdicts_are_monotone_in_the_events(n, data, rule):
    k = data.draw(st.integers(0, n - 1))
    direction = rule["direction"]
    fewer = srs_verdict(k, n, **rule)
    more = srs_verdict(k + 1, n, **rule)
    # For "max" an extra event is bad news, for "min" (recognition) good news.
    if direction == "max":
        assert severity(more, direction) >= severity(fewer, direction), (k, n, fewer, more)
    else:
        assert severity(more, direction) <= severity(fewer, direction), (k, n, fewer, more)


@given(n=st.integers(1, 600), data=st.data(), rule=judged)
@settings(max_examples=300, deadline=None)
def test_verdicts_are_monotone_in_households_without_the_event(n, data, rule):
    # One more checked household without the event: never worse for "max", never better for "min".
    k = data.draw(st.integers(0, n))
    direction = rule["direction"]
    before = srs_verdict(k, n, **rule)
    after = srs_verdict(k, n + 1, **rule)
    if direction == "max":
        assert severity(after, direction) <= severity(before, direction), (k, n, before, after)
    else:
        assert severity(after, direction) >= severity(before, direction), (k, n, before, after)


def test_one_in_fifty_is_no_firmer_than_none_in_fifty():
    # The issue: 1/50 gave a firm 不达标 for 错退率 < 2% while 0/50 gave 不确定.
    assert srs_verdict(0, 50, "wilson", 0.95, 0.02, "max", True) == INCONCLUSIVE
    assert srs_verdict(1, 50, "wilson", 0.95, 0.02, "max", True) == INCONCLUSIVE
    assert srs_verdict(5, 50, "wilson", 0.95, 0.02, "max", True) == FAIL


@given(
    a=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    b=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    bound=st.floats(0, 1),
    direction=st.sampled_from(["max", "min"]),
    strict=st.booleans(),
)
def test_verdict_is_monotone_in_the_interval(a, b, bound, direction, strict):
    (low1, high1), (low2, high2) = sorted(a), sorted(b)
    if not (low1 <= low2 and high1 <= high2):
        low1, low2 = min(low1, low2), max(low1, low2)
        high1, high2 = min(high1, high2), max(high1, high2)
        if low2 > high2 or low1 > high1:
            return
    first = severity(verdict(low1, high1, bound, direction, strict), direction)
    second = severity(verdict(low2, high2, bound, direction, strict), direction)
    assert second >= first if direction == "max" else second <= first


@given(
    n=st.integers(2, 120),
    seed=st.integers(0, 10**6),
    rule=judged,
    fpc=st.booleans(),
    clustered=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_with_weights_one_event_is_never_kinder_than_none(n, seed, rule, fpc, clustered):
    # The same weighted sample with no event, then with one household's event: the design
    # effect may change, but n_eff ≤ n keeps the verdict on one event no kinder than on none.
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 4, n)
    weight = rng.uniform(1.5, 200, n)
    psu = rng.integers(0, max(2, n // 3), n) if clustered else None
    domain = np.ones(n, bool)
    direction = rule["direction"]
    # For "max" the event is bad (start from none); for "min" the event is good (start from all).
    base = np.zeros(n, bool) if direction == "max" else np.ones(n, bool)
    flipped = base.copy()
    flipped[rng.integers(0, n)] ^= True
    verdicts = []
    for event in (base, flipped):
        est = stratified_proportions(
            np.zeros(n, int), 1, stratum, weight, domain, event, psu, fpc=fpc
        )
        ci = confidence_intervals(est, rule["confidence"])
        if rule["method"] == "wilson":
            low, high = ci.wilson_low[0], ci.wilson_high[0]
        else:
            low, high = ci.cp_low[0], ci.cp_high[0]
        verdicts.append(verdict(low, high, rule["bound"], direction, rule["strict"]))
    # Both ways the flipped household is bad news: its verdict is never kinder.
    assert severity(verdicts[1], direction) >= severity(verdicts[0], direction), verdicts
