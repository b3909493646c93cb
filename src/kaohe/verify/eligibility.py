"""Household eligibility rules evaluated over the whole registry in DuckDB.

Each rule (eligibility.yaml) is a SQL condition over a household's columns, the period's poverty
line and the rules file's parameters; households whose recorded status contradicts the exit
standard are flagged as suspected 错退 or 错评 and counted per unit in one streaming
``GROUP BY unit`` — the registry is never loaded into Python. The flagged households themselves can
be written to Parquet by DuckDB for follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..data.sources import UNIT_KEY
from ..errors import DataError
from ..expr import quote
from ..i18n import text
from .inputs import Inputs, data_period


@dataclass
class UnitEligibility:
    unit: str
    level: str
    rule: str
    category: str
    households: int  # households of the unit in the registry
    flagged: int
    share: float | None


def poverty_line(inputs: Inputs, rules) -> tuple[str, float]:
    """The period being checked and its poverty line, from the rules file."""
    model = rules.model
    period = data_period(inputs, model.source)
    if period is None:
        raise DataError(
            text(
                f"{inputs.directory}：无法确定 {model.source} 的考核期；请用 --period 指定，"
                "以便选用该年的贫困线",
                f"{inputs.directory}: cannot tell the period of {model.source}; give --period so "
                "the year's poverty line can be chosen",
            )
        )
    if period not in model.poverty_line:
        known = ", ".join(sorted(model.poverty_line))
        raise DataError(
            text(
                f"{rules.file}：没有考核期 {period} 的贫困线（已有：{known}）；请在 poverty_line 下补充",
                f"{rules.file}: no poverty line for period {period} (known: {known}); add it under "
                "poverty_line",
            )
        )
    return period, float(model.poverty_line[period].value)


def _flagged_relation(inputs: Inputs, rules, line: float) -> str:
    """SQL of the registry with the constants, derived columns and one boolean per rule."""
    model = rules.model
    constants = [f"CAST({line!r} AS DOUBLE) AS poverty_line"]
    constants += [
        f"CAST({float(v.value)!r} AS DOUBLE) AS {quote(name)}"
        for name, v in model.parameters.items()
    ]
    relation = f"(SELECT *, {', '.join(constants)} FROM {inputs.view(model.source)})"
    for name in model.derived:  # one layer per derived name: later ones may use earlier ones
        expr = rules.expressions[("derived", name)].sql()
        relation = f"(SELECT *, ({expr}) AS {quote(name)} FROM {relation})"
    flags = ", ".join(
        f"coalesce(({rules.expressions[('rules', name, 'when')].sql()}), false) AS {quote(name)}"
        for name in model.rules
    )
    return f"(SELECT *, {flags} FROM {relation})"


def evaluate_eligibility(
    inputs: Inputs, rules, levels: list[str], flagged_out: Path | None = None
) -> list[UnitEligibility]:
    """Count each rule's flagged households per unit at ``levels`` (counts add up the hierarchy)."""
    model = rules.model
    _, line = poverty_line(inputs, rules)
    relation = _flagged_relation(inputs, rules, line)
    counts = ", ".join(f"count(*) FILTER (WHERE {quote(name)})" for name in model.rules)
    finest = inputs.con.execute(
        f"SELECT {UNIT_KEY}, count(*), {counts} FROM {relation} GROUP BY {UNIT_KEY}"
    ).fetchall()
    names = list(model.rules)
    by_unit = {row[0]: row[1:] for row in finest}
    totals: dict[str, list[int]] = {}
    for unit, ancestor in inputs.units.ancestors():
        if unit in by_unit:
            acc = totals.setdefault(ancestor, [0] * (1 + len(names)))
            for i, value in enumerate(by_unit[unit]):
                acc[i] += int(value)
    if flagged_out is not None:
        any_flag = " OR ".join(quote(n) for n in names)
        listed = ", ".join(f"{quote(n)}" for n in names)
        target = str(Path(flagged_out)).replace("'", "''")
        inputs.con.execute(
            f"COPY (SELECT {UNIT_KEY} AS unit, household_id, {listed} FROM {relation} "
            f"WHERE {any_flag} ORDER BY unit, household_id) TO '{target}' (FORMAT parquet)"
        )
    out = []
    for unit in inputs.units.codes:
        level = inputs.units.level[unit]
        if level not in levels or unit not in totals:
            continue
        households, *flagged = totals[unit]
        for name, count in zip(names, flagged, strict=True):
            out.append(
                UnitEligibility(
                    unit,
                    level,
                    name,
                    model.rules[name].category,
                    households,
                    count,
                    count / households if households else None,
                )
            )
    return out
