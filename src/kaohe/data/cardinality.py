"""Cardinality (每个考核对象一行): a report source holds one row per unit (and period).

A second row is an error naming the lines, never summed or max()-ed away.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import DataError
from ..expr import quote
from ..i18n import text
from .files import position


def repeated_units(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    unit_column: str,
    period_column: str | None = None,
    limit: int = 5,
) -> tuple[int, list[tuple[str, str | None, list[int]]]]:
    """Units (and periods) with more than one row: (how many, first ones as (unit, period,
    rows)). ``relation`` must expose ``__row`` (1-based file order); values are trimmed text."""

    unit = f"trim(CAST({quote(unit_column)} AS VARCHAR))"
    period = f"trim(CAST({quote(period_column)} AS VARCHAR))" if period_column else "NULL"
    grouped = (
        f"SELECT {unit} AS u, {period} AS p, min(__row) AS first, "
        f"list(__row ORDER BY __row)[1:{limit}] AS rows FROM {relation} "
        f"WHERE {unit} IS NOT NULL AND {unit} <> '' GROUP BY ALL HAVING count(*) > 1"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __repeated_units AS {grouped}")
    count = con.execute("SELECT count(*) FROM __repeated_units").fetchall()[0][0]
    examples = con.execute(
        f"SELECT u, p, rows FROM __repeated_units ORDER BY first LIMIT {limit}"
    ).fetchall()
    con.execute("DROP TABLE __repeated_units")
    return int(count), [(u, p, list(rows)) for u, p, rows in examples]


def repeated_units_problem(
    path: Path,
    unit_column: str,
    period_column: str | None,
    count: int,
    examples: list[tuple[str, str | None, list[int]]],
    readable: Path | None = None,
    *,
    where=None,
) -> str:
    """The message for ``repeated_units``: each repeated unit with the lines that hold it.

    ``where`` names a row when the rows were read from a reader's copy (an office's file)."""
    where = where or (lambda row: position(path, row, readable))
    per = text("每个考核对象每期一行", "one row per unit and period")
    if period_column is None:
        per = text("每个考核对象一行", "one row per unit")
    lines = [
        text(
            f"{path.name}：该数据源应{per}，但有 {count} 个考核对象出现多行：",
            f"{path.name}: the source has {per}, but {count} "
            f"{'unit has' if count == 1 else 'units have'} more than one:",
        )
    ]
    for unit, period, rows in examples:
        key = f"{unit_column}={unit!r}" + (f", {period_column}={period!r}" if period_column else "")
        places = text("、", ", ").join(where(r) for r in rows)
        lines.append(text(f"  {key} 出现在 {places}", f"  {key} appears at {places}"))
    lines.append(
        text(
            "请删除重复的行（同一考核对象的数值不会被相加或取最大值）。",
            "Remove the repeated rows (a unit's values are never added up or maxed over rows).",
        )
    )
    return "\n".join(lines)


def check_one_row_per_unit(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    relation: str,
    unit_column: str,
    period_column: str | None = None,
) -> None:
    """Raise ``DataError`` naming the lines if a unit (and period) has more than one row of
    ``relation`` (a view of ``path`` exposing ``__row``)."""
    count, examples = repeated_units(con, relation, unit_column, period_column)
    if count:
        raise DataError(repeated_units_problem(path, unit_column, period_column, count, examples))
