"""Reading tabular files through DuckDB, with the file positions users see in their editors.

CSV is read as text and cast column by column, so a bad value is reported at its line instead of
making the whole file's type guess fail. Row order is the file's order (DuckDB preserves insertion
order), which is what turns ``row_number()`` into a record number, and ``csv_line`` turns that
into the line an editor shows (quoted newlines and blank lines included).

One reader for every path: ``kaohe import`` (``readers.py``), data directories (``sources.py``,
``units.py``) and the web all read CSV with ``csv_sql`` after ``check_csv``, and cast values
with ``cast_sql``. The casts are strict: a value that does not fit its column is an error, never
coerced (``36.5`` is not an integer, ``1e3`` and ``NaN`` are not numbers, ``3`` is not a
boolean, ``2019/01/05`` is not a date unless the column declares that format).
"""

from __future__ import annotations

import bisect
import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import DataError
from ..i18n import text

TABLE_SUFFIXES = (".csv", ".parquet")
# The longest physical line a CSV may have. A longer one is a broken export (a missing newline,
# a binary file); it is refused before DuckDB or Python tries to hold it.
MAX_LINE_BYTES = 1 << 20
_BLOCK = 1 << 20  # a line longer than MAX_LINE_BYTES must then cross a whole block
# DuckDB's own max_line_size (2 MiB by default) bounds a record, which may span lines.
_CSV_OPTIONS = (
    "header = true, all_varchar = true, encoding = 'utf-8', quote = '\"', escape = '\"', "
    "strict_mode = true"
)

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


def csv_sql(path: Path) -> str:
    """The DuckDB table expression every part of Kaohe reads a (UTF-8) CSV file with."""
    literal = str(path).replace("'", "''")
    return f"read_csv('{literal}', {_CSV_OPTIONS})"


def scan_sql(path: Path) -> str:
    """A DuckDB table expression reading the file; CSV columns all as text, in file order."""
    literal = str(path).replace("'", "''")
    if path.suffix == ".parquet":
        return f"read_parquet('{literal}')"
    return csv_sql(path)


# -- CSV layout: lines, quotes, the header -------------------------------------------------------


@dataclass(frozen=True)
class CsvLayout:
    """What one pass over a CSV's bytes found (it runs at C speed, block by block)."""

    lines: int  # newline characters
    quotes: bool  # some field is quoted: it may hold a newline
    blank_lines: bool  # DuckDB skips blank lines, and so shifts the lines after them

    @property
    def one_record_per_line(self) -> bool:
        return not (self.quotes or self.blank_lines)


class CsvScanner:
    """Fed a CSV's bytes block by block (while they are hashed anyway), finds the layout and
    refuses an absurdly long line. GB18030 never uses the bytes of ``"`` or a newline inside a
    character, so the original bytes serve for either encoding."""

    def __init__(self, path: Path):
        self.path = path
        self.lines = 0
        self.quote_count = 0
        self.blank = False
        self.run = 0  # bytes since the last newline
        self.last = b""

    def feed(self, block: bytes) -> None:
        first = block.find(b"\n")
        if first < 0:
            self.run += len(block)
        else:
            self.run += first
        if self.run > MAX_LINE_BYTES:
            raise _long_line(self.path, self.lines + 1)
        if first >= 0:
            # lines wholly inside the block are shorter than the block, so than the limit
            self.run = len(block) - block.rfind(b"\n") - 1
            self.lines += block.count(b"\n")
        self.quote_count += block.count(b'"')
        if not self.blank:
            joined = self.last + block[:2]
            self.blank = b"\n\n" in block or b"\n\r\n" in block or b"\n\n" in joined
            self.blank = self.blank or b"\n\r\n" in joined
        self.last = block[-2:]

    def finish(self, readable: Path | None = None) -> CsvLayout:
        """The layout; an unclosed quote (the file ends inside a quoted value) is an error."""
        if self.quote_count % 2:
            _find_unclosed_quote(self.path, readable or self.path)
        layout = CsvLayout(self.lines, self.quote_count > 0, self.blank)
        _LAYOUTS[_stamp(readable or self.path)] = layout
        return layout


def _long_line(path: Path, line: int) -> DataError:
    limit = MAX_LINE_BYTES // 1024
    return DataError(
        text(
            f"{path.name}:第 {line} 行：这一行超过 {limit} KiB，不像表格数据（可能缺少换行符，"
            "或不是 CSV 文件）。请检查导出的文件",
            f"{path.name}:line {line}: the line is longer than {limit} KiB, which no table row "
            "is (a missing line break, or not a CSV file). Check how the file was exported",
        )
    )


