"""Excel workbooks (.xlsx and .xls) as text tables: one worksheet streamed into Parquet.

fastexcel (calamine, in Rust) reads the sheet into Arrow with every cell as text — 1,000,000
rows in seconds where openpyxl takes minutes (docs/benchmarks.md). The header is then found
under any title rows (``header_rows.find_header``), a two-row header is joined, empty rows and
合计/小计 rows are left out (the latter with a notice), and the rows are written with ``__row``,
the data row number counted from the header, so that ``sheet_row = __row + header_last_row``
names the row a spreadsheet shows.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import DataError, UsageError
from ..i18n import text
from .header_rows import SEARCH_ROWS, TOTAL_COLUMNS, TOTAL_PATTERN, HeaderLayout, find_header
from .headers import normalize_header


@dataclass(frozen=True)
class SheetTable:
    """What was read from one worksheet."""

    sheet: str
    only_sheet: bool  # the workbook has no other sheet (then messages need not name it)
    header: HeaderLayout
    columns: list[str]  # the names of the Parquet's columns after ``__row``, in sheet order

    def renames(self) -> tuple[tuple[str, str], ...]:
        """(column name, declared id) for the headers that name a declared column."""
        return tuple(
            (self.columns[i], column)
            for i, column in sorted(self.header.matched.items())
            if self.columns[i] != column
        )

    totals: list[int] = field(default_factory=list)  # sheet rows (1-based) left out as 合计

    @property
    def header_last_row(self) -> int:
        """The sheet row (1-based) of the header's last row."""
        return self.header.last + 1


def _open(path: Path):
    import fastexcel  # noqa: PLC0415  (a Rust extension: loaded only when a workbook is read)

    try:
        return fastexcel.read_excel(path)
    except Exception as error:  # noqa: BLE001  (calamine's errors name no file: one line here)
        raise DataError(
            text(
                f"{path.name}：无法作为 Excel 工作簿读取（文件可能已损坏、加密或只下载了一部分）。"
                "请在 Excel/WPS 中打开后另存为 .xlsx 再试",
                f"{path.name}: cannot be read as an Excel workbook (damaged, encrypted or only "
                "partly downloaded). Open it in Excel or WPS, save it as .xlsx and try again",
            )
            + f" [{type(error).__name__}]"
        ) from None


def sheet_names(path: Path) -> list[str]:
    """The workbook's worksheets, in order: chart sheets hold no cells and are left out."""
    charts = _chart_sheets(path)
    return [name for name in _open(path).sheet_names if name not in charts]


_RELATIONS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _chart_sheets(path: Path) -> set[str]:
    """The names of an .xlsx's chart sheets (图表工作表). Read by hand from the two small parts
    that list the sheets: calamine knows a sheet's type, but fastexcel does not expose it, and
    openpyxl would parse the shared strings of the whole workbook first. Anything unexpected
    leaves the names to calamine (an empty set): it reports damaged workbooks itself."""
    try:
        with zipfile.ZipFile(path) as archive:
            relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return set()
    charts = {
        r.get("Id")
        for r in relations.iter(_RELATIONS)
        if (r.get("Type") or "").endswith("/chartsheet")
    }
    return {s.get("name") for s in book.iter(f"{_MAIN}sheet") if s.get(_REL_ID) in charts}


def choose_sheet(path: Path, names: list[str], wanted: str | None, source: str | None) -> str:
    """The sheet to read: ``wanted``; else the one named after the source (id or label); else the
    only or first sheet."""
    if wanted is not None:
        if wanted not in names:
            raise UsageError(
                text(
                    f"{path.name}：没有名为 {wanted!r} 的工作表；工作表：{'、'.join(names)}",
                    f"{path.name}: no worksheet {wanted!r}; the sheets are {', '.join(names)}",
                )
            )
        return wanted
    if not names:
        raise DataError(
            text(
                f"{path.name}：工作簿中没有工作表（图表工作表不含数据）",
                f"{path.name}: the workbook has no worksheet (a chart sheet holds no data)",
            )
        )
    if source is not None:
        keys = {normalize_header(source)}
        for name in names:
            if normalize_header(name) in keys:
                return name
    return names[0]


