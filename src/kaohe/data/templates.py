"""Excel templates to fill in (填报模板), written from a neutral description of their columns.

One writer for every template Kaohe hands out: the platform's collected sources
(``kaohe.workflow.collection``, downloaded from the web) and source schemas (``kaohe template``).
A column says its header, type, allowed values, range, number format, whether it is required
and what it means; the writer makes of it the header cell, a drop-down (是/否, the allowed
values) or a range Excel checks on entry, the column's number format, and a line of the
instructions sheet (说明). ``schema_sheet`` describes a source schema's columns that way
(``prefill.known_rows`` gives the rows a data directory already holds).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..i18n import text
from .cell_safety import append_row
from .schemas import Column, SourceSchema

YES, NO = "是", "否"
# A number shows up to six decimals: a sheet saved as CSV keeps what it shows, so a format that
# rounds (0.00) would round the figures themselves.
NUMBER_FORMATS = {
    "text": "@",  # codes stay text: 130102 and 001 are not numbers
    "integer": "0",
    "number": "0.0#####",
    "boolean": "@",
    "date": "yyyy-mm-dd",
}
PERCENT_FORMAT = "0.00%"  # as results.xlsx shows rates (kaohe.formatting)
LISTS_SHEET = "_lists"
ROOM_BELOW = 200  # rows the checks cover below the written ones, for rows the user adds
_INLINE_LIST = 255  # Excel refuses a list written into the formula longer than this
_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template, whatever it was declared by."""

    id: str
    header: str  # row 1, what an upload or import matches (a label, or the id)
    type: str = "text"  # text | integer | number | boolean | date
    name: str = ""  # how the checks and the instructions call it (default: the header)
    allowed: tuple[str, ...] = ()
    allowed_range: str | None = None  # a list kept in the workbook: "=_units!$A$1:$A$9"
    min: float | None = None
    max: float | None = None
    number_format: str | None = None  # default: by type (NUMBER_FORMATS)
    date_format: str | None = None  # a date typed as text in this strftime format
    required: bool = False
    description: str = ""  # what the column means
    error: str | None = None  # what Excel says when a value is refused
    width: int | None = None

    @property
    def title(self) -> str:
        return self.name or self.header

    @property
    def format(self) -> str:
        return self.number_format or NUMBER_FORMATS[self.type]

    @property
    def percent(self) -> bool:
        return self.format.endswith("%")


