"""Step: turn each indicator's value into a normalized score (usually 0 to 1, 1 best).

One function per scoring rule; each returns the scores and the parameters it used, which the
explanation reports (e.g. the min and max of a min-max rescaling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..scheme import model as m
from .state import ScoringState


def _minmax(x: np.ndarray, rule: m.MinMax, direction: str, target) -> tuple[np.ndarray, dict]:
    present = x[~np.isnan(x)]
    if present.size == 0:
        return np.full_like(x, np.nan), {}
    low, high = float(present.min()), float(present.max())
    if high == low:  # no spread: nobody is better than anybody, everybody gets full marks
        scores = np.where(np.isnan(x), np.nan, 1.0)
    else:
        scores = (x - low) / (high - low)
        if direction == "lower":
            scores = 1.0 - scores
    return scores, {"min": low, "max": high}


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
    with np.errstate(divide="ignore", invalid="ignore"):
        if direction == "higher":
            ratio = np.where(target > 0, x / target, np.nan)
        else:
            # lower is better: meeting a target of t with value x earns t / x; zero is perfect
            ratio = np.where(x > 0, target / x, np.where(x <= 0, rule.cap, np.nan))
            ratio = np.where(np.isnan(target) | np.isnan(x), np.nan, ratio)
    scores = np.clip(ratio, rule.floor, rule.cap)
    return scores, {"cap": rule.cap, "floor": rule.floor}


def _table(x: np.ndarray, rule: m.ScoreTable, direction: str, target) -> tuple[np.ndarray, dict]:
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
    return scores, {"rows": [list(row) for row in rule.rows]}


def _zscore(x: np.ndarray, rule: m.ZScore, direction: str, target) -> tuple[np.ndarray, dict]:
    present = x[~np.isnan(x)]
    if present.size == 0:
        return np.full_like(x, np.nan), {}
    mean, sd = float(present.mean()), float(present.std())
    z = np.zeros_like(x) if sd == 0 else (x - mean) / sd
    z = np.where(np.isnan(x), np.nan, z)
    if direction == "lower":
        z = -z
    return rule.mean + rule.sd * z, {"mean": mean, "sd": sd}


def _percentile(
    x: np.ndarray, rule: m.PercentileRank, direction: str, target
) -> tuple[np.ndarray, dict]:
    present = ~np.isnan(x)
    n = int(present.sum())
    scores = np.full_like(x, np.nan)
    if n == 0:
        return scores, {}
    if n == 1:
        scores[present] = 1.0
        return scores, {"n": 1}
    values = x[present] if direction == "higher" else -x[present]
    # average rank of ties, 1 = worst: the share of other units a unit beats (ties count half)
    below = np.searchsorted(np.sort(values), values, side="left")
    equal = np.searchsorted(np.sort(values), values, side="right") - below
    scores[present] = (below + (equal - 1) / 2) / (n - 1)
    return scores, {"n": n}


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
