"""What the platform collects (``collection.yaml``): Excel templates with Chinese headers and
drop-downs, checking an uploaded file cell by cell, the file sent back annotated with its errors,
and figures kept once per unit and period so that no one is asked twice (基层减负).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..data.casts import FALSE_SPELLINGS, TRUE_SPELLINGS, cast_sql
from ..data.cell_safety import append_row, set_cell, xlsx_value
from ..data.file_kinds import detect_encoding, file_format
from ..data.files import csv_line
from ..data.header_rows import find_header
from ..data.headers import normalize_header
from ..data.readers import InputFile, prepare
from ..data.templates import TemplateColumn, TemplateSheet, write_template
from ..data.workbooks import choose_sheet, sheet_names
from ..errors import KaoheError
from ..expr import quote
from ..i18n import text
from ..store.models import Figure, Unit
from .errors import Invalid

# The verification sheet's yes/no answers (verification_sheet._yes): the casts' spellings, until
# it reads its values through the casts as the uploads do.
TRUE, FALSE = frozenset(TRUE_SPELLINGS), frozenset(FALSE_SPELLINGS)
UNIT_HEADERS = ("单位代码", "单位名称")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    label_en: str
    type: str  # integer | number | boolean | text
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    figure: str = ""
    carry: str | None = None
    aliases: tuple[str, ...] = ()  # other headers naming the column (kaohe.data.headers)

    @property
    def header(self) -> str:
        return self.label


# The unit columns every template has: a file's header names them as a declared column's
# (by id, label or English label).
UNIT_COLUMNS = (
    Column("unit", UNIT_HEADERS[0], "Unit code", "text"),
    Column("name", UNIT_HEADERS[1], "Unit name", "text"),
)


@dataclass(frozen=True)
class CollectedSource:
    id: str
    label: str
    label_en: str
    submitted_by: tuple[str, ...]
    kind: str
    level: str
    per_unit: bool
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return text(self.label, self.label_en)


def parse_catalog(document: dict[str, Any]) -> dict[str, CollectedSource]:
    catalog = {}
    for source_id, raw in document["sources"].items():
        columns = tuple(
            Column(
                id=column_id,
                label=spec["label"],
                label_en=spec.get("label_en", column_id),
                type=spec.get("type", "text"),
                values=tuple(spec.get("values", ())),
                min=spec.get("min"),
                max=spec.get("max"),
                figure=spec.get("figure", column_id),
                carry=spec.get("carry"),
                aliases=tuple(spec.get("aliases", ())),
            )
            for column_id, spec in raw["columns"].items()
        )
        catalog[source_id] = CollectedSource(
            id=source_id,
            label=raw["label"],
            label_en=raw.get("label_en", source_id),
            submitted_by=tuple(raw["submitted_by"]),
            kind=raw.get("kind", "region"),
            level=raw["level"],
            per_unit=bool(raw.get("per_unit", False)),
            columns=columns,
        )
    return catalog


@cache
def catalog() -> dict[str, CollectedSource]:
    """The bundled catalog of collected sources."""
    raw = resources.files(__package__).joinpath("collection.yaml").read_text(encoding="utf-8")
    return parse_catalog(YAML(typ="safe").load(raw))


def previous_period(period: str) -> str | None:
    return str(int(period) - 1) if period.isdigit() else None


# --- figures held (基层减负) -------------------------------------------------------------


def held_figures(
    session: Session, units: list[str], periods: list[str]
) -> dict[tuple[str, str, str], Any]:
    """(unit, period, figure) -> value for the given units and periods."""
    held: dict[tuple[str, str, str], Any] = {}
    for start in range(0, len(units), 500):  # keep IN lists short
        rows = session.execute(
            select(Figure.unit_code, Figure.period, Figure.name, Figure.value).where(
                Figure.unit_code.in_(units[start : start + 500]), Figure.period.in_(periods)
            )
        )
        for unit, period, name, value in rows:
            held[(unit, period, name)] = value
    return held


def prefill(
    session: Session, source: CollectedSource, units: list[str], period: str
) -> tuple[dict[tuple[str, str], Any], int]:
    """Values Kaohe already holds for a template: ((unit, column) -> value, fields spared)."""
    if not source.per_unit:
        return {}, 0
    previous = previous_period(period)
    held = held_figures(session, units, [p for p in (period, previous) if p])
    values: dict[tuple[str, str], Any] = {}
    for unit in units:
        for column in source.columns:
            if (unit, period, column.figure) in held:
                values[(unit, column.id)] = held[(unit, period, column.figure)]
            elif column.carry and previous and (unit, previous, column.carry) in held:
                values[(unit, column.id)] = held[(unit, previous, column.carry)]
    return values, len(values)


def store_figures(
    session: Session, source: CollectedSource, period: str, rows: list[dict], origin: str
) -> int:
    """Keep each per-unit value of an accepted file as a figure of its unit and period."""
    if not source.per_unit:
        return 0
    units = [row["unit"] for row in rows]
    existing = {
        (f.unit_code, f.name): f
        for start in range(0, len(units), 500)
        for f in session.scalars(
            select(Figure).where(
                Figure.unit_code.in_(units[start : start + 500]), Figure.period == period
            )
        )
    }
    count = 0
    for row in rows:
        for column in source.columns:
            value = row.get(column.id)
            if value is None:
                continue
            figure = existing.get((row["unit"], column.figure))
            if figure is None:
                session.add(
                    Figure(
                        unit_code=row["unit"],
                        period=period,
                        name=column.figure,
                        value=value,
                        origin=origin,
                    )
                )
            elif figure.value != value:
                figure.value, figure.origin = value, origin
            count += 1
    session.flush()
    return count


# --- templates ----------------------------------------------------------------------------


def template(
    source: CollectedSource,
    units: list[Unit],
    values: dict[tuple[str, str], Any],
    spared: int,
) -> bytes:
    """An Excel template: Chinese headers, one row per unit (per-unit sources), drop-downs;
    written by ``kaohe.data.templates``, as ``kaohe template`` writes a source schema's."""
    codes = [
        TemplateColumn(
            id="unit",
            header=UNIT_HEADERS[0],
            allowed_range=f"=_units!$A$1:$A${max(len(units), 1)}",
            required=True,
            description=text("您填报的考核对象的代码", "the code of a unit you report for"),
            error=text("单位代码不在您的范围内", "unit code outside your scope"),
        ),
        TemplateColumn(
            id="name",
            header=UNIT_HEADERS[1],
            description=text("单位名称，仅供核对", "the unit's name, for reference only"),
            width=24,
        ),
    ]
    rows = tuple(
        (unit.code, unit.name, *(values.get((unit.code, c.id)) for c in source.columns))
        for unit in (units if source.per_unit else [])
    )
    sheet = TemplateSheet(
        title="数据",
        columns=(*codes, *(_template_column(c) for c in source.columns)),
        rows=rows,
        checked_rows=max(len(units), 1) if source.per_unit else 200,
        freeze="C2",
    )
    notes = [
        [source.label, source.label_en],
        ["已为您预填的字段", spared],
        ["Fields prefilled from figures Kaohe already holds", spared],
    ]
    return write_template([sheet], notes, {"_units": [[u.code, u.name] for u in units]})