_LAYOUTS: dict[tuple, CsvLayout] = {}
_LINE_SHIFTS: dict[tuple, tuple[list[int], list[int]]] = {}


def _stamp(path: Path) -> tuple:
    if len(_LAYOUTS) + len(_LINE_SHIFTS) > 4096:  # a long-lived server reads many uploads
        _LAYOUTS.clear()
        _LINE_SHIFTS.clear()
    status = path.stat()
    return (str(Path(path).resolve()), status.st_size, status.st_mtime_ns)


def csv_layout(path: Path) -> CsvLayout:
    """The layout of a CSV file (one pass over its bytes, remembered while it is unchanged)."""
    stamp = _stamp(path)
    if stamp not in _LAYOUTS:
        scanner = CsvScanner(path)
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                scanner.feed(block)
        scanner.finish()
    return _LAYOUTS[stamp]


def _text_lines(readable: Path):
    """The physical lines of a UTF-8 file, line endings kept (each at most MAX_LINE_BYTES)."""
    with readable.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        yield from handle


def _delimiter(header_line: str) -> str:
    # DuckDB detects the delimiter; the same four candidates, the most frequent in the header
    return max(",;\t|", key=header_line.count)


def _find_unclosed_quote(path: Path, readable: Path) -> None:
    """Locate the quote that is never closed and raise an error naming line, column and value.

    Runs only when the file holds an odd number of quote characters. A line toggles "inside
    quotes" when it holds an odd number of them (a doubled quote toggles twice).
    """
    inside = False
    record: list[str] = []  # the lines of the current record, up to the quote that opened
    record_bytes = 0
    opened: tuple[int, str] | None = None  # (line, the record's text up to that line)
    header: list[str] = []
    delimiter = ","
    for number, line in enumerate(_text_lines(readable), start=1):
        if number == 1:
            delimiter = _delimiter(line)
            header = next(csv.reader([line], delimiter=delimiter), [])
        if record_bytes < 4 * MAX_LINE_BYTES:
            record.append(line)
            record_bytes += len(line)
        was_inside = inside
        if line.count('"') % 2:
            inside = not inside
        if inside and not was_inside:
            opened = (number, "".join(record))
        if not inside:
            record, record_bytes = [], 0
    if not inside or opened is None:
        return  # an odd count of stray quotes inside unquoted values: DuckDB reads them as text
    line, record_text = opened
    fields = next(csv.reader(io.StringIO(record_text), delimiter=delimiter), [""])
    index = len(fields) - 1
    column = header[index].strip() if 0 <= index < len(header) else str(index + 1)
    value = '"' + fields[-1].split("\n")[0][:40]
    raise DataError(
        text(
            f'{path.name}:第 {line} 行：列 {column} 的值 {value!r} 以引号（"）开始，但引号到文件末尾'
            '都没有闭合。请补上闭合的引号；值内的引号要写成两个（""）',
            f'{path.name}:line {line}: column {column}: value {value!r} opens a quote (") that '
            'is never closed. Close it; a quote inside a quoted value is written twice ("")',
        )
    )


