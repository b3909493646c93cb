"""Strict casts (类型转换): what a value of each declared column type may look like.

A value that does not fit its column is an error, never coerced: ``36.5`` is not an integer,
``1e3`` and ``NaN`` are not numbers (unless the column declares ``exponent``), ``3`` is not a
boolean, ``2019/01/05`` is not a date unless the column declares that format. The same casts
serve imports, data directories and the web, on DuckDB and (transpiled) on Spark.

Offices' spreadsheets are read as they are written, and still exactly:

- full-width digits, signs, points, commas, ``％``, letters and spaces (``１２３``, ``－５``,
  ``１２．５``, ``ｙｅｓ``) are their ASCII forms;
- thousands separators in well-formed groups of three (``1,234``, ``1,234,567.5``); not
  ``1,23``, ``12,34,567``, ``,123`` or ``0,5`` (a decimal comma);
- a percentage (``12.5%`` → 0.125) only in a number column that declares
  ``unit_of_measure: "%"`` (``percent``), whose plain numbers are fractions already; anywhere
  else ``12.5%`` is an error;
- ticks for booleans: ``√ ✓ ✔`` are true, ``× ✗ ✘`` false. ``有/无`` and ``对/错`` are not
  booleans: ``无`` may mean "nothing to report", ``错`` "a wrong entry".
"""

from __future__ import annotations

import string
from collections.abc import Callable
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
TRUE_SPELLINGS = ("true", "t", "yes", "y", "1", "是", "√", "✓", "✔")
FALSE_SPELLINGS = ("false", "f", "no", "n", "0", "否", "×", "✗", "✘")
# Thousands separators: groups of three after a first group that does not start with 0
# (1,234,567); 1,23, 12,34,567 and 0,5 (a decimal comma) are no numbers.
_GROUPS = r"[1-9][0-9]{0,2}(,[0-9]{3})+"
_MANTISSA = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DIGITS_TEXT = r" *[+-]?[0-9]+ *"  # 36, -4
_INTEGER_TEXT = rf" *[+-]?([0-9]+|{_GROUPS})(\.0+)? *"  # 1,234, 36.0 (a spreadsheet's integer)
_NUMBER_TEXT = rf" *[+-]?{_MANTISSA} *"
_EXPONENT_TEXT = rf" *[+-]?{_MANTISSA}([eE][+-]?[0-9]+)? *"
_GROUPED_TEXT = rf" *[+-]?{_GROUPS}(\.[0-9]*)? *"  # 1,234,567.5
_PERCENT_TEXT = rf" *[+-]?({_MANTISSA}|{_GROUPS}(\.[0-9]*)?) *% *"
# Full-width forms (Ａ-ｚ, ０-９, ．，＋－％, the ideographic space) and the ASCII they stand for.
_HALF_WIDTH = string.digits + string.ascii_letters + ".,+-%"
_FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in _HALF_WIDTH) + "\u3000"
_HALF_WIDTH += " "
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
    "boolean": ("是/否（true/false、√/×）", "true or false (是/否, √/×)"),
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
    run by both engines. The end is ``\\z``, not ``$``: Java's ``$`` also matches before a final
    line break, and Spark's cast would then read "36" and a line break as 36."""
    return f"regexp_matches({v}, '^(?:{pattern})\\z')"


def _spelled(words: tuple[str, ...]) -> str:
    """A pattern for ``words`` in any case: ``[yY][eE][sS]``, not ``(?i)``, whose Unicode case
    folding differs between DuckDB (RE2: ``ſ`` is an ``s``) and Spark (Java: ASCII only)."""

    def letter(c: str) -> str:
        return f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else c

    return " *(" + "|".join("".join(map(letter, word)) for word in words) + ") *"


def _half_width(v: str) -> str:
    return f"translate({v}, '{_FULL_WIDTH}', '{_HALF_WIDTH}')"


def _read(
    v: str, forms: list[tuple[str, Callable[[str], str]]], first: tuple[tuple[str, str], ...] = ()
) -> str:
    """SQL giving ``value(v)`` for the first (pattern, value) of ``forms`` that ``v`` matches
    whole — or that its half-width form matches, if ``v`` holds full-width characters; NULL if
    none. Only those values are translated: DuckDB's translate() costs microseconds a row.

    ``first``: (condition, value) pairs tested before the patterns, each true only on texts that
    the forms read as that same value — the way nearly every cell is written (``true``, ``36``),
    recognized without a regular expression, which costs several times as much (10^7 rows, three
    booleans and an integer, read twice by an import: 3 s)."""

    def cases(x: str) -> str:
        return " ".join(
            f"WHEN {_full_match(x, pattern)} THEN {value(x)}" for pattern, value in forms
        )

    plain = "".join(f"WHEN {condition} THEN {value} " for condition, value in first)
    return (
        f"CASE {plain}{cases(v)} WHEN regexp_matches({v}, '[{_FULL_WIDTH}]') "
        f"THEN CASE {cases(_half_width(v))} END END"
    )


