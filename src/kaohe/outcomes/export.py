"""Views of the ledger for people and for the next run: filtered lists, Excel, a source file.

``rectification_rows`` is what a scheme reads next year as the source ``rectifications``
(columns unit, scheme, status, overdue, days_overdue …), so last cycle's unresolved problems can
be deducted like any other measure. The Excel workbook has Chinese headers and a frozen header
row, one sheet for rectifications and findings and one for issued actions.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from ..data.cell_safety import csv_cell, write_cell
from ..scheme.actions import ACTIONS, describe
from .lifecycle import KINDS, STATUSES, UNRESOLVED, IssuedAction, Item, LedgerState


@dataclass(frozen=True)
class Filters:
    unit: str | None = None
    status: str | None = None
    kind: str | None = None
    scheme: str | None = None
    overdue_only: bool = False

    def keep(self, item: Item, day: dt.date) -> bool:
        return (
            (self.unit is None or item.unit == self.unit)
            and (self.status is None or item.status == self.status)
            and (self.kind is None or item.kind == self.kind)
            and (self.scheme is None or item.scheme == self.scheme)
            and (not self.overdue_only or item.overdue_on(day))
        )

    def keep_action(self, action: IssuedAction) -> bool:
        return (self.unit is None or action.unit == self.unit) and (
            self.scheme is None or action.scheme == self.scheme
        )


def items(state: LedgerState, filters: Filters, day: dt.date) -> list[Item]:
    """Matching items by unit, then deadline, then id."""
    chosen = [item for item in state.items.values() if filters.keep(item, day)]
    return sorted(chosen, key=lambda i: (i.unit, i.deadline, i.id))


def actions(state: LedgerState, filters: Filters) -> list[IssuedAction]:
    chosen = [a for a in state.actions.values() if filters.keep_action(a)]
    return sorted(chosen, key=lambda a: (a.unit, a.scheme, a.id))


# ----------------------------------------------------------------------- the source for next year

SOURCE_COLUMNS = (
    "unit",
    "unit_name",
    "item",
    "kind",
    "scheme",
    "origin_period",
    "title",
    "owner",
    "deadline",
    "status",
    "overdue",
    "days_overdue",
    "escalated",
    "project",  # a project's audit finding: the project, the kind and the amount concerned
    "problem",
    "amount_yuan",
)


def rectification_rows(
    state: LedgerState, day: dt.date, include_closed: bool = False
) -> list[dict[str, Any]]:
    """One row per unresolved item (every item with ``include_closed``), as of ``day``."""
    rows = []
    for item in sorted(state.items.values(), key=lambda i: (i.unit, i.id)):
        if item.status not in UNRESOLVED and not include_closed:
            continue
        rows.append(
            {
                "unit": item.unit,
                "unit_name": item.unit_name,
                "item": item.id,
                "kind": item.kind,
                "scheme": item.scheme,
                "origin_period": item.period,
                "title": item.title,
                "owner": item.owner,
                "deadline": item.deadline.isoformat(),
                "status": item.status,
                "overdue": item.overdue_on(day),
                "days_overdue": item.days_overdue(day),
                "escalated": item.status == "escalated",
                "project": item.project,
                "problem": item.problem,
                "amount_yuan": item.amount_yuan,
            }
        )
    return rows


def write_source(
    state: LedgerState,
    path: Path,
    day: dt.date,
    period: str | None = None,
    include_closed: bool = False,
) -> int:
    """Write the rectifications source (CSV, UTF-8) atomically; with ``period``, add a period
    column so that a run selecting that period reads the rows. Returns the number of rows."""
    rows = rectification_rows(state, day, include_closed)
    columns = [*SOURCE_COLUMNS, *(["period"] if period else [])]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            if period:
                row["period"] = period
            writer.writerow([_cell(row[c]) for c in columns])
    os.replace(partial, path)
    return len(rows)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # titles, owners and names are typed by people: inert when the file is opened in Excel
    return "" if value is None else str(csv_cell(value))


# ----------------------------------------------------------------------- Excel

ITEM_HEADERS = (
    ("unit", "代码"),
    ("unit_name", "考核对象"),
    ("kind", "类别"),
    ("title", "问题或整改事项"),
    ("scheme", "考核办法"),
    ("period", "考核年度"),
    ("owner", "责任单位"),
    ("deadline", "整改期限"),
    ("status", "状态"),
    ("overdue_days", "逾期天数"),
    ("evidence", "佐证材料"),
    ("escalated_to", "升级处理"),
    ("last", "最近进展"),
    ("id", "编号"),
    ("project", "项目编号"),
    ("amount_yuan", "涉及金额（元）"),
)
ACTION_HEADERS = (
    ("unit", "代码"),
    ("unit_name", "考核对象"),
    ("action", "结果应用"),
    ("detail", "内容"),
    ("amount_yuan", "金额（元）"),
    ("grade", "等次"),
    ("scheme", "考核办法"),
    ("period", "考核年度"),
    ("at", "登记时间"),
    ("id", "编号"),
)


def write_xlsx(state: LedgerState, path: Path, filters: Filters, day: dt.date) -> tuple[int, int]:
    """The workbook of matching items and actions; returns (items, actions) written."""
    chosen = items(state, filters, day)
    issued = actions(state, filters)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    book = xlsxwriter.Workbook(str(partial))
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0"})
    late = book.add_format({"font_color": "#C00000"})

    sheet = book.add_worksheet("整改事项")
    widths = {"title": 48, "evidence": 30, "last": 24, "unit_name": 18, "owner": 18}
    for j, (key, label) in enumerate(ITEM_HEADERS):
        write_cell(sheet, 0, j, label, header)
        sheet.set_column(j, j, widths.get(key, 12))
    for i, item in enumerate(chosen, start=1):
        last = item.history[-1]
        values = {
            "unit": item.unit,
            "unit_name": item.unit_name,
            "kind": KINDS[item.kind][0],
            "title": item.title,
            "scheme": item.scheme,
            "period": item.period,
            "owner": item.owner,
            "status": STATUSES[item.status][0],
            "overdue_days": item.days_overdue(day) or None,
            "evidence": "；".join(item.evidence) or None,
            "escalated_to": item.escalated_to,
            "last": f"{last.at[:10]} {last.kind}",
            "id": item.id,
            "project": item.project,
            "amount_yuan": item.amount_yuan,
        }
        for j, (key, _) in enumerate(ITEM_HEADERS):
            if key == "deadline":
                sheet.write_datetime(i, j, dt.datetime.combine(item.deadline, dt.time()), date)
            elif values[key] is not None:
                fmt = {"overdue_days": late, "amount_yuan": money}.get(key)
                write_cell(sheet, i, j, values[key], fmt)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(chosen), 1), len(ITEM_HEADERS) - 1)

    sheet = book.add_worksheet("结果应用")
    for j, (key, label) in enumerate(ACTION_HEADERS):
        write_cell(sheet, 0, j, label, header)
        sheet.set_column(j, j, 36 if key == "detail" else 14)
    for i, action in enumerate(issued, start=1):
        params = {k: v for k, v in action.params.items() if k != "amount_yuan"}
        values = {
            "unit": action.unit,
            "unit_name": action.unit_name,
            "action": ACTIONS[action.action].zh if action.action in ACTIONS else action.action,
            "detail": describe(action.action, params) if action.action in ACTIONS else None,
            "amount_yuan": action.params.get("amount_yuan"),
            "grade": action.grade,
            "scheme": action.scheme,
            "period": action.period,
            "at": action.at[:10],
            "id": action.id,
        }
        for j, (key, _) in enumerate(ACTION_HEADERS):
            if values[key] is not None:
                write_cell(sheet, i, j, values[key], money if key == "amount_yuan" else None)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(issued), 1), len(ACTION_HEADERS) - 1)
    book.close()
    os.replace(partial, path)
    return len(chosen), len(issued)


# ----------------------------------------------------------------------- any table for people


def write_rows(
    path: Path,
    headers: list[str],
    rows: list[list[Any]],
    sheet: str,
    widths: dict[int, int] | None = None,
) -> None:
    """A plain table as .xlsx (frozen, filtered header row; worksheet ``sheet``) or, for any
    other suffix, CSV in UTF-8 with a byte-order mark (so that Excel reads the Chinese); written
    atomically, every cell from people made inert."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    if path.suffix.lower() == ".xlsx":
        book = xlsxwriter.Workbook(str(partial))
        header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        )
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        page = book.add_worksheet(sheet)
        for j, label in enumerate(headers):
            write_cell(page, 0, j, label, header)
            page.set_column(j, j, (widths or {}).get(j, 14))
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is not None:
                    write_cell(page, i, j, value, wrap if isinstance(value, str) else None)
        page.freeze_panes(1, 0)
        page.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        book.close()
    else:
        with partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(headers)
            for row in rows:
                writer.writerow([_cell(value) for value in row])
    os.replace(partial, path)