def _unique_names(layout: HeaderLayout, width: int) -> list[str]:
    """The sheet's header texts as column names; an unnamed or repeated header gets its column
    number so that no column is silently merged or lost."""
    names: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        header = layout.names[index] if index < len(layout.names) else ""
        name = header or text(f"第{index + 1}列", f"column {index + 1}")
        if name in seen:
            name = text(f"{name}（第{index + 1}列）", f"{name} (column {index + 1})")
        seen.add(name)
        names.append(name)
    return names


def _midnight_as_date(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # calamine writes a date cell as "2019-01-05 00:00:00"; a CSV export writes "2019-01-05"
    if not pc.any(pc.ends_with(column, " 00:00:00")).as_py():
        return column  # no date in it: the regex, ~15× the cost of this test, would change nothing
    return pc.replace_substring_regex(
        column, pattern=r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", replacement=r"\1"
    )


def _total_flags(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where the cell, spaces removed, says 合计/小计/总计 (``TOTAL_PATTERN``)."""
    if not pc.any(pc.match_substring(column, "计")).as_py():
        # every total word has 计: a column without one (a code column, nearly always) is
        # settled without the two regexes over each of its cells
        return pa.chunked_array([pa.repeat(False, len(column))])
    return pc.fill_null(
        pc.match_substring_regex(
            pc.replace_substring_regex(column, pattern=r"\s+", replacement=""), TOTAL_PATTERN
        ),
        False,
    )


def sheet_to_parquet(
    path: Path,
    target: Path,
    *,
    sheet: str | None = None,
    source: str | None = None,
    columns: Mapping[str, object] | None = None,
    explicit: Mapping[str, str] | None = None,
) -> SheetTable:
    """Read one worksheet of ``path`` into ``target`` (text columns plus ``__row``)."""
    reader = _open(path)
    charts = _chart_sheets(path)
    names = [name for name in reader.sheet_names if name not in charts]
    name = choose_sheet(path, names, sheet, source)
    try:
        loaded = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        table = pa.table(loaded.to_arrow())
    except Exception as error:  # noqa: BLE001  (see _open)
        raise DataError(
            text(
                f"{path.name}：工作表 {name!r} 无法读取（{type(error).__name__}）。"
                "请在 Excel/WPS 中打开后另存为 .xlsx 再试",
                f"{path.name}: worksheet {name!r} cannot be read ({type(error).__name__}). "
                "Open it in Excel or WPS, save it as .xlsx and try again",
            )
        ) from None
    head = table.slice(0, SEARCH_ROWS).to_pylist()
    first_rows = [list(row.values()) for row in head]
    layout = find_header(first_rows, columns, explicit)
    if not layout.names:
        raise DataError(
            text(
                f"{path.name}：工作表 {name!r} 是空的",
                f"{path.name}: worksheet {name!r} is empty",
            )
        )
    width = table.num_columns
    out_names = _unique_names(layout, width)
    data = table.slice(layout.last + 1)
    data = data.rename_columns(out_names)
    data = pa.table(
        [_midnight_as_date(data.column(i)) for i in range(width)], names=out_names
    ).append_column("__row", pa.array(np.arange(1, data.num_rows + 1, dtype=np.int64)))
    # left out: empty rows (Excel keeps formatted blank rows) and totals rows
    empty = functools.reduce(pc.and_, [pc.is_null(data.column(i)) for i in range(width)])
    total = functools.reduce(
        pc.or_, [_total_flags(data.column(i)) for i in range(min(width, TOTAL_COLUMNS))]
    )
    totals = [row + layout.last + 1 for row in data.filter(total).column("__row").to_pylist()]
    keep = pc.invert(pc.or_(empty, total))
    if not pc.all(keep).as_py():  # a copy of every column only when some row goes
        data = data.filter(keep)
    data = data.select(["__row", *out_names])
    pq.write_table(data, target)
    return SheetTable(name, len(names) == 1, layout, out_names, totals)
