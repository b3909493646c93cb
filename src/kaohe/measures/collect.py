"""Run measure plans on an engine and align the results to the units: the part every engine shares.

An engine is anything that can register a small table and return a query's rows; the SQL is the
plans' (DuckDB dialect) and each engine translates it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .compile import ANCESTORS, MeasurePlan


class MeasureEngine(Protocol):
    name: str

    def register_pairs(self, name: str, pairs: list[tuple[str, str]]) -> None:
        """A two-column text table (unit, ancestor)."""

    def rows(self, queries: list[tuple[str, list[str]]]) -> list[list[tuple]]:
        """Every row of each query, whose columns are named; in the order given."""


def collect(
    engine: MeasureEngine,
    plans: list[MeasurePlan],
    ancestors: list[tuple[str, str]],
    units: list[str],
) -> dict[str, np.ndarray]:
    """Every measure for every unit in ``units`` (any level), as arrays aligned to ``units``.

    Units without rows in a source get the measure's value over no rows (0 for counts). All the
    plans' queries go to the engine at once: it may run them as one statement.
    """
    engine.register_pairs(ANCESTORS, ancestors)
    index = {unit: i for i, unit in enumerate(units)}
    queries: list[tuple[str, list[str]]] = []
    for plan in plans:
        queries.append((plan.empty, list(plan.measures)))
        if plan.rollup:
            queries.append((plan.rollup, ["unit", *plan.rolled]))
        if plan.recompute:
            queries.append((plan.recompute, ["unit", *plan.recomputed]))
    answers = iter(engine.rows(queries))
    result: dict[str, np.ndarray] = {}
    for plan in plans:
        empty = dict(zip(plan.measures, next(answers)[0], strict=True))
        columns = {
            name: np.array([empty[name]] * len(units), dtype=object) for name in plan.measures
        }
        for sql, names in ((plan.rollup, plan.rolled), (plan.recompute, plan.recomputed)):
            if not sql:
                continue
            for unit, *values in next(answers):
                if unit in index:
                    for name, value in zip(names, values, strict=True):
                        columns[name][index[unit]] = value
        result.update(columns)
    return result
