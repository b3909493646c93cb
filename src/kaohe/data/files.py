"""Reading tabular files through DuckDB, with the file positions users see in their editors.

CSV is read as text and cast column by column, so a bad value is reported at its line instead of
making the whole file's type guess fail. Row order is the file's order (DuckDB preserves insertion
order), which is what turns ``row_number()`` into a record number, and ``csv_line`` turns that
into the line an editor shows (quoted newlines and blank lines included).

One reader for every path: ``kaohe import`` (``readers.py``), data directories (``sources.py``,
``units.py``) and the web all read CSV with ``csv_sql`` after ``check_csv``, and cast values
with ``casts.cast_sql``. The casts are strict: a value that does not fit its column is an error, never
coerced (``36.5`` is not an integer, ``1e3`` and ``NaN`` are not numbers, ``3`` is not a
boolean, ``2019/01/05`` is not a date unless the column declares that format).
"""

from __future__ import annotations

import bisect
import codecs
import csv
import hashlib
import io
import re
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


# A blank line: one regular expression is three times faster than two substring searches for
# a pair of bytes of which the first is in every line.
_BLANK_LINE = re.compile(rb"\n\r?\n")


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
        if b'"' in block:  # a search for one byte is memchr's: most files quote nothing
            self.quote_count += block.count(b'"')
        if not self.blank:
            joined = self.last + block[:2]
            self.blank = _BLANK_LINE.search(block) is not None
            self.blank = self.blank or _BLANK_LINE.search(joined) is not None
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


def text_lines(readable: Path):
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
    for number, line in enumerate(text_lines(readable), start=1):
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
    lines = text_lines(readable or path)
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
    for number, line in enumerate(text_lines(readable), start=1):
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


def csv_header_names(path: Path) -> list[str]:
    """A CSV file's column names from its header line, after the checks of ``check_csv``: what
    DuckDB will name them, without asking it to read (and type) every column."""
    check_csv(path)
    return check_csv_header(path)


def column_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """The file's columns and their DuckDB types (CSV: all VARCHAR), in file order."""
    names = csv_header_names(path) if path.suffix == ".csv" else None
    try:
        types = {
            row[0]: row[1]
            for row in con.execute(f"DESCRIBE SELECT * FROM {scan_sql(path)}").fetchall()
        }
    except duckdb.Error as error:
        if names is not None:
            find_ragged_line(path, names)
        kind = text("Parquet 文件", "Parquet file") if path.suffix == ".parquet" else "CSV"
        raise DataError(
            text(
                f"{path}：无法作为 {kind} 读取（文件可能已损坏或只写了一部分）。请重新导出",
                f"{path}: cannot be read as a {kind} (damaged or only partly written). "
                "Export it again",
            )
            + f" [{type(error).__name__}]"
        ) from None
    if names is not None and len(types) != len(names):
        find_ragged_line(path, names)  # DuckDB guessed another dialect because of a ragged row
    return types


def find_ragged_line(
    path: Path, names: list[str], shown: Path | None = None, line_offset: int = 0
) -> None:
    """Raise an error naming the first line with more or fewer fields than the header.

    Python's csv module on the error path only (DuckDB's sniffer reports no line). ``shown``
    is the user's file when ``path`` is the reader's copy, whose lines are ``line_offset``
    lines above the original's."""
    lines = text_lines(path)
    try:
        first = next(lines, "")
        reader = csv.reader(lines, delimiter=_delimiter(first))
        for record in reader:
            if record and len(record) != len(names):
                line = reader.line_num + 1 + line_offset
                name = (shown or path).name
                raise DataError(
                    text(
                        f"{name}:第 {line} 行：有 {len(record)} 个值，但表头有 {len(names)} 列。"
                        "请补齐或删去多余的值（值内的逗号须用引号括起）",
                        f"{name}:line {line}: {len(record)} values, but the header has "
                        f"{len(names)} columns. Fill in or remove values (a comma inside a "
                        "value must be quoted)",
                    )
                )
    finally:
        lines.close()
