"""The sampling error of estimated indicators (``estimated: true``): how each one is drawn.

Two sources, in order of preference:
- **intervals**: a confidence interval per unit, declared by the scheme (``interval: {low, high}``
  over measures, computed by the run), from the run's explain.json (an indicator entry with
  ``interval: {low, high, level}``) or from an estimates file (``--estimates``: columns unit,
  indicator, low, high, optional confidence; or the verification report's estimates table, whose
  ``estimate`` column names the indicator). A draw is a split normal around the run's value whose
  two halves put ``low`` and ``high`` at the interval's quantiles, so asymmetric (Wilson,
  Clopper–Pearson) intervals keep their shape.
- **binomial**: when no interval exists, the indicator must be a ratio of two count measures,
  ``k / nullif(n, 0)`` (possibly inside an affine formula such as ``1 - k / n``). The true
  proportion is drawn from the Jeffreys posterior Beta(k + ½, n − k + ½), which, unlike the plain
  normal approximation, still varies when a sample found no case (k = 0). This ignores design
  effects of clustered samples, so it understates the error of cluster samples; intervals from
  the verification step are preferred whenever they exist.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
from scipy.stats import norm
from sqlglot import exp

from ..errors import DataError
from ..i18n import text
from ..scoring import ScoringState
from ..scoring.evaluate import evaluate
from .settings import Settings


@dataclass
class Sampler:
    """Draws of one estimated indicator's value for every assessed unit."""

    indicator: str
    source: str  # "intervals" or "binomial"
    detail: str  # where the intervals came from, or the counts behind the ratio
    nominal: np.ndarray  # the run's values (units)
    varies: np.ndarray  # which units are drawn (the others keep the run's value)
    params: dict[str, np.ndarray]

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        size = (*shape, self.nominal.size)
        if self.source == "intervals":
            z = rng.standard_normal(size)
            spread = np.where(z < 0, self.params["below"], self.params["above"])
            values = np.clip(self.nominal + z * spread, self.params["floor"], self.params["cap"])
        else:
            k, n = self.params["successes"], self.params["trials"]
            share = rng.beta(k + 0.5, n - k + 0.5, size=size)
            values = self.params["at_zero"] + self.params["slope"] * share
        return np.where(self.varies, values, self.nominal)

    def describe(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "source": self.source,
            "detail": self.detail,
            "units_drawn": int(self.varies.sum()),
            "units_fixed": int((~self.varies).sum()),
        }


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float
    where: str  # file:line, for error messages


def build_samplers(
    state: ScoringState, settings: Settings, explanation: dict[str, Any]
) -> tuple[list[Sampler], list[str]]:
    """A sampler for each estimated indicator that can be drawn, and notes on those that cannot."""
    model = state.scheme.model
    estimated = [name for name, indicator in model.indicators.items() if indicator.estimated]
    if settings.sampling == "none" or not estimated:
        return [], []
    intervals = _intervals_from_explanation(explanation)
    intervals.update(_intervals_from_state(state))
    if settings.estimates is not None:
        intervals.update(read_estimates(settings.estimates, state))
    samplers, notes = [], []
    for name in estimated:
        found = {unit: iv for (unit, indicator), iv in intervals.items() if indicator == name}
        sampler, reason = None, ""
        if found and settings.sampling in ("auto", "intervals"):
            sampler = _interval_sampler(state, name, found)
        elif settings.sampling in ("auto", "binomial"):
            sampler, reason = _binomial_sampler(state, name)
        else:
            reason = text("没有置信区间", "no confidence intervals")
        if sampler is None:
            notes.append(
                text(
                    f"估计指标 {name} 的抽样误差未计入：{reason}",
                    f"the sampling error of estimated indicator {name} is left out: {reason}",
                )
            )
        else:
            samplers.append(sampler)
    if settings.sampling in ("intervals", "binomial") and not samplers:
        raise DataError(
            text(
                f"{state.scheme.file}：--sampling {settings.sampling} 下没有可抽样的估计指标。"
                + "；".join(notes),
                f"{state.scheme.file}: no estimated indicator can be drawn with --sampling "
                f"{settings.sampling}. " + "; ".join(notes),
            )
        )
    return samplers, notes


# --------------------------------------------------------------------------- intervals


