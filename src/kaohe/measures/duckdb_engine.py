"""Run measure plans in DuckDB, in-process, straight over the source files."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from .compile import ANCESTORS, MeasurePlan


def compute_measures(
    con: duckdb.DuckDBPyConnection,
    plans: list[MeasurePlan],
    ancestors: list[tuple[str, str]],
    units: list[str],
) -> dict[str, np.ndarray]:
    """Every measure for every unit in ``units`` (any level), as arrays aligned to ``units``.

    Units without rows in a source get the measure's value over no rows (0 for counts).
    """
    pairs = pa.table({"unit": [u for u, _ in ancestors], "ancestor": [a for _, a in ancestors]})
    con.register("kaohe_ancestor_pairs", pairs)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ANCESTORS} AS SELECT * FROM kaohe_ancestor_pairs")
    index = {unit: i for i, unit in enumerate(units)}
    result: dict[str, np.ndarray] = {}
    for plan in plans:
        empty = dict(zip(plan.measures, con.execute(plan.empty).fetchall()[0], strict=True))
        columns = {
            name: np.array([empty[name]] * len(units), dtype=object) for name in plan.measures
        }
        if plan.rollup:
            con.execute(f"CREATE OR REPLACE TEMP TABLE finest_{plan.source} AS {plan.finest}")
        for sql in (plan.rollup, plan.recompute):
            if not sql:
                continue
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            for unit, *values in cursor.fetchall():
                if unit in index:
                    for name, value in zip(names[1:], values, strict=True):
                        columns[name][index[unit]] = value
        result.update(columns)
    return result