def _template_column(column: Column) -> TemplateColumn:
    meaning = text(f"字段 {column.id}（{column.label_en}）", f"field {column.id} ({column.label})")
    if column.carry:
        meaning += text("；上期数据由系统预填", "; prefilled from the previous period")
    return TemplateColumn(
        id=column.id,
        header=column.header,
        type=column.type,
        name=text(column.label, column.label_en),
        allowed=column.values,
        min=column.min,
        max=column.max,
        required=True,  # check_rows refuses an empty cell
        description=meaning,
    )


# --- reading and checking an upload -------------------------------------------------------
#
# An upload is read as ``kaohe import`` reads a file (``kaohe.data.readers.prepare``: GBK and
# UTF-16 CSV, .xls, the header found under title rows, 合计 rows left out) and each value is
# judged by the import's strict casts (``kaohe.data.casts``). What a submission adds: the
# submitter's units, each once, a value in every cell, the allowed values and ranges.


@dataclass(frozen=True)
class CellError:
    row: int  # the sheet row or CSV line, as the user's spreadsheet or editor shows it
    column: str  # the header as shown in the file ("" for the whole row)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class UploadedTable(Sequence[list[Any]]):
    """An uploaded data file. ``check_rows`` reads it through the import's reader; as a
    sequence it is the cells of its first sheet (or its CSV records) as texts, row 1 first —
    what the verification sheet checks and ``annotate`` marks."""

    def __init__(self, filename: str, content: bytes) -> None:
        self.filename = os.path.basename(filename or "").strip() or "upload"
        self.content = content

    @contextmanager
    def saved(self) -> Iterator[tuple[Path, Path]]:
        """(the file, a scratch folder for the reader's conversions), removed afterwards. An
        error of the reader becomes one line naming the user's file, never the folder."""
        with tempfile.TemporaryDirectory(prefix="kaohe-upload-") as folder:
            path = Path(folder, "file", _local_name(self.filename))
            path.parent.mkdir()
            path.write_bytes(self.content)
            try:
                yield path, Path(folder)
            except KaoheError as error:
                message = str(error).replace(str(path), self.filename)
                raise Invalid(message.replace(f"{folder}{os.sep}", "")) from None

    @cached_property
    def cells(self) -> list[list[Any]]:
        with self.saved() as (path, _scratch):
            return _cells(path)

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, index):
        return self.cells[index]