def _intervals_from_explanation(explanation: dict[str, Any]) -> dict[tuple[str, str], Interval]:
    found = {}
    for unit, entry in explanation.get("units", {}).items():
        for name, indicator in (entry.get("indicators") or {}).items():
            interval = indicator.get("interval")
            if isinstance(interval, dict) and interval.get("low") is not None:
                level = float(interval.get("level") or 0.95)
                found[(unit, name)] = Interval(
                    float(interval["low"]), float(interval["high"]), level, "explain.json"
                )
            elif isinstance(interval, list | tuple) and len(interval) == 2 and None not in interval:
                found[(unit, name)] = Interval(
                    float(interval[0]), float(interval[1]), 0.95, "explain.json"
                )
    return found


def _intervals_from_state(state: ScoringState) -> dict[tuple[str, str], Interval]:
    """Intervals the scheme declares (``interval: {low, high}`` over measures), as the run computed
    them: exact, where explain.json holds them rounded."""
    found = {}
    for name, (low, high) in getattr(state, "intervals", {}).items():
        declared = state.scheme.model.indicators[name].interval
        level = declared.level if declared is not None else 0.95
        for i, unit in enumerate(state.units):
            if not (np.isnan(low[i]) or np.isnan(high[i])):
                found[(unit, name)] = Interval(float(low[i]), float(high[i]), level, "scheme")
    return found


