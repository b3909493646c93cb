"""Registry ratios per unit (综合贫困发生率 …): an aggregate of one source over one of another.

These are counts, not samples, so they carry no sampling interval; the numerator and denominator
are aggregated per unit in DuckDB (streaming the registry) and rolled up the unit hierarchy —
summed when the aggregate adds up, recomputed from the rows at each level when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data.sources import UNIT_KEY
from .inputs import Inputs


@dataclass
class UnitRatio:
    unit: str
    level: str
    ratio: str
    numerator: float | None
    denominator: float | None
    value: float | None


def _aggregate(inputs: Inputs, source: str, expression) -> dict[str, float | None]:
    """The aggregate for every unit (each unit is its own ancestor)."""
    view = inputs.view(source)
    sql = expression.sql()
    pairs = inputs.units.ancestors()
    if expression.rollup == "sum":
        finest = dict(
            inputs.con.execute(
                f"SELECT {UNIT_KEY}, {sql} FROM {view} GROUP BY {UNIT_KEY}"
            ).fetchall()
        )
        totals: dict[str, float | None] = {}
        for unit, ancestor in pairs:
            value = finest.get(unit)
            if value is not None:
                totals[ancestor] = (totals.get(ancestor) or 0) + value
        return totals
    inputs.con.execute(
        "CREATE OR REPLACE TEMP TABLE verify_ancestors (unit VARCHAR, ancestor VARCHAR)"
    )
    inputs.con.executemany("INSERT INTO verify_ancestors VALUES (?, ?)", pairs)
    return dict(
        inputs.con.execute(
            f"SELECT a.ancestor, {sql} FROM {view} JOIN verify_ancestors a "
            f"ON {view}.{UNIT_KEY} = a.unit GROUP BY a.ancestor"
        ).fetchall()
    )


def unit_ratios(inputs: Inputs, rules, levels: list[str]) -> list[UnitRatio]:
    """Each ratio of ``rules`` for every unit at ``levels`` whose sources are present."""
    out = []
    for name, rule in rules.model.ratios.items():
        if not (inputs.has(rule.numerator.source) and inputs.has(rule.denominator.source)):
            continue
        top = _aggregate(
            inputs, rule.numerator.source, rules.expressions[("ratios", name, "numerator", "expr")]
        )
        bottom = _aggregate(
            inputs,
            rule.denominator.source,
            rules.expressions[("ratios", name, "denominator", "expr")],
        )
        for unit in inputs.units.codes:
            level = inputs.units.level[unit]
            if level not in levels or (unit not in top and unit not in bottom):
                continue
            num, den = top.get(unit), bottom.get(unit)
            value = None if num is None or not den else float(num) / float(den)
            out.append(UnitRatio(unit, level, name, num, den, value))
    return out
