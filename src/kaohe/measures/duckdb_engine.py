"""Run measure plans in DuckDB, in-process, straight over the source files (out of core)."""

from __future__ import annotations

import duckdb
import numpy as np

from ..data.progress import Tracker
from ..i18n import text
from .collect import collect
from .compile import MeasurePlan


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, tracker: Tracker | None = None):
        self.con = con
        self.tracker = tracker or Tracker()

    def register_pairs(self, name: str, pairs: list[tuple[str, str]]) -> None:
        # list parameters, not an Arrow table: DuckDB imports pandas (0.3 s) for Arrow
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            "SELECT unnest($1::VARCHAR[]) AS unit, unnest($2::VARCHAR[]) AS ancestor",
            [[u for u, _ in pairs], [a for _, a in pairs]],
        )

    def rows(self, queries: list[tuple[str, list[str]]]) -> list[list[tuple]]:
        """One statement for all queries: each is a part of a UNION ALL BY NAME, tagged with its
        position, so that DuckDB plans, schedules and scans once rather than a dozen times."""
        if not queries:
            return []
        union = " UNION ALL BY NAME ".join(
            f"SELECT {i} AS __part, * FROM ({sql})" for i, (sql, _) in enumerate(queries)
        )
        names, rows = self.tracker.query_with_names(
            self.con, union, text("计算基础数据", "measures")
        )
        position = {name: i for i, name in enumerate(names)}
        picks = [[position[name] for name in columns] for _, columns in queries]
        parts: list[list[tuple]] = [[] for _ in queries]
        for row in rows:
            part = row[0]
            parts[part].append(tuple(row[i] for i in picks[part]))
        return parts


def compute_measures(
    con: duckdb.DuckDBPyConnection,
    plans: list[MeasurePlan],
    ancestors: list[tuple[str, str]],
    units: list[str],
) -> dict[str, np.ndarray]:
    """Every measure for every unit in ``units`` (any level), as arrays aligned to ``units``.

    Units without rows in a source get the measure's value over no rows (0 for counts).
    """
    return collect(DuckDBEngine(con), plans, ancestors, units)


def configure(con: duckdb.DuckDBPyConnection, memory_limit: str | None, spill: str | None) -> None:
    """Bound DuckDB's memory; beyond it, sorts and hash tables spill to ``spill`` on disk."""
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
    if spill:
        con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