def read_estimates(path: Path, state: ScoringState) -> dict[tuple[str, str], Interval]:
    """An estimates file: one row per unit and indicator with the interval's low and high."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            text(f"估计值文件 {path} 不存在", f"the estimates file {path} does not exist")
        )
    if path.suffix.lower() == ".parquet":
        rows = [
            (f"{path}:row {i + 1}", row) for i, row in enumerate(pq.read_table(path).to_pylist())
        ]
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [(f"{path}:{i + 2}", row) for i, row in enumerate(csv.DictReader(handle))]
    estimated = {n for n, i in state.scheme.model.indicators.items() if i.estimated}
    units = set(state.units)
    found = {}
    for where, row in rows:
        # The verification report's estimates table names the indicator in "estimate" and may
        # hold estimates the scheme does not use; a file written for this command uses
        # "indicator", where a name that is not an estimated indicator is a mistake.
        from_verification = "indicator" not in row and "estimate" in row
        if from_verification:
            row = {**row, "indicator": row["estimate"]}
        missing = [c for c in ("unit", "indicator", "low", "high") if row.get(c) in (None, "")]
        if missing:
            raise DataError(
                text(
                    f"{where}：缺少列 {', '.join(missing)}（需要 unit, indicator, low, high，"
                    "可选 confidence）",
                    f"{where}: missing {', '.join(missing)} (needed: unit, indicator, low, high; "
                    "optional confidence)",
                )
            )
        unit, indicator = str(row["unit"]), str(row["indicator"])
        if indicator not in estimated:
            if from_verification:
                continue
            raise DataError(
                text(
                    f"{where}：indicator 列的 {indicator} 不是考核办法中标为 estimated 的指标"
                    f"（{'、'.join(sorted(estimated)) or '无'}）",
                    f"{where}: indicator {indicator} is not an estimated indicator of the scheme "
                    f"({', '.join(sorted(estimated)) or 'none'})",
                )
            )
        if unit not in units:
            continue  # estimates for units this run does not grade (e.g. counties) are not used
        try:
            low, high = float(row["low"]), float(row["high"])
            level = float(row.get("confidence") or 0.95)
        except ValueError:
            raise DataError(
                text(
                    f"{where}：low、high、confidence 必须是数值",
                    f"{where}: low, high and confidence must be numbers",
                )
            ) from None
        if not (low <= high and 0 < level < 1):
            raise DataError(
                text(
                    f"{where}：需要 low ≤ high 且 0 < confidence < 1（现为 {low}, {high}, {level}）",
                    f"{where}: needs low <= high and 0 < confidence < 1 (got {low}, {high}, {level})",
                )
            )
        found[(unit, indicator)] = Interval(low, high, level, where)
    return found


def _interval_sampler(state: ScoringState, name: str, found: dict[str, Interval]) -> Sampler:
    nominal = state.values[name].astype(float)
    size = state.size
    below, above = np.zeros(size), np.zeros(size)
    floor, cap = np.full(size, -np.inf), np.full(size, np.inf)
    varies = np.zeros(size, dtype=bool)
    sources = set()
    for i, unit in enumerate(state.units):
        interval = found.get(unit)
        if interval is None or np.isnan(nominal[i]):
            continue
        # explain.json rounds to 6 decimals; a value on its interval's end may fall just outside
        tolerance = 1e-6 * max(1.0, abs(nominal[i]))
        if not interval.low - tolerance <= nominal[i] <= interval.high + tolerance:
            raise DataError(
                text(
                    f"{interval.where}：{unit} 的 {name} 为 {nominal[i]:.6g}，"
                    f"不在区间 [{interval.low:g}, {interval.high:g}] 内；请核对估计值文件",
                    f"{interval.where}: {name} of {unit} is {nominal[i]:.6g}, outside its interval "
                    f"[{interval.low:g}, {interval.high:g}]; check the estimates",
                )
            )
        quantile = float(norm.ppf(0.5 + interval.level / 2))
        below[i] = max(nominal[i] - interval.low, 0.0) / quantile
        above[i] = max(interval.high - nominal[i], 0.0) / quantile
        # proportions stay proportions: an interval inside [0, 1] keeps its draws there
        floor[i] = 0.0 if interval.low >= 0 else -np.inf
        cap[i] = 1.0 if interval.low >= 0 and interval.high <= 1 else np.inf
        varies[i] = below[i] > 0 or above[i] > 0
        sources.add(interval.where.split(":")[0])
    params = {"below": below, "above": above, "floor": floor, "cap": cap}
    return Sampler(name, "intervals", ", ".join(sorted(sources)), nominal, varies, params)


# --------------------------------------------------------------------------- binomial


def _strip(node: exp.Expression) -> exp.Expression:
    """``nullif(n, 0)``, ``coalesce(n, …)``, casts and parentheses around a column → the column."""
    while isinstance(node, exp.Nullif | exp.Coalesce | exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    return node


def ratio_counts(state: ScoringState, name: str) -> tuple[str, str] | None:
    """The count measures (k, n) behind an indicator written as a ratio k / n, if it is one."""
    measures = set(state.scheme.model.measures)
    divisions = list(state.scheme.indicators[name].tree.find_all(exp.Div))
    if len(divisions) != 1:
        return None
    denominator = _strip(divisions[0].expression)
    if not isinstance(denominator, exp.Column) or denominator.name not in measures:
        return None
    trials = denominator.name
    numerator = {c.name for c in divisions[0].this.find_all(exp.Column)} - {trials}
    if len(numerator) != 1 or not numerator <= measures:
        return None
    return next(iter(numerator)), trials


def _binomial_sampler(state: ScoringState, name: str) -> tuple[Sampler | None, str]:
    counts = ratio_counts(state, name)
    if counts is None:
        return None, text(
            "没有置信区间，表达式也不是两个计数的比值 k / n；请提供 --estimates",
            "no confidence intervals, and its expression is not a ratio of two counts k / n; "
            "give intervals with --estimates",
        )
    successes, trials = counts
    k = state.values[successes].astype(float)
    n = state.values[trials].astype(float)
    usable = (n > 0) & ~np.isnan(k)
    if np.any(usable & ((k < 0) | (k > n))):
        return None, text(
            f"{successes} / {trials} 不是比例（出现 k < 0 或 k > n）",
            f"{successes} / {trials} is not a proportion (k < 0 or k > n somewhere)",
        )
    expression = state.scheme.indicators[name]
    with duckdb.connect() as con:

        def at(count: np.ndarray) -> np.ndarray:
            values = {**state.values, successes: count}
            return evaluate(dataclasses.replace(state, values=values, con=con), expression)

        at_zero, at_all = at(np.zeros_like(k)), at(n.copy())
    nominal = state.values[name].astype(float)
    slope = at_all - at_zero
    with np.errstate(invalid="ignore", divide="ignore"):
        affine = at_zero + slope * np.where(usable, k / np.where(usable, n, 1.0), np.nan)
    usable &= ~np.isnan(nominal) & ~np.isnan(slope)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(nominal))
    if np.any(usable & ~(np.abs(affine - nominal) <= tolerance)):
        return None, text(
            f"其值不是 {successes} / {trials} 的线性函数；请提供 --estimates",
            f"its value is not a linear function of {successes} / {trials}; give --estimates",
        )
    params = {
        "successes": np.where(usable, k, 0.0),
        "trials": np.where(usable, n, 1.0),
        "at_zero": np.where(usable, at_zero, 0.0),
        "slope": np.where(usable, slope, 0.0),
    }
    return Sampler(name, "binomial", f"{successes} / {trials}", nominal, usable, params), ""