def _local_name(filename: str) -> str:
    """The upload's name on disk: as uploaded (the reader's messages name it), unless no file
    system would take it."""
    if filename in (".", "..") or len(filename.encode()) > 200:
        return "upload" + os.path.splitext(filename)[1][-10:]
    return filename


def read_table(filename: str, content: bytes) -> UploadedTable:
    """An uploaded .xlsx, .xls or CSV file (UTF-8, GB18030/GBK or UTF-16), read when checked."""
    return UploadedTable(filename, content)


def _cells(path: Path) -> list[list[Any]]:
    """Every cell of the first sheet, or every record of a CSV, as text."""
    kind = file_format(path)
    if kind in ("xlsx", "xls"):
        return _sheet_cells(path)
    if kind != "csv":
        raise Invalid(
            text(f"{path.name}：只接受 CSV 或 Excel 文件", f"{path.name}: only CSV or Excel files")
        )
    encoding = detect_encoding(path)
    try:
        decoded = path.read_bytes().decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        raise Invalid(
            text(
                f"{path.name}：第 {error.start} 字节处的内容不是 {encoding} 编码；请另存为 UTF-8",
                f"{path.name}: the bytes at offset {error.start} are not {encoding}; save the "
                "file as UTF-8",
            )
        ) from None
    first = decoded.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)  # as the reader tells it (kaohe.data.files)
    return [list(row) for row in csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)]


def _sheet_cells(path: Path) -> list[list[Any]]:
    # the sheet the reader reads: the first; a damaged workbook or one without a sheet is one line
    sheet = choose_sheet(path, sheet_names(path), None, None)
    import fastexcel  # noqa: PLC0415  (a Rust extension, loaded as kaohe.data.workbooks does)

    try:
        loaded = fastexcel.read_excel(path).load_sheet(
            sheet, header_row=None, skip_rows=0, dtypes="string"
        )
        return [list(row.values()) for row in loaded.to_arrow().to_pylist()]
    except Exception as error:  # noqa: BLE001  (calamine's errors name no file: one line here)
        raise Invalid(
            text(
                f"{path.name}：工作表 {sheet!r} 无法读取（{type(error).__name__}）。"
                "请在 Excel/WPS 中打开后另存为 .xlsx 再试",
                f"{path.name}: worksheet {sheet!r} cannot be read ({type(error).__name__}). "
                "Open it in Excel or WPS, save it as .xlsx and try again",
            )
        ) from None


