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
    holds, _ = evaluate_truth(state, expression)
    return holds


def evaluate_truth(state: ScoringState, expression: Expression) -> tuple[np.ndarray, np.ndarray]:
    """A condition in three-valued logic: (holds, unknown) as boolean arrays.

    Unknown (SQL NULL) is what a condition over missing values gives: a veto or a coverage rule
    must treat it as "cannot tell", never as "not met".
    """
    values = evaluate(state, expression)
    unknown = np.array([v is None or v != v for v in values], dtype=bool)
    holds = np.array(
        [bool(v) if not gone else False for v, gone in zip(values, unknown, strict=True)], bool
    )
    return holds, unknown


def three_valued(holds: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """True, False or None per unit (an object column, as flags are kept)."""
    return np.array(
        [None if u else bool(h) for h, u in zip(holds, unknown, strict=True)], dtype=object
    )