@dataclass(frozen=True)
class TemplateSheet:
    """A sheet to fill in: its columns and the rows already known, in column order."""

    title: str
    columns: tuple[TemplateColumn, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    checked_rows: int | None = None  # rows below the header the checks cover (rows + ROOM_BELOW)
    freeze: str = "A2"


def write_template(
    sheets: Sequence[TemplateSheet],
    notes: Sequence[Sequence[Any]] = (),
    hidden: Mapping[str, Sequence[Sequence[Any]]] | None = None,
) -> bytes:
    """The workbook: the sheets to fill in, first (an import reads the first sheet), then the
    ``hidden`` sheets (lists the drop-downs point to), then the instructions: ``notes`` (lines
    of the caller's), what each column is, and how to fill in."""
    book = Workbook()
    book.remove(book.active)
    lists = _Lists()
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(book.create_sheet(_sheet_title(sheet.title, taken)), sheet, lists)
    for title, rows in (hidden or {}).items():
        _hidden_sheet(book, title, rows)
    if lists.columns:
        _hidden_sheet(book, LISTS_SHEET, lists.rows())
    _write_instructions(book.create_sheet(text("说明", "Instructions")), sheets, notes)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = _SHEET_TITLE.sub("_", title)[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        name = f"{base[: 31 - len(str(number)) - 1]}_{number}"
        number += 1
    taken.add(name.lower())
    return name


def _hidden_sheet(book: Workbook, title: str, rows: Sequence[Sequence[Any]]) -> None:
    sheet = book.create_sheet(title)
    for row in rows:
        append_row(sheet, list(row))
    sheet.sheet_state = "hidden"


def _write_sheet(sheet: Worksheet, template: TemplateSheet, lists: _Lists) -> None:
    append_row(sheet, [column.header for column in template.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in template.rows:
        append_row(
            sheet,
            [
                _cell_value(column, value)
                for column, value in zip(template.columns, row, strict=True)
            ],
        )
    checked = template.checked_rows
    last = 1 + (checked if checked is not None else len(template.rows) + ROOM_BELOW)
    for index, column in enumerate(template.columns, start=1):
        letter = get_column_letter(index)
        validation = _validation(column, lists)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{last}")
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width or max(12, len(column.header) * 2)
        dimension.number_format = column.format  # the cells the user fills in later
        for (cell,) in sheet.iter_rows(
            min_row=2, max_row=len(template.rows) + 1, min_col=index, max_col=index
        ):
            cell.number_format = column.format
    sheet.freeze_panes = template.freeze


def _cell_value(column: TemplateColumn, value: Any) -> Any:
    if column.type == "boolean" and isinstance(value, bool):
        return YES if value else NO
    if column.date_format and isinstance(value, dt.date):
        return value.strftime(column.date_format)
    return value


class _Lists:
    """Allowed values too long (or with commas) for the formula, one column each in LISTS_SHEET."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, ...]] = []

    def range(self, values: tuple[str, ...]) -> str:
        if values not in self.columns:
            self.columns.append(values)
        letter = get_column_letter(self.columns.index(values) + 1)
        return f"={LISTS_SHEET}!${letter}$1:${letter}${len(values)}"

    def rows(self) -> list[list[str | None]]:
        height = max(len(values) for values in self.columns)
        return [
            [values[i] if i < len(values) else None for values in self.columns]
            for i in range(height)
        ]


def _list_formula(values: tuple[str, ...], lists: _Lists) -> str:
    inline = ",".join(values)
    if len(inline) + 2 <= _INLINE_LIST and not any("," in v or '"' in v for v in values):
        return f'"{inline}"'
    return lists.range(values)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _validation(column: TemplateColumn, lists: _Lists) -> DataValidation | None:
    if column.allowed_range:
        dv = DataValidation(type="list", formula1=column.allowed_range, allow_blank=True)
    elif column.type == "boolean":
        dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    elif column.allowed:
        dv = DataValidation(
            type="list", formula1=_list_formula(column.allowed, lists), allow_blank=True
        )
    elif column.type in ("integer", "number") and (column.min, column.max) != (None, None):
        kind = "whole" if column.type == "integer" else "decimal"
        if column.min is not None and column.max is not None:
            bounds = {"operator": "between", "formula2": _number(column.max)}
            first = _number(column.min)
        elif column.min is not None:
            bounds, first = {"operator": "greaterThanOrEqual"}, _number(column.min)
        else:
            bounds, first = {"operator": "lessThanOrEqual"}, _number(column.max)
        dv = DataValidation(type=kind, formula1=first, allow_blank=True, **bounds)
    else:
        return None
    dv.error = column.error or text(
        f"{column.title}：取值不符合要求", f"{column.title}: value not allowed"
    )
    dv.showErrorMessage = True
    return dv


# --- the instructions sheet (说明) --------------------------------------------------------------


def _write_instructions(
    sheet: Worksheet, sheets: Sequence[TemplateSheet], notes: Sequence[Sequence[Any]]
) -> None:
    for line in notes:
        append_row(sheet, list(line))
    if notes:
        append_row(sheet, [])
    append_row(
        sheet,
        [
            text("工作表", "sheet"),
            text("列名", "column"),
            text("类型", "type"),
            text("是否必填", "required"),
            text("可选值", "allowed values"),
            text("取值范围", "range"),
            text("说明", "meaning"),
        ],
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    columns = [column for template in sheets for column in template.columns]
    for template in sheets:
        for column in template.columns:
            append_row(
                sheet,
                [
                    template.title,
                    column.header,
                    _kind(column),
                    text("必填", "required") if column.required else text("选填", "optional"),
                    _allowed(column),
                    _range(column),
                    column.description,
                ],
            )
    append_row(sheet, [])
    append_row(sheet, [text("填写方法", "How to fill in")])
    sheet[sheet.max_row][0].font = Font(bold=True)
    for hint in _hints(columns):
        append_row(sheet, [hint])
    for letter, width in zip("ABCDEFG", (16, 24, 22, 10, 30, 16, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def _kind(column: TemplateColumn) -> str:
    if column.percent:
        return text("百分比（如 12.5%）", "a percentage (e.g. 12.5%)")
    if column.type == "date":
        shape = column.date_format or "%Y-%m-%d"
        example = dt.date(2019, 1, 5).strftime(shape)
        return text(f"日期（格式 {shape}，如 {example}）", f"a date ({shape}, e.g. {example})")
    names = {
        "text": ("文本", "text"),
        "integer": ("整数", "a whole number"),
        "number": ("数值", "a number"),
        "boolean": ("是/否", "yes/no (是/否)"),
    }
    return text(*names[column.type])


def _allowed(column: TemplateColumn) -> str:
    if column.allowed_range:
        return text("从下拉列表选择", "pick from the drop-down")
    if column.type == "boolean":
        return text(f"{YES}、{NO}", f"{YES} (yes), {NO} (no)")
    return text("、".join(column.allowed), ", ".join(column.allowed))


def _range(column: TemplateColumn) -> str:
    def shown(value: float) -> str:
        return f"{value * 100:g}%" if column.percent else f"{value:g}"

    if column.min is not None and column.max is not None:
        return f"{shown(column.min)} ～ {shown(column.max)}"
    if column.min is not None:
        return f"≥ {shown(column.min)}"
    if column.max is not None:
        return f"≤ {shown(column.max)}"
    return ""


def _hints(columns: Sequence[TemplateColumn]) -> list[str]:
    hints = [
        text(
            "第 1 行是列名，请勿修改或删除；从第 2 行起每行填写一条记录。",
            "Row 1 names the columns: do not change them. From row 2 on, one record per row.",
        )
    ]
    if any(c.allowed or c.allowed_range or c.type == "boolean" for c in columns):
        hints.append(
            text(
                f"带下拉列表的列请从列表中选择；是/否 列填“{YES}”或“{NO}”。",
                f"Columns with a drop-down: pick from the list; yes/no columns take {YES} (yes) "
                f"or {NO} (no).",
            )
        )
    if any(c.percent for c in columns):
        hints.append(
            text(
                "百分比列直接输入百分数，如 12.5%（保存为 0.125）。",
                "Percent columns: type the percentage, e.g. 12.5% (kept as 0.125).",
            )
        )
    if any(c.type == "date" for c in columns):
        hints.append(
            text(
                "日期列按“类型”一栏所示的格式填写。",
                "Dates: in the format the type column shows.",
            )
        )
    if any(c.required for c in columns):
        hints.append(
            text(
                "必填列不能留空；选填列没有数据时留空，不要填 0。",
                "Required columns must not be empty; leave an optional value empty when there "
                "is none (not 0).",
            )
        )
    return hints


# --- a source schema as a template -------------------------------------------------------------


def schema_sheet(
    schema: SourceSchema,
    rows: Sequence[tuple[Any, ...]] = (),
    units: Sequence[str] = (),
    checked_rows: int | None = None,
) -> TemplateSheet:
    """The sheet of a source schema: headers in the user's language; ``units``, if given, are
    the codes the unit column's drop-down offers."""
    link = schema.unit.column if schema.unit is not None else None
    columns = tuple(
        _schema_column(schema, name, column, tuple(units) if name == link else ())
        for name, column in schema.columns.items()
    )
    # named as a data directory's workbook finds a source's sheet: by its Chinese label or its id
    title = text(schema.label or schema.source, schema.source)
    return TemplateSheet(title, columns, tuple(rows), checked_rows)


def _schema_column(
    schema: SourceSchema, name: str, column: Column, units: tuple[str, ...]
) -> TemplateColumn:
    header = text(column.label or name, column.label_en or column.label or name)
    number_format = None
    if column.unit_of_measure == "%":
        number_format = PERCENT_FORMAT
    elif column.type == "date" and column.format:
        number_format = "@"  # Excel would turn 2019/01/05 into a date and the file into ISO
    return TemplateColumn(
        id=name,
        header=header,
        type=column.type,
        allowed=units or tuple(column.allowed or ()),
        min=column.min,
        max=column.max,
        number_format=number_format,
        date_format=column.format,
        required=column.required,
        description=_meaning(schema, name, column),
    )


def _meaning(schema: SourceSchema, name: str, column: Column) -> str:
    other = text(column.label_en or "", column.label or "")
    parts = [text(f"字段 {name}", f"field {name}") + (f"（{other}）" if other else "")]
    link = schema.unit
    if link is not None and link.column == name:
        which = [*(link.kinds or []), *(link.levels or [])]
        parts.append(
            text(
                f"每行所属考核对象的代码（units.csv 中的 unit{'；' + '、'.join(which) if which else ''}）",
                f"the code of the unit the row belongs to (unit in units.csv"
                f"{'; ' + ', '.join(which) if which else ''})",
            )
        )
        if schema.one_row_per_unit:
            parts.append(text("每个考核对象（及考核期）一行", "one row per unit (and period)"))
    if column.check == "resident_id":
        parts.append(
            text(
                "18 位居民身份证号码，校验位须正确",
                "an 18-character resident ID number with a valid check digit",
            )
        )
    if column.pattern:
        parts.append(
            text(f"须符合正则表达式 {column.pattern}", f"matches the pattern {column.pattern}")
        )
    if column.references:
        parts.append(
            text(
                f"须为本表 {column.references} 列中已有的代码",
                f"a code found in this sheet's column {column.references}",
            )
        )
    if column.aliases:
        parts.append(
            text(
                f"表头也可写作：{'、'.join(column.aliases)}",
                f"also read under: {', '.join(column.aliases)}",
            )
        )
    if column.optional:
        parts.append(text("整列可省略", "the whole column may be left out"))
    return text("；", "; ").join(parts)