def check_rows(
    source: CollectedSource,
    table: UploadedTable,
    allowed_units: dict[str, Unit],
) -> tuple[list[dict[str, Any]], list[CellError]]:
    """Every value checked; ``allowed_units`` are the units the submitter may report for."""
    declared = {c.id: c for c in (*UNIT_COLUMNS, *source.columns)}
    with table.saved() as (path, scratch), duckdb.connect() as con:
        prepared = prepare(path, scratch, columns=declared)
        relation = prepared.relation()
        names = {d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description}
        missing = [c.label for c in source.columns if c.id not in names]
        if "unit" not in names:
            missing.insert(0, UNIT_HEADERS[0])
        if missing:
            return [], [
                CellError(
                    prepared.header_row,
                    name,
                    text(
                        f"缺少列“{name}”；请使用下载的模板",
                        f"missing column {name!r}; use the downloaded template",
                    ),
                )
                for name in missing
            ]
        shown = {column: name for name, column in prepared.renames}
        # a row is data when any of its cells holds something, even one under no known header
        empty = " AND ".join(
            f"coalesce(trim(CAST({quote(name)} AS VARCHAR)), '') = ''" for name in names - {"__row"}
        )
        selected = [
            "__row",
            f"{empty} AS __empty",
            f"CAST({quote('unit')} AS VARCHAR)",
            *map(_value_sql, source.columns),
        ]
        records = con.execute(
            f"SELECT {', '.join(selected)} FROM {relation} ORDER BY __row"
        ).fetchall()
        return _checked(
            source,
            records,
            {c: shown.get(c, c) for c in names},
            allowed_units,
            lambda row: _line(prepared, row),
        )


def _value_sql(column: Column) -> str:
    """The cell as text, as its column's type (NULL when it does not fit) and, for an integer
    column, as a number (to say "not a whole number" rather than "not a number")."""
    kind = column.type
    typed = cast_sql(column.id, kind, "VARCHAR") if kind != "text" else "NULL"
    number = cast_sql(column.id, "number", "VARCHAR") if kind == "integer" else "NULL"
    return f"CAST({quote(column.id)} AS VARCHAR), {typed}, {number}"


def _line(prepared: InputFile, row: int) -> int:
    """The sheet row or CSV line of data row ``row``, the number ``InputFile.position`` shows."""
    if prepared.format == "csv":
        return csv_line(prepared.path, row, prepared.readable) + prepared.header_row - 1
    return row + prepared.header_row


def _checked(
    source: CollectedSource,
    records: list[tuple],
    headers: dict[str, str],
    allowed_units: dict[str, Unit],
    line: Callable[[int], int],
) -> tuple[list[dict[str, Any]], list[CellError]]:
    rows: list[dict[str, Any]] = []
    errors: list[CellError] = []
    seen: dict[str, int] = {}
    for number, empty, raw_unit, *cells in records:
        if empty:
            continue  # blank lines and rows
        values = {c.id: cells[3 * i : 3 * i + 3] for i, c in enumerate(source.columns)}
        at = line(number)
        row_errors: list[CellError] = []
        code = "" if raw_unit is None else raw_unit.strip()
        problem = _unit_problem(source, code, allowed_units, seen)
        if problem:
            row_errors.append(CellError(at, headers["unit"], problem))
        else:
            seen.setdefault(code, at)
        row: dict[str, Any] = {"unit": code}
        for column in source.columns:
            row[column.id], problem = _value(column, *values[column.id])
            if problem:
                row_errors.append(CellError(at, headers[column.id], problem))
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    if not rows and not errors:
        errors.append(CellError(line(1), "", text("文件中没有数据行", "the file has no data rows")))
    return rows, errors


