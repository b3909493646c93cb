"""Reading tabular files through DuckDB, with the file positions users see in their editors.

CSV is read as text and cast column by column, so a bad value is reported at its line instead of
making the whole file's type guess fail. Row order is the file's order (DuckDB preserves insertion
order), which is what turns ``row_number()`` into a line number.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from ..errors import DataError
from ..i18n import text

TABLE_SUFFIXES = (".csv", ".parquet")

# How each declared column type is cast from text; booleans also accept 是/否.
_CASTS = {
    "text": "CAST({c} AS VARCHAR)",
    "integer": "TRY_CAST({c} AS BIGINT)",
    "number": "TRY_CAST({c} AS DOUBLE)",
    "date": "TRY_CAST({c} AS DATE)",
    "boolean": (
        "CASE WHEN trim(CAST({c} AS VARCHAR)) IN ('是', 'Y', 'y') THEN true "
        "WHEN trim(CAST({c} AS VARCHAR)) IN ('否', 'N', 'n') THEN false "
        "ELSE TRY_CAST({c} AS BOOLEAN) END"
    ),
}
TYPE_NAMES = {
    "text": ("文本", "text"),
    "integer": ("整数", "a whole number"),
    "number": ("数值", "a number"),
    "date": ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "boolean": ("是/否（true/false）", "true or false (是/否)"),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_table(directory: Path, name: str) -> Path | None:
    """``DIR/name.csv`` or ``DIR/name.parquet``; an error if both exist."""
    found = [directory / f"{name}{suffix}" for suffix in TABLE_SUFFIXES]
    found = [path for path in found if path.is_file()]
    if len(found) > 1:
        raise DataError(
            text(
                f"{directory}：{name} 同时有 CSV 和 Parquet 文件，请只保留一个",
                f"{directory}: {name} exists both as CSV and as Parquet; keep only one",
            )
        )
    return found[0] if found else None


def scan_sql(path: Path) -> str:
    """A DuckDB table expression reading the file; CSV columns all as text, in file order."""
    literal = str(path).replace("'", "''")
    if path.suffix == ".parquet":
        return f"read_parquet('{literal}')"
    return f"read_csv('{literal}', header = true, all_varchar = true, encoding = 'utf-8')"


def position(path: Path, row: int) -> str:
    """Where a 1-based data row is, as the user's editor or spreadsheet shows it."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return text(f"{path.name}:第 {row + 1} 行", f"{path.name}:line {row + 1}")
    if suffix == ".xlsx":
        return text(f"{path.name}:第 {row + 1} 行", f"{path.name}:row {row + 1}")
    return text(f"{path.name}:第 {row} 条记录", f"{path.name}:row {row}")


def editor_line(path: Path, row: int) -> int:
    """The number ``position`` shows: CSV line or spreadsheet row (after the header), or record."""
    return row + 1 if path.suffix.lower() in (".csv", ".txt", ".xlsx") else row


def columns_of(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return list(column_types(con, path))


def _reject_non_utf8(path: Path) -> None:
    """A CSV from Chinese office software is often GBK/GB18030: say so plainly, before DuckDB's
    multi-line diagnostics (which suggest options a user cannot set) get a chance to."""
    import codecs

    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise DataError(
            text(
                f"{path}：文件不是 UTF-8 编码（可能是 Excel 默认保存的 GBK/GB18030）。"
                "请另存为“CSV UTF-8”，或用 kaohe import 导入（它接受 GB18030）",
                f"{path}: the file is not UTF-8 (probably GBK/GB18030, as Excel saves by "
                'default on Chinese Windows). Save it as "CSV UTF-8", or load it with '
                "kaohe import, which accepts GB18030",
            )
        ) from None


def column_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """The file's columns and their DuckDB types (CSV: all VARCHAR), in file order."""
    if path.suffix == ".csv":
        _reject_non_utf8(path)
    try:
        return {
            row[0]: row[1]
            for row in con.execute(f"DESCRIBE SELECT * FROM {scan_sql(path)}").fetchall()
        }
    except duckdb.Error as error:
        raise DataError(
            text(
                f"{path}：无法读取文件（{str(error).splitlines()[0]}）。CSV 须为 UTF-8 编码、首行为列名",
                f"{path}: cannot read the file ({str(error).splitlines()[0]}). "
                "CSV must be UTF-8 with a header row",
            )
        ) from None


def cast_sql(column: str, kind: str) -> str:
    from ..expr import quote

    return _CASTS[kind].format(c=quote(column))


def bad_values(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, kind: str, limit: int = 5
) -> tuple[int, list[tuple[int, str]]]:
    """Rows whose ``column`` is present but not a valid ``kind``: (count, first rows with values).

    ``relation`` must expose ``__row`` (1-based file order).
    """
    if kind == "text":
        return 0, []
    from ..expr import quote

    raw = f"CAST({quote(column)} AS VARCHAR)"
    condition = f"{raw} IS NOT NULL AND trim({raw}) <> '' AND ({cast_sql(column, kind)}) IS NULL"
    count = con.execute(f"SELECT count(*) FROM {relation} WHERE {condition}").fetchall()[0][0]
    if not count:
        return 0, []
    rows = con.execute(
        f"SELECT __row, {raw} FROM {relation} WHERE {condition} ORDER BY __row LIMIT {limit}"
    ).fetchall()
    return count, rows


def type_problem(path: Path, column: str, kind: str, count: int, rows) -> str:
    zh_type, en_type = TYPE_NAMES[kind]
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
