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

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Column names and every row of ``sql``."""


def collect(
    engine: MeasureEngine,
    plans: list[MeasurePlan],
    ancestors: list[tuple[str, str]],
    units: list[str],
) -> dict[str, np.ndarray]:
    """Every measure for every unit in ``units`` (any level), as arrays aligned to ``units``.

    Units without rows in a source get the measure's value over no rows (0 for counts).
    """
    engine.register_pairs(ANCESTORS, ancestors)
    index = {unit: i for i, unit in enumerate(units)}
    result: dict[str, np.ndarray] = {}
    for plan in plans:
        _, empty_rows = engine.rows(plan.empty)
        empty = dict(zip(plan.measures, empty_rows[0], strict=True))
        columns = {
            name: np.array([empty[name]] * len(units), dtype=object) for name in plan.measures
        }
        for sql in (plan.rollup, plan.recompute):
            if not sql:
                continue
            names, rows = engine.rows(sql)
            for unit, *values in rows:
                if unit in index:
                    for name, value in zip(names[1:], values, strict=True):
                        columns[name][index[unit]] = value
        result.update(columns)
    return result