def _spelled_as(v: str, words: tuple[str, ...], value: str) -> tuple[tuple[str, str], ...]:
    """``v`` written exactly as one of ``words``: equalities, which ``_spelled`` also reads."""
    return tuple((f"{v} = {_sql_string(word)}", value) for word in words)


def _canonical_integer(v: str) -> tuple[str, str]:
    """``v`` as a BIGINT prints it (digits, a minus, no leading zero): the text ``_DIGITS_TEXT``
    reads as that integer. One cast and its round trip, no regular expression."""
    return f"CAST({_integer(v)} AS VARCHAR) = {v}", _integer(v)


# The value of a text that matched its form. The plain forms come first and are cast as they
# are (both engines skip the spaces around a number): trim() and replace() copy every string.


def _integer(x: str) -> str:
    return f"TRY_CAST({x} AS BIGINT)"


def _whole_number(x: str) -> str:
    # "36.0" loses its zeros: Spark will not cast it to an integer as DuckDB does
    return f"TRY_CAST(regexp_replace(replace(trim({x}), ',', ''), '\\.0+$', '') AS BIGINT)"


def _number(x: str) -> str:
    return f"TRY_CAST({x} AS DOUBLE)"


def _grouped_number(x: str) -> str:
    return f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"


def _percentage(x: str) -> str:
    # 1.1% is read as the text 1.1e-2: the double nearest 0.011, which 1.1 / 100 is not
    return f"TRY_CAST(concat(trim(replace(replace({x}, ',', ''), '%', '')), 'e-2') AS DOUBLE)"


def _cast_text(v: str, kind: str, date_format: str | None, exponent: bool, percent: bool) -> str:
    """SQL casting the text ``v`` to ``kind``; NULL for anything that does not fit exactly."""
    if percent and kind != "number":
        raise ValueError(f"percent applies to number columns, not {kind}")
    if kind == "text":
        return v
    if kind == "integer":
        return _read(
            v,
            [(_DIGITS_TEXT, _integer), (_INTEGER_TEXT, _whole_number)],
            first=(_canonical_integer(v),),
        )
    if kind == "number":
        forms = [(_EXPONENT_TEXT if exponent else _NUMBER_TEXT, _number)]
        forms.append((_GROUPED_TEXT, _grouped_number))
        return _read(v, forms + [(_PERCENT_TEXT, _percentage)] if percent else forms)
    if kind == "boolean":
        # regular expressions, not IN (…): DuckDB plans a constant list as a hash join, and a
        # join does not keep the file's row order (nor so a snapshot's bytes)
        return _read(
            v,
            [
                (_spelled(TRUE_SPELLINGS), lambda _: "true"),
                (_spelled(FALSE_SPELLINGS), lambda _: "false"),
            ],
            first=_spelled_as(v, TRUE_SPELLINGS, "true") + _spelled_as(v, FALSE_SPELLINGS, "false"),
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
    percent: bool = False,
) -> str:
    """SQL giving ``column`` as ``kind``, or NULL when its value does not fit exactly.

    ``source_type`` is the column's DuckDB type if known; without it the SQL asks DuckDB
    (``typeof`` is folded when the query is planned). Numbers already stored as numbers only
    need to be finite; everything else is judged by its text. ``percent`` (a number column
    with ``unit_of_measure: "%"``, which holds fractions) also reads ``12.5%`` as 0.125.
    """

    c = quote(column)
    if kind == "text":
        return f"CAST({c} AS VARCHAR)"
    as_text = _cast_text(f"CAST({c} AS VARCHAR)", kind, date_format, exponent, percent)
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
    percent: bool = False,
) -> tuple[int, list[tuple[int, str]]]:
    """Rows whose ``column`` is present but not a valid ``kind``: (count, first rows with values).

    ``relation`` must expose ``__row`` (1-based file order).
    """
    if kind == "text":
        return 0, []

    raw = f"CAST({quote(column)} AS VARCHAR)"
    cast = cast_sql(column, kind, date_format=date_format, exponent=exponent, percent=percent)
    condition = f"{raw} IS NOT NULL AND trim({raw}) <> '' AND ({cast}) IS NULL"
    count = con.execute(f"SELECT count(*) FROM {relation} WHERE {condition}").fetchall()[0][0]
    if not count:
        return 0, []
    rows = con.execute(
        f"SELECT __row, {raw} FROM {relation} WHERE {condition} ORDER BY __row LIMIT {limit}"
    ).fetchall()
    return count, rows


def type_problem(
    path: Path,
    column: str,
    kind: str,
    count: int,
    rows,
    date_format: str | None = None,
    *,
    where: Callable[[int], str] | None = None,
) -> str:
    """``where`` names a row when the rows were read from a copy (an office's workbook)."""
    zh_type, en_type = type_name(kind, date_format)
    where = where or (lambda row: position(path, row))
    lines = [
        text(
            f"{where(row)}：列 {column} 的值 {value!r} 不是{zh_type}",
            f"{where(row)}: column {column}: value {value!r} is not {en_type}",
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
