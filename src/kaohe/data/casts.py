"""Strict casts (类型转换): what a value of each declared column type may look like.

A value that does not fit its column is an error, never coerced: ``36.5`` is not an integer,
``1e3`` and ``NaN`` are not numbers (unless the column declares ``exponent``), ``3`` is not a
boolean, ``2019/01/05`` is not a date unless the column declares that format. The same casts
serve imports, data directories and the web, on DuckDB and (transpiled) on Spark.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..expr import quote
from ..i18n import text
from .files import position

_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
)
TRUE_SPELLINGS = ("true", "t", "yes", "y", "1", "是")
FALSE_SPELLINGS = ("false", "f", "no", "n", "0", "否")
_INTEGER_TEXT = r" *[+-]?[0-9]+(\.0+)? *"  # 36, -4, 36.0 (a spreadsheet's whole number)
_NUMBER_TEXT = r" *[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+) *"
_EXPONENT_TEXT = r" *[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)? *"
_ISO_DATE_TEXT = r" *[0-9]{4}-[0-9]{2}-[0-9]{2} *"
# The DuckDB type a declared column type is stored as, for imports and data directories alike.
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
}
TYPE_NAMES = {
    "text": ("文本", "text"),
    "integer": ("整数", "a whole number"),
    "number": ("数值", "a number"),
    "date": ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "boolean": ("是/否（true/false）", "true or false (是/否)"),
}


def type_name(kind: str, date_format: str | None = None) -> tuple[str, str]:
    """(Chinese, English) name of what a column of ``kind`` accepts, for messages."""
    if kind == "date" and date_format:
        return f"日期（格式 {date_format}）", f"a date in the format {date_format}"
    return TYPE_NAMES[kind]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _full_match(v: str, pattern: str) -> str:
    """``v`` matches ``pattern`` whole: regexp_matches with anchors, which sqlglot carries to
    Spark (RLIKE) — DuckDB's regexp_full_match has no Spark counterpart, and the typed views are
    run by both engines."""
    return f"regexp_matches({v}, '^(?:{pattern})$')"


def _cast_text(v: str, kind: str, date_format: str | None, exponent: bool) -> str:
    """SQL casting the text ``v`` to ``kind``; NULL for anything that does not fit exactly."""
    if kind == "text":
        return v
    if kind == "integer":
        # "36.0" loses its zeros first: Spark will not cast it to an integer as DuckDB does
        whole = f"regexp_replace(trim({v}), '\\.0+$', '')"
        return f"CASE WHEN {_full_match(v, _INTEGER_TEXT)} THEN TRY_CAST({whole} AS BIGINT) END"
    if kind == "number":
        pattern = _EXPONENT_TEXT if exponent else _NUMBER_TEXT
        return f"CASE WHEN {_full_match(v, pattern)} THEN TRY_CAST({v} AS DOUBLE) END"
    if kind == "boolean":
        # a regular expression, not IN (…): DuckDB plans a constant list as a hash join, and a
        # join does not keep the file's row order (nor so a snapshot's bytes)
        true, false = "|".join(TRUE_SPELLINGS), "|".join(FALSE_SPELLINGS)
        return (
            f"CASE WHEN {_full_match(v, f'(?i) *({true}) *')} THEN true "
            f"WHEN {_full_match(v, f'(?i) *({false}) *')} THEN false END"
        )
    if kind == "date":
        if date_format:
            fmt = _sql_string(date_format)
            parsed = f"CAST(try_strptime(trim({v}), {fmt}) AS DATE)"
            # strptime is lenient (2019-1-5 for %Y-%m-%d): the value must read back the same
            return f"CASE WHEN strftime({parsed}, {fmt}) = trim({v}) THEN {parsed} END"
        return f"CASE WHEN {_full_match(v, _ISO_DATE_TEXT)} THEN TRY_CAST({v} AS DATE) END"
    raise ValueError(kind)


def cast_sql(
    column: str,
    kind: str,
    source_type: str | None = None,
    *,
    date_format: str | None = None,
    exponent: bool = False,
) -> str:
    """SQL giving ``column`` as ``kind``, or NULL when its value does not fit exactly.

    ``source_type`` is the column's DuckDB type if known; without it the SQL asks DuckDB
    (``typeof`` is folded when the query is planned). Numbers already stored as numbers only
    need to be finite; everything else is judged by its text.
    """

    c = quote(column)
    if kind == "text":
        return f"CAST({c} AS VARCHAR)"
    as_text = _cast_text(f"CAST({c} AS VARCHAR)", kind, date_format, exponent)
    if kind != "number":
        return as_text
    # finite: x - x is 0 for every finite x and NaN for ±inf and NaN, on DuckDB and on Spark
    # (which has no isfinite; the typed views run on both)
    number = f"TRY_CAST({c} AS DOUBLE)"
    as_number = f"CASE WHEN {number} - {number} = 0 THEN {number} END"
    if source_type is not None:
        return as_number if source_type in _NUMERIC_TYPES else as_text
    numeric = ", ".join(map(_sql_string, _NUMERIC_TYPES))
    return f"(CASE WHEN typeof({c}) IN ({numeric}) THEN {as_number} ELSE {as_text} END)"


def bad_values(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    column: str,
    kind: str,
    limit: int = 5,
    *,
    date_format: str | None = None,
    exponent: bool = False,
) -> tuple[int, list[tuple[int, str]]]:
    """Rows whose ``column`` is present but not a valid ``kind``: (count, first rows with values).

    ``relation`` must expose ``__row`` (1-based file order).
    """
    if kind == "text":
        return 0, []

    raw = f"CAST({quote(column)} AS VARCHAR)"
    cast = cast_sql(column, kind, date_format=date_format, exponent=exponent)
    condition = f"{raw} IS NOT NULL AND trim({raw}) <> '' AND ({cast}) IS NULL"
    count = con.execute(f"SELECT count(*) FROM {relation} WHERE {condition}").fetchall()[0][0]
    if not count:
        return 0, []
    rows = con.execute(
        f"SELECT __row, {raw} FROM {relation} WHERE {condition} ORDER BY __row LIMIT {limit}"
    ).fetchall()
    return count, rows


def type_problem(
    path: Path, column: str, kind: str, count: int, rows, date_format: str | None = None
) -> str:
    zh_type, en_type = type_name(kind, date_format)
    lines = [
        text(
            f"{position(path, row)}：列 {column} 的值 {value!r} 不是{zh_type}",
            f"{position(path, row)}: column {column}: value {value!r} is not {en_type}",
        )
        for row, value in rows
    ]
    if count > len(rows):
        lines.append(
            text(
                f"（列 {column} 共有 {count} 行不合格，只列出前 {len(rows)} 行）",
                f"({count} rows fail in column {column}; the first {len(rows)} are shown)",
            )
        )
    lines.append(
        text(
            f"请把这些值改为{zh_type}，或留空表示缺失。",
            f"Correct them to {en_type}, or leave empty for missing.",
        )
    )
    return "\n".join(lines)
