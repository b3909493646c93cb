"""Reading the tables users hand in (project lists, target tables, reports) through Kaohe's one
reader, ``kaohe.data.readers.prepare``: CSV in UTF-8, GB18030 or UTF-16, Excel (.xlsx, .xls) or
Parquet, with the header found under title rows, two-row headers joined and 合计 rows left out.

Headers name a column by its id or by one of the Chinese or English names a funds module declares
for it (``项目编号`` for ``project_id``), compared as ``kaohe.data.headers`` compares them. Values
are judged by the strict casts of ``kaohe.data.casts`` (``1,234``, full-width digits, dates as
YYYY-MM-DD), each column in one query when it is first asked for. Project files are small
(thousands of rows, not registries), so the rows are then held in Python, every cell with its
place for messages: ``projects.csv:第 5 行，列 budget`` or ``申报.xlsx[targets]:第 5 行，列 target（E）``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..data.casts import cast_sql
from ..data.file_kinds import file_format
from ..data.files import csv_line_shifts, find_ragged_line
from ..data.readers import InputFile, prepare
from ..data.schemas import Column
from ..data.workbooks import sheet_names
from ..errors import DataError, UsageError
from ..i18n import text

EXCEL_SUFFIXES = (".xlsx", ".xls")
# how target tables write a direction into the value: ≥95%, <= 12
_DIRECTIONS = ((">=", "higher"), ("≥", "higher"), ("<=", "lower"), ("≤", "lower"))
_PERCENT_SIGNS = ("%", "％")


@dataclass(frozen=True)
class Place:
    """Where a cell is: file, sheet (Excel), line as the user's program shows it, column.

    ``record``: the line is a record number (Parquet has no lines)."""

    file: str
    line: int | None = None
    column: str | None = None
    sheet: str | None = None
    letter: str | None = None  # Excel column letter
    record: bool = False

    def at(self, column: str | None) -> Place:
        return Place(self.file, self.line, column, self.sheet, None, self.record)

    def __str__(self) -> str:
        where = self.file if self.sheet is None else f"{self.file}[{self.sheet}]"
        if self.line is not None and self.record:
            where += text(f":第 {self.line} 条记录", f":record {self.line}")
        elif self.line is not None:
            where += text(f":第 {self.line} 行", f":line {self.line}")
        if self.column:
            zh = f"（{self.letter}）" if self.letter else ""
            en = f" ({self.letter})" if self.letter else ""
            where += text(f"，列 {self.column}{zh}", f", column {self.column}{en}")
        return where


class _Casts:
    """A table's values by column, cast by the strict casts when a column is first asked for:
    one DuckDB query per column and kind, not one per cell, on the connection that read the
    file (opening one costs more than casting a column)."""

    def __init__(self, columns: dict[str, list[Any]], con: duckdb.DuckDBPyConnection) -> None:
        self._columns = columns
        self._con = con
        self._done: dict[tuple[str, str], list[Any]] = {}

    def value(self, column: str, kind: str, index: int) -> Any:
        if column not in self._columns:
            return None
        key = (column, kind)
        if key not in self._done:
            self._done[key] = self._cast(self._columns[column], kind)
        return self._done[key][index]

    def target(self, column: str, index: int) -> tuple[float | None, str | None, bool]:
        key = (column, "target")
        if key not in self._done:
            written = [_target_parts(v) for v in self._columns.get(column, [])]
            values = self._cast([number for number, _, _ in written], "number")
            self._done[key] = [
                (value, direction, percent)
                for value, (_, direction, percent) in zip(values, written, strict=True)
            ]
        found = self._done[key]
        return found[index] if found else (None, None, False)

    def _cast(self, values: list[Any], kind: str) -> list[Any]:
        """``values`` (one column: text, or Parquet's typed values) as ``kind``; None where a
        value does not fit (``cast_sql``)."""
        if not values:
            return []
        typed = any(v is not None for v in values)
        cells = pa.table(
            {
                "i": pa.array(range(len(values)), pa.int64()),
                "v": pa.array(values, None if typed else pa.string()),
            }
        )
        self._con.register("cells", cells)
        try:
            found = self._con.execute(
                f"SELECT {cast_sql('v', kind)} FROM cells ORDER BY i"
            ).fetchall()
        finally:
            self._con.unregister("cells")
        return [value for (value,) in found]


def _target_parts(raw: Any) -> tuple[str | None, str | None, bool]:
    """A target cell as (the number's text, the direction written before it, written as a
    percentage): ``≥95%`` is ("95", "higher", True). The number is judged by the casts."""
    if raw is None:
        return None, None, False
    value = str(raw).strip()
    direction = None
    for prefix, name in _DIRECTIONS:
        if value.startswith(prefix):
            direction, value = name, value[len(prefix) :].strip()
            break
    percent = value.endswith(_PERCENT_SIGNS)
    if percent:
        value = value[:-1].strip()
    return value, direction, percent


@dataclass
class Row:
    """One data row: values by column name as the file holds them (None when empty), its place,
    and the values cast by the strict casts (``number``, ``date``, ``target_value``)."""

    place: Place
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict)
    casts: _Casts | None = field(default=None, repr=False, compare=False)
    index: int = 0

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def text(self, column: str) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value).strip()

    def number(self, column: str) -> float | None:
        """The cell as a number (``1,234``, full-width digits), or None when it is empty or no
        number (``12.5%``, ``1e3``, ``十``)."""
        return self._cast(column, "number")

    def date(self, column: str) -> dt.date | None:
        """The cell as a date (YYYY-MM-DD, or a spreadsheet's date cell), or None."""
        return self._cast(column, "date")

    def target_value(self, column: str) -> tuple[float | None, str | None, bool]:
        """A target cell as (number, direction written in it, written as a percentage).

        Target tables often write the direction into the value (``≥95%``, ``≤12``): both are
        understood; the number must fit as any number does, or it is None (not quantified)."""
        if self.casts is None:
            return None, None, False
        return self.casts.target(column, self.index)

    def _cast(self, column: str, kind: str) -> Any:
        return None if self.casts is None else self.casts.value(column, kind, self.index)

    def cell(self, column: str) -> Place:
        return Place(
            self.place.file,
            self.place.line,
            column,
            self.place.sheet,
            self.letters.get(column),
            self.place.record,
        )


@dataclass
class Table:
    place: Place  # file (and sheet)
    columns: list[str]  # the declared columns present, by id, then the file's other headers
    rows: list[Row]
    notices: list[str] = field(default_factory=list)  # title rows skipped, 合计 rows left out


def read_table(
    path: Path,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    sheet: str | Sequence[str] | None = None,
) -> Table:
    """Read a table file, or one sheet of a workbook (the first of ``sheet``'s names it has; the
    only sheet of a one-sheet workbook).

    ``aliases``: column id → the other headers it is known by. Missing ``required`` columns are
    an error that names the file and lists the columns it has.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"文件 {path} 不存在", f"the file {path} does not exist"))
    declared = {name: Column(aliases=list(others)) for name, others in aliases.items()}
    declared.update({name: Column() for name in required if name not in declared})
    # told by the first bytes: a CSV named .xlsx gets the reader's one line, not calamine's
    chosen = _sheet(path, sheet) if file_format(path) in ("xlsx", "xls") else None
    with tempfile.TemporaryDirectory(prefix="kaohe-funds-") as scratch:
        found = prepare(path, Path(scratch), columns=declared, sheet=chosen)
        con = duckdb.connect()  # kept by the table for its casts
        try:
            result = con.execute(f"SELECT * FROM {found.relation()} ORDER BY __row")
            names = [d[0] for d in result.description]
            records = result.fetchall()
        except duckdb.Error as error:
            con.close()
            raise _unreadable(found, type(error).__name__) from None
        if found.format == "csv" and len(names) != len(found.header) + 1:
            con.close()  # DuckDB guessed another dialect because of a ragged row
            raise _unreadable(found, "dialect")
        place = Place(path.name, sheet=chosen, record=found.format == "parquet")
        try:
            _check_required(found, place, names, required, aliases)
        except DataError:
            con.close()
            raise
        return _rows(found, place, names, records, con)


def _sheet(path: Path, wanted: str | Sequence[str] | None) -> str | None:
    """The worksheet to read: the first of ``wanted`` the workbook has; else its first sheet,
    when nothing is wanted or it has only one."""
    names = sheet_names(path)
    wanted = [wanted] if isinstance(wanted, str) else list(wanted or [])
    found = [name for name in wanted if name in names]
    if found:
        return found[0]
    if not wanted or len(names) == 1:
        return names[0] if names else None  # prepare says the workbook has no sheet
    raise DataError(
        text(
            f"{path.name}：找不到工作表 {'/'.join(wanted)}；现有：{'、'.join(names)}",
            f"{path.name}: no sheet named {'/'.join(wanted)}; it has {', '.join(names)}",
        )
    )


def _unreadable(found: InputFile, why: str) -> DataError:
    """One line for a file DuckDB cannot read: its ragged line when the file is read as it lies
    (a copy's line numbers are not the user's), else what to do."""
    if found.format == "csv" and found.readable == found.path:
        find_ragged_line(found.path, found.header)
    return DataError(
        text(
            f"{found.path.name}：无法读取（各行的列数不一致，或换行符混用）。"
            "请在 Excel/WPS 中打开后另存为“CSV UTF-8”再试",
            f"{found.path.name}: cannot be read (rows of different lengths, or mixed line "
            'breaks). Open it in Excel or WPS and save it as "CSV UTF-8"',
        )
        + f" [{why}]"
    )


def _check_required(
    found: InputFile,
    place: Place,
    columns: list[str],
    required: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        # the file's own headers; a Parquet file's are its columns (the reader renames none)
        headers = found.header if found.format != "parquet" else columns
        present = "、".join(h for h in headers if h and h != "__row")
        wanted = "; ".join(f"{c}（{'/'.join(aliases.get(c, ()))}）" for c in missing)
        raise DataError(
            text(
                f"{place}：缺少列 {wanted}；现有列：{present}",
                f"{place}: missing columns {wanted}; the file has {present}",
            )
        )


def _rows(
    found: InputFile,
    place: Place,
    names: list[str],
    records: list[tuple],
    con: duckdb.DuckDBPyConnection,
) -> Table:
    """The data rows (blank ones left out), each with the line or sheet row the user sees."""
    renamed = dict(found.renames)
    letters = {}
    if found.format in ("xlsx", "xls"):
        letters = {renamed.get(h, h): _letter(i) for i, h in enumerate(found.header)}
    columns = [n for n in names if n != "__row"]
    line = _lines(found)
    kept: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        values = {}
        for name, value in zip(names, record, strict=True):
            if isinstance(value, str):
                value = value.strip() or None
            values[name] = value
        row = values.pop("__row")
        if any(v is not None for v in values.values()):
            kept.append((row, values))  # blank CSV lines are left out
    casts = _Casts({c: [values[c] for _, values in kept] for c in columns}, con)
    rows = [
        Row(
            Place(place.file, line(row), None, place.sheet, None, place.record),
            values,
            letters,
            casts,
            index,
        )
        for index, (row, values) in enumerate(kept)
    ]
    return Table(place, columns, rows, found.notices())


def _lines(found: InputFile) -> Callable[[int], int]:
    """Data row → the number ``InputFile.position`` shows: the line an editor shows for a CSV
    (quoted line breaks and blank lines counted, as ``files.csv_line`` counts them: its shifts
    are read once here, not once a row), the sheet row for a workbook, the record for Parquet."""
    if found.format in ("xlsx", "xls"):
        return lambda row: row + found.header_row
    if found.format != "csv":
        return lambda row: row
    shifts = csv_line_shifts(found.readable)
    starts = [first for first, _ in shifts]

    def line(row: int) -> int:
        at = bisect.bisect_right(starts, row) - 1
        return row + found.header_row + (shifts[at][1] if at >= 0 else 0)

    return line


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