def check_csv_header(path: Path, readable: Path | None = None) -> list[str]:
    """The header's column names; an empty or repeated name is an error (DuckDB would rename it
    and a column would silently go missing)."""
    lines = _text_lines(readable or path)
    first = next(lines, "")
    lines.close()
    names = [n.strip() for n in next(csv.reader([first], delimiter=_delimiter(first)), [])]
    if not any(names):
        raise DataError(
            text(
                f"{path.name}:第 1 行：文件为空或首行为空；CSV 的首行须为列名",
                f"{path.name}:line 1: the file is empty or its first line is; a CSV's first "
                "line names its columns",
            )
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if not name:
            raise DataError(
                text(
                    f"{path.name}:第 1 行：第 {index} 列没有列名。请在首行写出每一列的列名",
                    f"{path.name}:line 1: column {index} has no name. Name every column "
                    "in the header row",
                )
            )
        if name in seen:
            raise DataError(
                text(
                    f"{path.name}:第 1 行：列名 {name!r} 重复（第 {seen[name]} 列和第 {index} 列）。"
                    "请删除或改名其中一列",
                    f"{path.name}:line 1: column name {name!r} appears twice (columns "
                    f"{seen[name]} and {index}). Remove or rename one of them",
                )
            )
        seen[name] = index
    return names


def check_csv(path: Path) -> CsvLayout:
    """Check a UTF-8 CSV before DuckDB reads it: line lengths, quotes, header names."""
    _reject_non_utf8(path)
    layout = csv_layout(path)
    check_csv_header(path)
    return layout


def _line_shifts(readable: Path) -> tuple[list[int], list[int]]:
    """Where the record numbers and the lines part: (first record, lines to add from there on).

    Computed only when a position is wanted in a file with quotes or blank lines: one pass over
    its lines in Python, the error path only."""
    stamp = _stamp(readable)
    if stamp in _LINE_SHIFTS:
        return _LINE_SHIFTS[stamp]
    records: list[int] = []
    shifts: list[int] = []
    record = 0  # data records started so far (the header is record 0)
    inside = False
    for number, line in enumerate(_text_lines(readable), start=1):
        if not inside:
            if number > 1 and line.strip("\r\n") == "":
                continue  # DuckDB skips blank lines
            if number > 1:
                record += 1
                shift = number - (record + 1)
                if shift != (shifts[-1] if shifts else 0):
                    records.append(record)
                    shifts.append(shift)
        if line.count('"') % 2:
            inside = not inside
    _LINE_SHIFTS[stamp] = (records, shifts)
    return records, shifts


def csv_line(path: Path, row: int, readable: Path | None = None) -> int:
    """The line an editor shows for data record ``row`` (1-based) of a CSV file."""
    source = readable or path
    try:
        layout = csv_layout(source)
    except (OSError, DataError):
        return row + 1
    if layout.one_record_per_line:
        return row + 1
    records, shifts = _line_shifts(source)
    at = bisect.bisect_right(records, row) - 1
    return row + 1 + (shifts[at] if at >= 0 else 0)


def csv_line_shifts(readable: Path) -> list[tuple[int, int]]:
    """(first record, lines to add) pairs, for SQL that numbers lines itself (rejects files)."""
    if csv_layout(readable).one_record_per_line:
        return []
    return list(zip(*_line_shifts(readable), strict=True))


def position(path: Path, row: int, readable: Path | None = None) -> str:
    """Where a 1-based data row is, as the user's editor or spreadsheet shows it.

    ``readable``: the UTF-8 text DuckDB read, when it is not ``path`` (a GB18030 original)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        line = csv_line(path, row, readable)
        return text(f"{path.name}:第 {line} 行", f"{path.name}:line {line}")
    if suffix == ".xlsx":
        return text(f"{path.name}:第 {row + 1} 行", f"{path.name}:row {row + 1}")
    return text(f"{path.name}:第 {row} 条记录", f"{path.name}:row {row}")


def editor_line(path: Path, row: int) -> int:
    """The number ``position`` shows: CSV line or spreadsheet row (after the header), or record."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return csv_line(path, row)
    return row + 1 if suffix == ".xlsx" else row


def columns_of(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return list(column_types(con, path))


def _reject_non_utf8(path: Path) -> None:
    """A CSV from Chinese office software is often GBK/GB18030: say so plainly, before DuckDB's
    multi-line diagnostics (which suggest options a user cannot set) get a chance to."""
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
        check_csv(path)
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


# -- strict casts --------------------------------------------------------------------------------


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
        return (
            f"CASE WHEN {_full_match(v, _INTEGER_TEXT)} THEN TRY_CAST({v} AS BIGINT) END"
        )
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
    from ..expr import quote

    c = quote(column)
    if kind == "text":
        return f"CAST({c} AS VARCHAR)"
    as_text = _cast_text(f"CAST({c} AS VARCHAR)", kind, date_format, exponent)
    if kind != "number":
        return as_text
    as_number = f"CASE WHEN isfinite(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS DOUBLE) END"
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
    from ..expr import quote

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


# -- cardinality ---------------------------------------------------------------------------------


def repeated_units(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    unit_column: str,
    period_column: str | None = None,
    limit: int = 5,
) -> tuple[int, list[tuple[str, str | None, list[int]]]]:
    """Units (and periods) with more than one row: (how many, first ones as (unit, period,
    rows)). ``relation`` must expose ``__row`` (1-based file order); values are trimmed text."""
    from ..expr import quote

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
) -> str:
    """The message for ``repeated_units``: each repeated unit with the lines that hold it."""
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
        places = text("、", ", ").join(position(path, r, readable) for r in rows)
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
