"""Sources (数据源): one file per source, checked against the scheme's declaration.

A source is exposed to the measure engine as a typed view ``src_<name>`` whose unit key is the
column ``__unit``. The checks stream through DuckDB; nothing is loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import DataError
from ..expr import quote
from ..i18n import text
from ..scheme.model import Source
from .files import (
    bad_values,
    cast_sql,
    columns_of,
    find_table,
    position,
    scan_sql,
    sha256_of,
    type_problem,
)

UNIT_KEY = "__unit"
PERIOD_COLUMN = "period"


@dataclass(frozen=True)
class SourceInput:
    """What a run read for one source: recorded in the manifest."""

    name: str
    file: Path
    sha256: str
    rows: int


def view_name(source: str) -> str:
    return f"src_{source}"


def register_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    declaration: Source,
    directory: Path,
    period: str | None,
) -> SourceInput:
    """Check the file of source ``name`` and create its typed view; raise ``DataError`` if unusable.

    Expects a table ``kaohe_units(unit)`` of known unit codes in ``con``.
    """
    path = find_table(directory, name)
    if path is None:
        raise DataError(
            text(
                f"{directory}：缺少数据源 {name} 的文件（{name}.csv 或 {name}.parquet）",
                f"{directory}: no file for source {name} ({name}.csv or {name}.parquet)",
            )
        )
    present = columns_of(con, path)
    needed = [declaration.unit_column, *declaration.columns]
    missing = [c for c in needed if c not in present]
    if missing:
        raise DataError(
            text(
                f"{path}：缺少列 {', '.join(missing)}；现有列：{', '.join(present)}",
                f"{path}: missing columns {', '.join(missing)}; the file has {', '.join(present)}",
            )
        )
    raw = f"raw_{name}"
    where = ""
    if PERIOD_COLUMN in present:
        if period is None:
            periods = con.execute(
                f"SELECT DISTINCT CAST({PERIOD_COLUMN} AS VARCHAR) FROM {scan_sql(path)} LIMIT 3"
            ).fetchall()
            if len(periods) > 1:
                raise DataError(
                    text(
                        f"{path}：含有多个考核期（{PERIOD_COLUMN} 列），请用 --period 选择一期",
                        f"{path}: holds several periods (column {PERIOD_COLUMN}); "
                        "choose one with --period",
                    )
                )
        else:
            literal = period.replace("'", "''")
            where = f" WHERE trim(CAST({PERIOD_COLUMN} AS VARCHAR)) = '{literal}'"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {raw} AS "
        f"SELECT * FROM (SELECT row_number() OVER () AS __row, * FROM {scan_sql(path)}){where}"
    )
    problems = []
    for column, kind in declaration.columns.items():
        count, rows = bad_values(con, raw, column, kind)
        if count:
            problems.append(type_problem(path, column, kind, count, rows))
    unit = quote(declaration.unit_column)
    unknown = con.execute(
        f"SELECT __row, CAST({unit} AS VARCHAR) FROM {raw} "
        f"WHERE CAST({unit} AS VARCHAR) IS NULL OR trim(CAST({unit} AS VARCHAR)) NOT IN "
        f"(SELECT unit FROM kaohe_units) ORDER BY __row LIMIT 5"
    ).fetchall()
    for row, code in unknown:
        problems.append(
            text(
                f"{position(path, row)}：列 {declaration.unit_column} 的考核对象 {code!r} 不在 units.csv 中",
                f"{position(path, row)}: column {declaration.unit_column}: unit {code!r} "
                "is not in units.csv",
            )
        )
    if problems:
        raise DataError("\n".join(problems))
    casts = ", ".join(f"{cast_sql(c, t)} AS {quote(c)}" for c, t in declaration.columns.items())
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view_name(name)} AS "
        f"SELECT trim(CAST({unit} AS VARCHAR)) AS {UNIT_KEY}{', ' if casts else ''}{casts} FROM {raw}"
    )
    rows = con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0]
    return SourceInput(name=name, file=path, sha256=sha256_of(path), rows=rows)