def _blank(raw: str | None) -> bool:
    return raw is None or not raw.strip()


def _unit_problem(
    source: CollectedSource, code: str, allowed_units: dict[str, Unit], seen: dict[str, int]
) -> str | None:
    if code not in allowed_units:
        return text(
            f"单位代码 {code or '（空）'} 不存在或不在您的填报范围内",
            f"unit code {code or '(empty)'} is unknown or outside what you report for",
        )
    if source.per_unit and code in seen:
        return text(
            f"单位 {code} 重复（第 {seen[code]} 行已填写）",
            f"unit {code} appears twice (already on row {seen[code]})",
        )
    return None


def _value(column: Column, raw: str | None, typed: Any, number: Any) -> tuple[Any, str | None]:
    """The cell's value as its column's type, or what is wrong with it."""
    if _blank(raw):
        return None, text("不能为空", "must not be empty")
    shown = raw.strip()
    if column.type == "text":
        if column.values and shown not in column.values:
            return None, text(
                f"应为以下之一：{'、'.join(column.values)}（而不是 {shown!r}）",
                f"must be one of {', '.join(column.values)} (not {shown!r})",
            )
        return shown, None
    if typed is None:
        if column.type == "boolean":
            return None, text(
                f"应填“是”或“否”，而不是 {shown!r}", f"must be 是 or 否 (yes/no), not {shown!r}"
            )
        if column.type == "integer" and number is not None:
            return None, text(
                f"应为整数，而不是 {shown!r}", f"must be a whole number, not {shown!r}"
            )
        return None, text(f"应为数字，而不是 {shown!r}", f"must be a number, not {shown!r}")
    if column.min is not None and typed < column.min:
        return None, text(f"不能小于 {column.min:g}", f"must be at least {column.min:g}")
    if column.max is not None and typed > column.max:
        return None, text(f"不能大于 {column.max:g}", f"must be at most {column.max:g}")
    return typed, None


def annotate(filename: str, content: bytes, errors: list[dict[str, Any]]) -> bytes:
    """The uploaded file as .xlsx with each bad cell filled red and commented, and a last column
    listing the row's errors. Every text is written inert (``kaohe.data.cell_safety``): a CSV's
    ``=HYPERLINK(…)`` stays a string, its control characters are dropped."""
    cells = read_table(filename, content).cells
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    for row in cells:
        append_row(sheet, row)
    positions, header_row = _error_columns(cells, {e["column"] for e in errors if e["column"]})
    note_column = max((len(row) for row in cells), default=0) + 1
    title = sheet.cell(row=header_row, column=note_column)
    set_cell(title, text("错误说明", "errors")).font = Font(bold=True)
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error["row"], []).append(
            f"{error['column']}：{error['message']}" if error["column"] else error["message"]
        )
        if error["column"] in positions:
            cell = sheet.cell(row=error["row"], column=positions[error["column"]] + 1)
            cell.fill = ERROR_FILL
            cell.comment = Comment(xlsx_value(error["message"]), "Kaohe")
    for row, messages in by_row.items():
        note = sheet.cell(row=row, column=note_column)
        set_cell(note, "；".join(messages)).fill = ERROR_FILL
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _error_columns(cells: list[list[Any]], names: set[str]) -> tuple[dict[str, int], int]:
    """(header → column position, the header's last row) for the headers errors name, found as
    the reader finds a header: the row, or pair of rows, under any title rows naming most."""
    named = {normalize_header(name): name for name in names}
    declared = {name: Column(name, name, "", "text") for name in named.values()}
    layout = find_header(cells, declared) if declared else None
    if layout is None or not layout.matched:
        return {}, 1
    return {name: position for position, name in layout.matched.items()}, layout.last + 1
