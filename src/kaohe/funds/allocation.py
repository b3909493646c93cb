"""Next year's allocation by the factor method (因素法), with the effect of performance shown.

``allocation(c) = total × Σ_k w_k · x_k(c) / Σ_c' x_k(c')`` over the need factors (aggregates of
sources per county, in the scheme expression language, computed by DuckDB over the data files)
and the performance factor (the county's evaluation score above a baseline). The same formula
without the performance factor — its weight given back to the need factors in proportion — is
the counterfactual; the difference is what performance changed. Amounts are rounded to 0.01 万元
by largest remainder, so the allocations add up to the total exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import Field

from ..data.sources import register_source
from ..data.units import load_units
from ..errors import DataError, Problem, SchemeError
from ..expr import ExprError, ExprKind, parse
from ..i18n import text
from ..measures import compute_measures, plan_measures
from ..scheme.model import Source
from .fund_rules import LoadedRules, RulesHeader, RulesModel, load_rules
from .tables import Table


class NeedFactor(RulesModel):
    label: str
    label_en: str | None = None
    source: str
    expr: str
    transform: Literal["identity", "inverse"] = "identity"
    weight: float = Field(ge=0)


class PerformanceFactor(RulesModel):
    label: str
    label_en: str | None = None
    column: str = "final_score"
    baseline: float = 0.0
    weight: float = Field(ge=0)


class AllocationRules(RulesHeader):
    level: str = "county"
    total: float = Field(gt=0)
    sources: dict[str, Source]
    need_factors: dict[str, NeedFactor]
    performance: PerformanceFactor | None = None


def load_allocation_rules(rules: str | Path = "allocation", overrides: dict | None = None):
    loaded: LoadedRules[AllocationRules] = load_rules(rules, AllocationRules, overrides)
    problems = []
    model = loaded.model
    for name, factor in model.need_factors.items():
        if factor.source not in model.sources:
            problems.append(
                Problem(
                    loaded.file,
                    None,
                    text(
                        f"因素 {name}：未声明的数据源 {factor.source}",
                        f"factor {name}: undeclared source {factor.source}",
                    ),
                )
            )
            continue
        try:
            parse(factor.expr, model.sources[factor.source].columns, ExprKind.AGGREGATE)
        except ExprError as error:
            problems.append(Problem(loaded.file, None, f"need_factors.{name}.expr: {error}"))
    if sum(f.weight for f in model.need_factors.values()) <= 0:
        problems.append(
            Problem(
                loaded.file,
                None,
                text("需求因素的权重之和应大于 0", "the need factors' weights must add up to > 0"),
            )
        )
    if problems:
        raise SchemeError(problems)
    return loaded


@dataclass
class Allocation:
    units: list[str]
    names: dict[str, str]
    factors: dict[str, list[float]]  # raw factor values per unit (None → 0)
    shares: dict[str, list[float]]  # each factor's share per unit (sums to 1 or 0)
    weights: dict[str, float]  # normalized weights, with performance
    weights_without: dict[str, float]
    with_performance: list[float]
    without_performance: list[float]
    performance_scores: list[float | None]
    total: float
    rules: LoadedRules[AllocationRules]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for i, unit in enumerate(self.units):
            row: dict[str, Any] = {"unit": unit, "name": self.names[unit]}
            for name in self.factors:
                row[name] = self.factors[name][i]
                row[f"{name}_share"] = round(self.shares[name][i], 8)
            row["performance_score"] = self.performance_scores[i]
            row["allocation"] = self.with_performance[i]
            row["allocation_without_performance"] = self.without_performance[i]
            row["performance_effect"] = round(
                self.with_performance[i] - self.without_performance[i], 2
            )
            out.append(row)
        return out


def shares_of(values: list[float]) -> list[float]:
    total = sum(values)
    return [v / total if total > 0 else 0.0 for v in values]


def split(total: float, weights: list[float]) -> list[float]:
    """``total`` split in proportion to ``weights`` in 0.01 steps, adding up exactly (largest
    remainder; ties go to the earlier unit, which is code order)."""
    cents = round(total * 100)
    whole = sum(weights)
    if whole <= 0:
        return [0.0] * len(weights)
    quotas = [cents * w / whole for w in weights]
    base = [math.floor(q) for q in quotas]
    left = cents - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return [b / 100 for b in base]


def combine(
    shares: dict[str, list[float]], weights: dict[str, float], total: float
) -> tuple[list[float], dict[str, float]]:
    """Allocations from factor shares and weights; factors whose shares are all zero drop out
    and their weight goes to the others in proportion."""
    live = {k: w for k, w in weights.items() if w > 0 and sum(shares[k]) > 0}
    whole = sum(live.values())
    normalized = {k: (live.get(k, 0.0) / whole if whole else 0.0) for k in weights}
    size = len(next(iter(shares.values()))) if shares else 0
    mix = [sum(normalized[k] * shares[k][i] for k in weights) for i in range(size)]
    return split(total, mix), normalized


def allocate(
    data: Path,
    rules: LoadedRules[AllocationRules],
    scores: Table | None,
    period: str | None = None,
    total: float | None = None,
) -> Allocation:
    """The allocation per unit of ``rules.level`` from the sources in ``data`` and the scores."""
    model = rules.model
    units = load_units(Path(data), {})
    receiving = units.assessed("region", model.level)
    if not receiving:
        raise DataError(
            text(
                f"{units.file}：没有层级为 {model.level} 的地区",
                f"{units.file}: no regions at level {model.level}",
            )
        )
    measures = {
        name: parse(f.expr, model.sources[f.source].columns, ExprKind.AGGREGATE)
        for name, f in model.need_factors.items()
    }
    with duckdb.connect() as con:
        con.register("kaohe_unit_codes", pa.table({"unit": units.codes}))
        con.execute("CREATE TEMP TABLE kaohe_units AS SELECT * FROM kaohe_unit_codes")
        used = sorted({f.source for f in model.need_factors.values()})
        for source in used:
            register_source(con, source, model.sources[source], Path(data), period)
        plans = plan_measures(measures, {n: f.source for n, f in model.need_factors.items()})
        computed = compute_measures(con, plans, units.ancestors(), receiving)
    factors: dict[str, list[float]] = {}
    shares: dict[str, list[float]] = {}
    weights: dict[str, float] = {}
    for name, factor in model.need_factors.items():
        raw = [float(v) if v is not None else 0.0 for v in computed[name]]
        factors[name] = raw
        x = [(1.0 / v if v > 0 else 0.0) for v in raw] if factor.transform == "inverse" else raw
        shares[name] = shares_of([max(v, 0.0) for v in x])
        weights[name] = factor.weight
    performance_scores: list[float | None] = [None] * len(receiving)
    if model.performance is not None:
        by_unit = _scores(scores, model.performance.column) if scores is not None else {}
        performance_scores = [by_unit.get(u) for u in receiving]
        x = [
            max((s or 0.0) - model.performance.baseline, 0.0) if s is not None else 0.0
            for s in performance_scores
        ]
        factors["performance"] = [s if s is not None else 0.0 for s in performance_scores]
        shares["performance"] = shares_of(x)
        weights["performance"] = model.performance.weight
    amount = float(total if total is not None else model.total)
    with_performance, normalized = combine(shares, weights, amount)
    need_only = {k: (w if k != "performance" else 0.0) for k, w in weights.items()}
    without_performance, normalized_without = combine(shares, need_only, amount)
    return Allocation(
        units=receiving,
        names={u: units.name[u] for u in receiving},
        factors=factors,
        shares=shares,
        weights=normalized,
        weights_without=normalized_without,
        with_performance=with_performance,
        without_performance=without_performance,
        performance_scores=performance_scores,
        total=amount,
        rules=rules,
    )


def _scores(table: Table, column: str) -> dict[str, float]:
    if column not in table.columns:
        raise DataError(
            text(
                f"{table.place}：缺少绩效得分列 {column}",
                f"{table.place}: the score column {column} is missing",
            )
        )
    out: dict[str, float] = {}
    problems = []
    for row in table.rows:
        value = row.number(column)
        if row.get(column) is not None and value is None:
            problems.append(
                text(
                    f"{row.cell(column)}：{row.get(column)!r} 不是数值",
                    f"{row.cell(column)}: {row.get(column)!r} is not a number",
                )
            )
        elif value is not None:
            out[row.text("unit")] = value
    if problems:
        raise DataError("\n".join(problems))
    return out
