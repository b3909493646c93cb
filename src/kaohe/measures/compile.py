"""Compile a scheme's measures into SQL: one GROUP BY per source, plus the roll-up.

The SQL is written once in DuckDB's dialect; other engines transpile it with sqlglot.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data.sources import UNIT_KEY, quote, view_name
from ..expr import Expression

ANCESTORS = "kaohe_ancestors"  # (unit, ancestor): every unit is its own ancestor


@dataclass(frozen=True)
class MeasurePlan:
    """The queries for one source's measures."""

    source: str
    finest: str  # one GROUP BY at the unit the rows belong to, for the measures that roll up
    rollup: str | None  # that GROUP BY (as a CTE) combined into every ancestor
    recompute: str | None  # measures that cannot be combined, aggregated from rows at every level
    empty: str  # each measure's value over no rows (count → 0, sum → NULL), for units without rows
    measures: tuple[str, ...]
    rolled: tuple[str, ...] = ()  # the measures of ``rollup``, in its column order (after unit)
    recomputed: tuple[str, ...] = ()  # the measures of ``recompute``, likewise


def plan_measures(measures: dict[str, Expression], sources: dict[str, str]) -> list[MeasurePlan]:
    """``measures``: parsed expressions; ``sources``: measure name → source name."""
    plans = []
    # sqlglot renders an expression by copying its tree: once per measure, not once per use
    text = {name: expression.sql() for name, expression in measures.items()}
    for source in sorted(set(sources.values())):
        names = sorted(name for name in measures if sources[name] == source)
        combinable = [n for n in names if measures[n].rollup != "recompute"]
        other = [n for n in names if measures[n].rollup == "recompute"]
        view = view_name(source)
        finest = rollup = recompute = None
        if combinable:
            select = ", ".join(f"{text[n]} AS {quote(n)}" for n in combinable)
            finest = f"SELECT {UNIT_KEY} AS unit, {select} FROM {view} GROUP BY {UNIT_KEY}"
            combine = ", ".join(
                f"{measures[n].rollup}(f.{quote(n)}) AS {quote(n)}" for n in combinable
            )
            # One statement: the GROUP BY over the rows, then its few rows combined upwards.
            rollup = (
                f"WITH finest AS ({finest}) "
                f"SELECT a.ancestor AS unit, {combine} FROM finest AS f "
                f"JOIN {ANCESTORS} AS a ON f.unit = a.unit GROUP BY a.ancestor"
            )
        if other:
            select = ", ".join(f"{text[n]} AS {quote(n)}" for n in other)
            recompute = (
                f"SELECT a.ancestor AS unit, {select} FROM {view} "
                f"JOIN {ANCESTORS} AS a ON {view}.{UNIT_KEY} = a.unit GROUP BY a.ancestor"
            )
        empty_select = ", ".join(f"{text[n]} AS {quote(n)}" for n in names)
        empty = f"SELECT {empty_select} FROM {view} WHERE false"
        plans.append(
            MeasurePlan(
                source,
                finest or "",
                rollup,
                recompute,
                empty,
                tuple(names),
                tuple(combinable),
                tuple(other),
            )
        )
    return plans
