"""Vetoes whose conditions can change between draws, evaluated per draw × unit in DuckDB.

A veto is re-evaluated when its condition reads a sampled indicator, a flag built on one, or the
score; the others keep the run's hits. Conditions are three-valued as in the veto step: a value
that cannot be told (NULL) is unknown, and the scheme's ``when_missing`` decides through the veto
step's own ``veto_applies`` whether an unknown condition applies the veto.
"""

from __future__ import annotations

import threading

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from ..expr import Expression
from ..scoring import ScoringState
from ..scoring.veto import veto_applies
from .draws import Rows


class DrawnVetoes:
    def __init__(self, state: ScoringState, drawn: set[str]):
        scheme = state.scheme
        self.state = state
        self.flags = {
            name: expression
            for name, expression in scheme.flags.items()
            if expression.names & drawn
        }
        varying = drawn | set(self.flags) | {"score", "base_score"}
        self.vetoes: list[Expression | None] = [
            expression if expression.names & varying else None for expression in scheme.vetoes
        ]
        self.fixed_hits = state.veto_hits
        self._local = threading.local()  # one DuckDB connection per scoring thread

    def veto_hits(self, rows: Rows, scores: np.ndarray, adjustment: np.ndarray) -> list[np.ndarray]:
        """Per veto, where it applies: rows × units, or the run's units where it cannot vary."""
        if not any(v is not None for v in self.vetoes):
            return self.fixed_hits
        columns: dict[str, np.ndarray] = {
            "score": scores,
            "base_score": scores - adjustment,
            **{name: values for name, values in rows.values.items()},
        }
        unknown: dict[str, np.ndarray] = {}  # flags: where they cannot be told
        for name, expression in self.flags.items():
            columns[name], unknown[name] = self._evaluate(expression, columns, unknown, rows.count)
        hits = []
        for veto, expression, fixed in zip(
            self.state.scheme.model.vetoes, self.vetoes, self.fixed_hits, strict=True
        ):
            if expression is None:
                hits.append(fixed)
                continue
            holds, cannot_tell = self._evaluate(expression, columns, unknown, rows.count)
            hits.append(veto_applies(veto, holds, cannot_tell))
        return hits

    def _evaluate(
        self, expression: Expression, columns: dict, unknown: dict, count: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """A condition over rows × units in three-valued logic: (holds, unknown)."""
        size = self.state.size
        tree = expression.tree
        if isinstance(tree, exp.Column) and tree.name in unknown:
            return columns[tree.name], unknown[tree.name]  # just a drawn flag: no query needed
        table = {}
        for name in sorted(expression.names):
            if name in columns:
                mask = unknown[name].ravel() if name in unknown else None
                table[name] = pa.array(columns[name].ravel(), mask=mask, from_pandas=True)
            else:
                table[name] = pa.array(np.tile(self.state.values[name], count), from_pandas=True)
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = duckdb.connect()
        con.register("unit_values", pa.table(table))
        try:
            result = con.execute(
                f"SELECT {expression.sql()} AS value FROM unit_values"
            ).fetchnumpy()
        finally:
            con.unregister("unit_values")
        result = np.ma.asarray(result["value"])
        holds = np.asarray(np.ma.filled(result.astype(bool), False))
        cannot_tell = np.ma.getmaskarray(result)
        return holds.reshape(count, size), cannot_tell.reshape(count, size)
