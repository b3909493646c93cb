"""The scoring rules with a leading draws axis: each row must equal the one-row computation.

The sensitivity analysis scores thousands of draws at once through ``normalize.METHODS`` and
``aggregate.combine_blocks``; these properties pin the batched behaviour to the per-unit one the
run uses, so the Monte Carlo cannot drift from the recorded steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kaohe.scheme import model as m
from kaohe.scoring.aggregate import combine, combine_blocks
from kaohe.scoring.normalize import METHODS, average_ranks

RULES = [
    m.MinMax(method="minmax"),
    m.Goalposts(method="goalposts", min=0.0, max=10.0),
    m.Goalposts(method="goalposts", min=1.0, max=100.0, log=True),
    m.TargetAchievement(method="target", cap=1.2),
    m.ScoreTable(method="table", rows=[(None, 2.0, 0.0), (2.0, 5.0, 0.5), (5.0, None, 1.0)]),
    m.ZScore(method="zscore", mean=50.0, sd=10.0),
    m.PercentileRank(method="percentile"),
    m.Threshold(method="threshold", value=4.0),
]

# Values with ties, missing values and a few repeated numbers, as real indicators have.
cells = st.one_of(st.sampled_from([0.0, 1.0, 2.5, 5.0, math.nan]), st.floats(-5, 50, width=32))
batches = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 9)), elements=cells)


@pytest.mark.parametrize(
    "rule", RULES, ids=lambda r: r.method + ("-log" if getattr(r, "log", 0) else "")
)
@pytest.mark.parametrize("direction", ["higher", "lower"])
@settings(max_examples=60, deadline=None)
@given(batch=batches)
def test_each_batched_row_equals_the_one_row_rule(rule, direction, batch):
    method = METHODS[rule.method]
    target = np.linspace(1.0, 6.0, batch.shape[1])
    together, _ = method(batch, rule, direction, target)
    for row, values in zip(together, batch, strict=True):
        alone, _ = method(values.copy(), rule, direction, target)
        np.testing.assert_allclose(row, alone, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_percentile_ties_share_the_average_rank():
    scores, params = METHODS["percentile"](
        np.array([[3.0, 1.0, 3.0, math.nan, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0]]),
        m.PercentileRank(method="percentile"),
        "higher",
        None,
    )
    # row 0: 1 beats nobody (0), 2 beats one of three others (1/3), the two 3s tie at (2+3)/2/3
    np.testing.assert_allclose(scores[0], [2.5 / 3, 0.0, 2.5 / 3, math.nan, 1 / 3])
    np.testing.assert_allclose(scores[1], [0.5] * 5)
    assert params["n"].tolist() == [4, 5]


def test_average_ranks_hand_computed():
    ranks = average_ranks(np.array([10.0, 30.0, 20.0, 30.0, math.nan, 10.0]))
    np.testing.assert_allclose(ranks, [0.5, 3.5, 2.0, 3.5, math.nan, 0.5])


def test_minmax_statistics_per_row():
    _, params = METHODS["minmax"](
        np.array([[1.0, 3.0, 5.0], [2.0, 2.0, 8.0]]), m.MinMax(method="minmax"), "higher", None
    )
    assert params["min"].tolist() == [1.0, 2.0]
    assert params["max"].tolist() == [5.0, 8.0]
    _, single = METHODS["minmax"](np.array([1.0, 3.0]), m.MinMax(method="minmax"), "higher", None)
    assert single == {"min": 1.0, "max": 3.0}


AGGREGATIONS = ["arithmetic", "geometric", "harmonic", "minimum"]
children = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(2, 5)),
    elements=st.one_of(st.just(math.nan), st.just(0.0), st.floats(0.0, 1.0)),
)


def _reweighted(values: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """What the run's aggregate step passes to combine(): missing children's shares zeroed."""
    effective = np.where(np.isnan(values), 0.0, shares)
    total = effective.sum(axis=-1, keepdims=True)
    return np.where(total > 0, effective / np.where(total > 0, total, 1.0), 0.0)


@pytest.mark.parametrize("method", AGGREGATIONS)
@settings(max_examples=80, deadline=None)
@given(values=children, seed=st.integers(0, 2**16))
def test_combine_with_draws_equals_each_draw_alone(method, values, seed):
    draws, units, width = values.shape
    shares = np.random.default_rng(seed).dirichlet(np.ones(width), size=draws)
    together = combine(values, shares[:, None, :], method)
    for d in range(draws):
        row_shares = _reweighted(values[d], np.tile(shares[d], (units, 1)))
        alone = combine(values[d], row_shares, method)
        alone = np.where(row_shares.sum(axis=1) > 0, alone, np.nan)
        np.testing.assert_allclose(together[d], alone, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("method", AGGREGATIONS)
@settings(max_examples=60, deadline=None)
@given(values=children, seed=st.integers(0, 2**16), split=st.integers(1, 4))
def test_blocks_of_children_combine_like_all_children(method, values, seed, split):
    """Fixed children (no draws axis) and drawn children combine as if side by side."""
    draws, units, width = values.shape
    split = min(split, width - 1)
    shares = np.random.default_rng(seed).dirichlet(np.ones(width), size=draws)[:, None, :]
    fixed = values[0, :, :split]  # the same for every draw
    whole = np.concatenate([np.broadcast_to(fixed, (draws, units, split)), values[..., split:]], -1)
    expected = combine(whole, shares, method)
    blocks = [(fixed, shares[..., :split]), (values[..., split:], shares[..., split:])]
    np.testing.assert_allclose(
        combine_blocks(blocks, method), expected, rtol=1e-9, atol=1e-12, equal_nan=True
    )


def test_fixed_children_with_shares_per_draw_hand_computed():
    values = np.array([[0.2, 0.8], [1.0, 0.5]])  # two units, two children
    shares = np.array([[[0.5, 0.5]], [[0.25, 0.75]]])  # two draws
    result = combine(values, shares, "arithmetic")
    np.testing.assert_allclose(result, [[0.5, 0.75], [0.65, 0.625]])


def _table_by_definition(x: np.ndarray, rows) -> np.ndarray:
    """The first row with low <= x < high gives its share; no row gives 0; missing stays missing."""
    out = np.full(x.shape, np.nan)
    for i, value in np.ndenumerate(x):
        if math.isnan(value):
            continue
        out[i] = next(
            (
                share
                for low, high, share in rows
                if (low is None or value >= low) and (high is None or value < high)
            ),
            0.0,
        )
    return out


edges = st.lists(st.integers(-5, 60), min_size=2, max_size=5, unique=True).map(sorted)


@settings(max_examples=80, deadline=None)
@given(
    cuts=edges,
    open_ends=st.tuples(st.booleans(), st.booleans()),
    gap=st.booleans(),
    batch=batches,
)
def test_score_tables_follow_their_definition(cuts, open_ends, gap, batch):
    """Contiguous tables take the one-search path, tables with gaps the row-by-row one."""
    rows = [
        [float(low), float(high), round(0.1 * (i + 1), 1)]
        for i, (low, high) in enumerate(zip(cuts, cuts[1:], strict=False))
    ]
    if open_ends[0]:
        rows[0][0] = None
    if open_ends[1]:
        rows[-1][1] = None
    if gap and len(rows) > 1 and rows[1][1] is not None and rows[1][0] + 1 < rows[1][1]:
        rows[1][0] += 1  # a gap between the first and second rows
    rule = m.ScoreTable(method="table", rows=[tuple(r) for r in rows])
    scores, _ = METHODS["table"](batch, rule, "higher", None)
    np.testing.assert_array_equal(scores, _table_by_definition(batch, rule.rows))
