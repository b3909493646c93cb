"""Evaluate a per-unit expression over the state's columns, in DuckDB (never Python eval)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..expr import Expression, quote
from .state import ScoringState, as_column


def evaluate(state: ScoringState, expression: Expression) -> np.ndarray:
    """The expression's value for every assessed unit, aligned to ``state.units``."""
    columns = {"__row": pa.array(np.arange(state.size))}
    for name in sorted(expression.names):
        column = state.values[name]
        # from_pandas turns NaN into SQL NULL, so missing numbers stay missing in SQL.
        columns[name] = pa.array(column, from_pandas=True)
    state.con.register("unit_values", pa.table(columns))
    try:
        rows = state.con.execute(
            f"SELECT {expression.sql()} AS {quote('value')} FROM unit_values ORDER BY __row"
        ).fetchall()
    finally:
        state.con.unregister("unit_values")
    return as_column(row[0] for row in rows)


def evaluate_condition(state: ScoringState, expression: Expression) -> np.ndarray:
    """A condition as a boolean array; NULL counts as not met (as in SQL's WHERE)."""
    values = evaluate(state, expression)
    return np.array([bool(v) if v is not None and v == v else False for v in values], dtype=bool)
