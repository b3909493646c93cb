"""Step: turn each indicator's value into a normalized score (usually 0 to 1, 1 best).

One function per scoring rule; each returns the scores and the parameters it used, which the
explanation reports (e.g. the min and max of a min-max rescaling).

Every rule works on the last axis (the units) and accepts leading batch axes: the sensitivity
analysis passes ``draws × units`` arrays through these same functions, so a Monte Carlo draw is
scored by exactly the rule the run used. Rules that look at all units at once (min-max, z-score,
percentile) compute their statistics per row; for a single row the parameters are plain floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..scheme import model as m
from .state import ScoringState


def _row_statistic(values: np.ndarray) -> float | np.ndarray:
    """A per-row statistic kept with a trailing axis of 1: a float for one row, else an array."""
    values = values[..., 0]
    return float(values) if values.ndim == 0 else values


def _minmax(x: np.ndarray, rule: m.MinMax, direction: str, target) -> tuple[np.ndarray, dict]:
    present = ~np.isnan(x)
    if not present.any():
        return np.full_like(x, np.nan), {}
    low = np.min(np.where(present, x, np.inf), axis=-1, keepdims=True)
    high = np.max(np.where(present, x, -np.inf), axis=-1, keepdims=True)
    spread = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = (x - low) / np.where(spread > 0, spread, 1.0)
    if direction == "lower":
        scaled = 1.0 - scaled
    # no spread: nobody is better than anybody, everybody gets full marks
    scores = np.where(present, np.where(spread > 0, scaled, 1.0), np.nan)
    return scores, {"min": _row_statistic(low), "max": _row_statistic(high)}


def _goalposts(x: np.ndarray, rule: m.Goalposts, direction: str, target) -> tuple[np.ndarray, dict]:
    low, high = rule.min, rule.max
    value = np.clip(x, low, high) if rule.cap else x.copy()
    if rule.log:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(value > 0, np.log(np.where(value > 0, value, 1.0)), np.nan)
        low, high = np.log(low), np.log(high)
    scores = (value - low) / (high - low)
    if direction == "lower":
        scores = 1.0 - scores
    return scores, {"min": rule.min, "max": rule.max, "log": rule.log, "cap": rule.cap}


def _target(
    x: np.ndarray, rule: m.TargetAchievement, direction: str, target
) -> tuple[np.ndarray, dict]:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # huge ratios are capped
        if direction == "higher":
            ratio = np.where(target > 0, x / target, np.nan)
        else:
            # lower is better: meeting a target of t with value x earns t / x; zero is perfect
            ratio = np.where(x > 0, target / x, np.where(x <= 0, rule.cap, np.nan))
            ratio = np.where(np.isnan(target) | np.isnan(x), np.nan, ratio)
    scores = np.clip(ratio, rule.floor, rule.cap)
    return scores, {"cap": rule.cap, "floor": rule.floor}


def _table_edges(rows: list) -> np.ndarray | None:
    """The cut points of a table whose rows follow each other without gaps, else None."""
    for (_, high, _), (low, _, _) in zip(rows, rows[1:], strict=False):
        if high is None or low is None or low != high:
            return None
    first, last = rows[0][0], rows[-1][1]
    cuts = [-np.inf if first is None else first, *[row[1] for row in rows[:-1]]]
    return np.array([*cuts, np.inf if last is None else last], dtype=float)


def _table(x: np.ndarray, rule: m.ScoreTable, direction: str, target) -> tuple[np.ndarray, dict]:
    params = {"rows": [list(row) for row in rule.rows]}
    edges = _table_edges(rule.rows)
    if edges is not None and np.all(np.diff(edges) > 0):
        # The usual table (contiguous ascending ranges): one search per value instead of a pass
        # per row, which matters when thousands of draws are scored at once.
        shares = np.array([0.0, *[row[2] for row in rule.rows], 0.0])
        scores = shares[np.searchsorted(edges, x, side="right")]
        return np.where(np.isnan(x), np.nan, scores), params
    scores = np.full_like(x, np.nan)
    unmatched = ~np.isnan(x)
    for low, high, share in rule.rows:
        inside = unmatched.copy()
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x < high
        scores[inside] = share
        unmatched &= ~inside
    scores[unmatched] = 0.0  # a value outside every row earns nothing
    return scores, params


def _zscore(x: np.ndarray, rule: m.ZScore, direction: str, target) -> tuple[np.ndarray, dict]:
    present = ~np.isnan(x)
    if not present.any():
        return np.full_like(x, np.nan), {}
    count = present.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, x, 0.0).sum(axis=-1, keepdims=True) / count
        sd = np.sqrt(np.where(present, (x - mean) ** 2, 0.0).sum(axis=-1, keepdims=True) / count)
        # Equal values can leave a rounding-sized sd (0.1 × 3 → 1.4e-17): that is no spread.
        spread = sd > 1e-12 * np.maximum(1.0, np.abs(mean))
        z = np.where(spread, (x - mean) / np.where(spread, sd, 1.0), 0.0)
    z = np.where(present, z, np.nan)
    if direction == "lower":
        z = -z
    return rule.mean + rule.sd * z, {"mean": _row_statistic(mean), "sd": _row_statistic(sd)}


def average_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks along the last axis, ties sharing their average rank; NaN stays NaN.

    Written with one ``argsort`` per call rather than ``scipy.stats.rankdata`` because rankdata is
    about ten times slower on the thousands of rows a Monte Carlo scores at once.
    """
    order = np.argsort(values, axis=-1)  # NaN sorts last; the order within ties does not matter
    ordered = np.take_along_axis(values, order, axis=-1)
    size = values.shape[-1]
    position = np.broadcast_to(np.arange(size), values.shape)
    starts = np.ones(values.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = np.ones(values.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    last = np.flip(
        np.minimum.accumulate(np.flip(np.where(ends, position, size), axis=-1), axis=-1), axis=-1
    )
    ranks = np.empty(values.shape, dtype=float)
    np.put_along_axis(ranks, order, (first + last) / 2.0, axis=-1)
    return np.where(np.isnan(values), np.nan, ranks)


def _percentile(
    x: np.ndarray, rule: m.PercentileRank, direction: str, target
) -> tuple[np.ndarray, dict]:
    present = ~np.isnan(x)
    n = present.sum(axis=-1, keepdims=True)
    if not present.any():
        return np.full_like(x, np.nan), {}
    # average rank of ties, 0 = worst: the share of other units a unit beats (ties count half)
    ranks = average_ranks(x if direction == "higher" else -x)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(n > 1, ranks / np.maximum(n - 1, 1), 1.0)
    scores = np.where(present, scores, np.nan)
    return scores, {"n": int(n[..., 0]) if n.ndim == 1 else n[..., 0]}


def _threshold(x: np.ndarray, rule: m.Threshold, direction: str, target) -> tuple[np.ndarray, dict]:
    if direction == "higher":
        passed = x >= rule.value if rule.inclusive else x > rule.value
    else:
        passed = x <= rule.value if rule.inclusive else x < rule.value
    scores = np.where(np.isnan(x), np.nan, passed.astype(float))
    return scores, {"value": rule.value, "inclusive": rule.inclusive}


METHODS: dict[str, Callable[..., tuple[np.ndarray, dict[str, Any]]]] = {
    "minmax": _minmax,
    "goalposts": _goalposts,
    "target": _target,
    "table": _table,
    "zscore": _zscore,
    "percentile": _percentile,
    "threshold": _threshold,
}


def normalize(values: np.ndarray, indicator: m.Indicator, target: np.ndarray | None):
    """The normalized scores of one indicator and the parameters the rule used."""
    method = METHODS[indicator.score.method]
    return method(values.astype(float), indicator.score, indicator.direction, target)


def normalize_indicators(state: ScoringState) -> None:
    records = {}
    for name, indicator in state.scheme.model.indicators.items():
        scores, params = normalize(state.values[name], indicator, state.targets.get(name))
        state.normalized[name] = scores
        records[name] = {
            "method": indicator.score.method,
            "direction": indicator.direction,
            **params,
        }
    state.log["normalize"] = records
