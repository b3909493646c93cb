"""What the platform collects (``collection.yaml``): Excel templates with Chinese headers and
drop-downs, checking an uploaded file cell by cell, the file sent back annotated with its errors,
and figures kept once per unit and period so that no one is asked twice (基层减负).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..data.templates import TemplateColumn, TemplateSheet, write_template
from ..i18n import text
from ..store.models import Figure, Unit
from .errors import Invalid

TRUE = {"是", "true", "1", "yes", "y", "t", "对"}
FALSE = {"否", "false", "0", "no", "n", "f", "不"}
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

    @property
    def header(self) -> str:
        return self.label


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


@dataclass(frozen=True)
class CellError:
    row: int  # spreadsheet row (the header is row 1)
    column: str  # the header as shown in the file ("" for the whole row)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    """The cells of the first sheet of an .xlsx file, or of a UTF-8 CSV file."""
    if filename.lower().endswith(".csv"):
        try:
            decoded = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(
                text(
                    f"{filename}：不是 UTF-8 编码的 CSV 文件；请另存为 UTF-8",
                    f"{filename}: not a UTF-8 CSV file; save it as UTF-8",
                )
            ) from None
        return [list(row) for row in csv.reader(io.StringIO(decoded))]
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise Invalid(
            text(
                f"{filename}：无法读取 Excel 文件（是否已损坏？）",
                f"{filename}: cannot read this Excel file (is it damaged?)",
            )
        ) from None
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _header_map(source: CollectedSource, header: list[Any]) -> tuple[dict[int, str], list[str]]:
    names = {}
    for column in source.columns:
        for alias in (column.label, column.label_en, column.id):
            names[alias.strip().lower()] = column.id
    for alias in (*UNIT_HEADERS[:1], "unit", "单位代码"):
        names[alias.lower()] = "unit"
    for alias in (UNIT_HEADERS[1], "name", "单位名称"):
        names[alias.lower()] = "name"
    positions = {}
    for index, cell in enumerate(header):
        key = str(cell).strip().lower() if cell is not None else ""
        if key in names:
            positions[index] = names[key]
    found = set(positions.values())
    missing = [c.label for c in source.columns if c.id not in found]
    if "unit" not in found:
        missing.insert(0, UNIT_HEADERS[0])
    return positions, missing


def _convert(column: Column, raw: Any) -> tuple[Any, str | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, text("不能为空", "must not be empty")
    if column.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        key = str(raw).strip().lower()
        if key in TRUE:
            return True, None
        if key in FALSE:
            return False, None
        return None, text(
            f"应填“是”或“否”，而不是 {raw!r}", f"must be 是 or 否 (yes/no), not {raw!r}"
        )
    if column.type in ("integer", "number"):
        try:
            value = (
                float(str(raw).replace(",", "").strip())
                if not isinstance(raw, int | float)
                else float(raw)
            )
        except ValueError:
            return None, text(f"应为数字，而不是 {raw!r}", f"must be a number, not {raw!r}")
        if column.type == "integer":
            if value != int(value):
                return None, text(
                    f"应为整数，而不是 {raw!r}", f"must be a whole number, not {raw!r}"
                )
            value = int(value)
        if column.min is not None and value < column.min:
            return None, text(f"不能小于 {column.min:g}", f"must be at least {column.min:g}")
        if column.max is not None and value > column.max:
            return None, text(f"不能大于 {column.max:g}", f"must be at most {column.max:g}")
        return value, None
    value = str(raw).strip()
    if column.values and value not in column.values:
        return None, text(
            f"应为以下之一：{'、'.join(column.values)}（而不是 {value!r}）",
            f"must be one of {', '.join(column.values)} (not {value!r})",
        )
    return value, None


def check_rows(
    source: CollectedSource,
    table: list[list[Any]],
    allowed_units: dict[str, Unit],
) -> tuple[list[dict[str, Any]], list[CellError]]:
    """Every value checked; ``allowed_units`` are the units the submitter may report for."""
    errors: list[CellError] = []
    if not table:
        return [], [CellError(1, "", text("文件是空的", "the file is empty"))]
    positions, missing = _header_map(source, table[0])
    if missing:
        return [], [
            CellError(
                1,
                name,
                text(
                    f"缺少列“{name}”；请使用下载的模板",
                    f"missing column {name!r}; use the downloaded template",
                ),
            )
            for name in missing
        ]
    headers = {index: str(table[0][index]) for index in positions}
    columns = {c.id: c for c in source.columns}
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        row: dict[str, Any] = {}
        row_errors = []
        for index, column_id in positions.items():
            raw = cells[index] if index < len(cells) else None
            if column_id == "name":
                continue
            if column_id == "unit":
                code = "" if raw is None else str(raw).strip()
                if code.endswith(".0"):  # Excel turned the code into a number
                    code = code[:-2]
                unit = allowed_units.get(code)
                if unit is None:
                    row_errors.append(
                        CellError(
                            number,
                            headers[index],
                            text(
                                f"单位代码 {code or '（空）'} 不存在或不在您的填报范围内",
                                f"unit code {code or '(empty)'} is unknown or outside what you report for",
                            ),
                        )
                    )
                elif source.per_unit and code in seen:
                    row_errors.append(
                        CellError(
                            number,
                            headers[index],
                            text(
                                f"单位 {code} 重复（第 {seen[code]} 行已填写）",
                                f"unit {code} appears twice (already on row {seen[code]})",
                            ),
                        )
                    )
                else:
                    seen.setdefault(code, number)
                row["unit"] = code
                continue
            value, problem = _convert(columns[column_id], raw)
            if problem:
                row_errors.append(CellError(number, headers[index], problem))
            row[column_id] = value
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    if not rows and not errors:
        errors.append(CellError(2, "", text("文件中没有数据行", "the file has no data rows")))
    return rows, errors


def annotate(filename: str, content: bytes, errors: list[dict[str, Any]]) -> bytes:
    """The uploaded file as .xlsx with each bad cell filled red and commented, and a last column
    listing the row's errors."""
    table = read_table(filename, content)
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    for cells in table:
        sheet.append(cells)
    header = [str(c) if c is not None else "" for c in (table[0] if table else [])]
    note_column = len(header) + 1
    sheet.cell(row=1, column=note_column, value=text("错误说明", "errors")).font = Font(bold=True)
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error["row"], []).append(
            f"{error['column']}：{error['message']}" if error["column"] else error["message"]
        )
        if error["column"] in header:
            cell = sheet.cell(row=error["row"], column=header.index(error["column"]) + 1)
            cell.fill = ERROR_FILL
            cell.comment = Comment(error["message"], "Kaohe")
    for row, messages in by_row.items():
        sheet.cell(row=row, column=note_column, value="；".join(messages)).fill = ERROR_FILL
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
