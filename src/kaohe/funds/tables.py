"""Reading the tables users hand in (project lists, target tables, reports): CSV or Excel.

Project files are small (thousands of rows, not registries), so they are read row by row in
Python, which keeps every cell's position for messages: ``projects.csv:第 5 行，列 budget`` or
``申报.xlsx[targets]:第 5 行，列 target（E）``. Column headers may be the English ids or their Chinese
names (``项目编号`` for ``project_id``); CSV may be UTF-8 (with or without BOM) or GB18030, the two
encodings Chinese spreadsheets save in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, UsageError
from ..i18n import text

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Place:
    """Where a cell is: file, sheet (Excel), line as the user's program shows it, column."""

    file: str
    line: int | None = None
    column: str | None = None
    sheet: str | None = None
    letter: str | None = None  # Excel column letter

    def at(self, column: str | None) -> Place:
        return Place(self.file, self.line, column, self.sheet, None)

    def __str__(self) -> str:
        where = self.file if self.sheet is None else f"{self.file}[{self.sheet}]"
        if self.line is not None:
            where += text(f":第 {self.line} 行", f":line {self.line}")
        if self.column:
            zh = f"（{self.letter}）" if self.letter else ""
            en = f" ({self.letter})" if self.letter else ""
            where += text(f"，列 {self.column}{zh}", f", column {self.column}{en}")
        return where


@dataclass
class Row:
    """One data row: values by canonical column name (None when empty), and its place."""

    place: Place
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict)

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def text(self, column: str) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        return str(value).strip()

    def cell(self, column: str) -> Place:
        return Place(
            self.place.file, self.place.line, column, self.place.sheet, self.letters.get(column)
        )


@dataclass
class Table:
    place: Place  # file (and sheet)
    columns: list[str]  # canonical names present
    rows: list[Row]


def _normalize(header: Any) -> str:
    return str(header or "").strip().lower().replace(" ", "_")


def _canonical(headers: Sequence[Any], aliases: Mapping[str, Sequence[str]]) -> list[str | None]:
    lookup: dict[str, str] = {}
    for name, others in aliases.items():
        lookup[_normalize(name)] = name
        for other in others:
            lookup[_normalize(other)] = name
    out: list[str | None] = []
    for header in headers:
        key = _normalize(header)
        out.append(lookup.get(key, key or None))
    return out


def sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_table(
    path: Path,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    sheet: str | Sequence[str] | None = None,
) -> Table:
    """Read a CSV file, or one sheet of an Excel workbook (the first of ``sheet``'s names found).

    ``aliases``: canonical column → other accepted headers. Missing ``required`` columns are an
    error that names the file and lists the columns it has.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"文件 {path} 不存在", f"the file {path} does not exist"))
    if path.suffix.lower() in EXCEL_SUFFIXES:
        place, headers, records = _excel(path, sheet)
    elif path.suffix.lower() in (".csv", ".txt"):
        place, headers, records = _csv(path)
    else:
        raise UsageError(
            text(
                f"{path}：只能读取 CSV 或 Excel（.xlsx）文件",
                f"{path}: only CSV or Excel (.xlsx) files can be read",
            )
        )
    names = _canonical(headers, aliases)
    missing = [c for c in required if c not in names]
    if missing:
        present = "、".join(str(h) for h in headers if h not in (None, ""))
        wanted = "; ".join(f"{c}（{'/'.join(aliases.get(c, ()))}）" for c in missing)
        raise DataError(
            text(
                f"{place}：缺少列 {wanted}；现有列：{present}",
                f"{place}: missing columns {wanted}; the file has {present}",
            )
        )
    letters = {name: _letter(i) for i, name in enumerate(names) if name}
    rows = []
    for line, record in records:
        values = {}
        for name, value in zip(names, record, strict=False):
            if name is None:
                continue
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    value = None
            values[name] = value
        if all(v is None for v in values.values()):
            continue  # blank lines and formatted-but-empty Excel rows
        row_place = Place(place.file, line, None, place.sheet)
        rows.append(Row(row_place, values, letters if place.sheet is not None else {}))
    return Table(place, [n for n in names if n], rows)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(
        text(
            f"{path}：无法识别文件编码；请另存为“CSV UTF-8”",
            f"{path}: unknown text encoding; save it as 'CSV UTF-8'",
        )
    )


def _csv(path: Path) -> tuple[Place, list[Any], Iterator[tuple[int, list[Any]]]]:
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise DataError(text(f"{path.name}：文件为空", f"{path.name}: the file is empty")) from None

    def records() -> Iterator[tuple[int, list[Any]]]:
        start = reader.line_num + 1
        for record in reader:
            yield start, record
            start = reader.line_num + 1

    return Place(path.name), headers, records()


def _excel(
    path: Path, sheet: str | Sequence[str] | None
) -> tuple[Place, list[Any], Iterator[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise DataError(
            text(
                f"{path.name}：无法打开 Excel 文件（{error}）",
                f"{path.name}: cannot open ({error})",
            )
        ) from None
    wanted = [sheet] if isinstance(sheet, str) else list(sheet or [])
    if wanted:
        found = [name for name in wanted if name in book.sheetnames]
        if not found:
            book.close()
            raise DataError(
                text(
                    f"{path.name}：找不到工作表 {'/'.join(wanted)}；现有：{'、'.join(book.sheetnames)}",
                    f"{path.name}: no sheet named {'/'.join(wanted)}; "
                    f"it has {', '.join(book.sheetnames)}",
                )
            )
        name = found[0]
    else:
        name = book.sheetnames[0]
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    if not rows:
        raise DataError(
            text(f"{path.name}[{name}]：工作表为空", f"{path.name}[{name}]: the sheet is empty")
        )
    headers = list(rows[0])
    return (
        Place(path.name, sheet=name),
        headers,
        ((i + 2, list(record)) for i, record in enumerate(rows[1:])),
    )


def number(value: Any) -> float | None:
    """A cell as a number, or None when it is not one (empty cells are None too)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def date(value: Any) -> dt.date | None:
    """A cell as a date (Excel dates, or text YYYY-MM-DD / YYYY/MM/DD), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return None
    raw = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        try:
            year, month, day = (int(part) for part in raw.split("-"))
            return dt.date(year, month, day)
        except ValueError:
            return None
