"""A pivot (``run.pivot``) as the files people take away: CSV, JSON and an Excel workbook.

The CSV has one row per unit and machine column names (``status.2020``, ``grade.2020``,
``score.2020``, then ``<indicator>.<period>`` for each indicator and period), and a last row
``total``: each indicator's total rebuilt from its parts, the score's median (never a sum or a
mean of points; ``run.pivot``). The workbook has the same table with Chinese (or English)
headers, indicators' labels over their periods, rates formatted as percentages, the totals row,
and a sheet explaining each total: how it was computed, from which sums, which units were left
out and why a total is empty. Cells from user data go through ``data.cell_safety``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

import xlsxwriter

from ..data.cell_safety import csv_cell, write_cell
from ..formatting import XLSX_PERCENT, is_rate
from ..i18n import language, text
from .outputs import XLSX_DATE
from .pivot import Figure, Pivot, Total, level_label

TOTAL_ROW = "total"
GRADE, SCORE = "grade", "score"  # the column groups before the indicators


def _group_title(kind: str) -> str:
    return text("等次", "Grade") if kind == GRADE else text("得分", "Score")


def figure_label(figure: Figure) -> str:
    return figure.label_en if language() == "en" else figure.label


def method_text(total: Total) -> str:
    return {
        "recomputed": text("由各单位基础数据之和重算", "recomputed from the units' summed parts"),
        "median": text("中位数", "median"),
    }.get(total.method, text("留空", "left empty"))


def _cell(value: Any) -> Any:
    return "" if value is None else csv_cell(value)


def pivot_csv(table: Pivot) -> str:
    periods = [p.period for p in table.periods]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "unit",
            "name",
            "level",
            "peer_group",
            *(f"{part}.{p}" for p in periods for part in ("status", "grade", "score")),
            *(f"{f.id}.{p}" for f in table.figures for p in periods),
        ]
    )
    for row in table.rows:
        cells = [row.unit, row.name, row.level, row.peer_group]
        for p in periods:
            year = row.periods.get(p)
            cells += [None, None, None] if year is None else [year.status, year.grade, year.score]
        for figure in table.figures:
            for p in periods:
                year = row.periods.get(p)
                cells.append(None if year is None else year.values.get(figure.id))
        writer.writerow([_cell(c) for c in cells])
    if table.rows:
        cells = [
            TOTAL_ROW,
            text(
                "合计（指标由基础数据之和重算；得分为中位数）",
                "total (indicators recomputed from summed parts; the score is the median)",
            ),
            "",
            "",
        ]
        for p in periods:
            cells += [None, None, table.totals[p].score.value]
        for figure in table.figures:
            cells += [table.totals[p].indicators[figure.id].value for p in periods]
        writer.writerow([_cell(c) for c in cells])
    return buffer.getvalue()


def pivot_json(table: Pivot) -> dict[str, Any]:
    return {
        "periods": [asdict(p) for p in table.periods],
        "indicators": [asdict(f) for f in table.figures],
        "rows": [asdict(r) for r in table.rows],
        "totals": {p: asdict(t) for p, t in table.totals.items()},
    }


def pivot_xlsx(table: Pivot) -> bytes:
    """The workbook: the pivot (sheet 透视表), each total explained (合计说明), and notes."""
    buffer = io.BytesIO()
    # in memory, with a fixed document date: the same pivot gives the same bytes
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": XLSX_DATE})
    header = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"}
    )
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    number = book.add_format({"num_format": "0.00"})
    percent = book.add_format({"num_format": XLSX_PERCENT})
    periods = [p.period for p in table.periods]
    sheet = book.add_worksheet(text("透视表", "Pivot"))
    fixed = [
        text("单位代码", "Unit"),
        text("单位名称", "Name"),
        text("层级", "Level"),
        text("分组", "Peer group"),
    ]
    for j, title in enumerate(fixed):
        sheet.merge_range(0, j, 1, j, title, header)
    groups: list[tuple[str, Figure | None]] = [(GRADE, None), (SCORE, None)]
    groups += [(f.id, f) for f in table.figures]
    column = len(fixed)
    for kind, figure in groups:
        title = figure_label(figure) if figure else _group_title(kind)
        if len(periods) > 1:
            sheet.merge_range(0, column, 0, column + len(periods) - 1, title, header)
        elif periods:
            write_cell(sheet, 0, column, title, header)
        for k, p in enumerate(periods):
            write_cell(sheet, 1, column + k, p, header)
        column += len(periods)
    for i, row in enumerate(table.rows, start=2):
        for j, value in enumerate([row.unit, row.name, level_label(row.level), row.peer_group]):
            write_cell(sheet, i, j, value)
        column = len(fixed)
        for kind, figure in groups:
            for k, p in enumerate(periods):
                year = row.periods.get(p)
                if year is None:
                    continue
                if kind == GRADE:
                    shown = year.grade if year.status == "graded" else _status(year.status)
                    if shown:
                        write_cell(sheet, i, column + k, shown)
                    continue
                value = year.score if figure is None else year.values.get(figure.id)
                if value is not None:
                    fmt = percent if figure and is_rate(figure.unit_of_measure) else number
                    sheet.write_number(i, column + k, value, fmt)
            column += len(periods)
    last = len(table.rows) + 2
    if table.rows:
        write_cell(sheet, last, 0, text("合计", "Total"), bold)
        write_cell(sheet, last, 1, text("见“合计说明”", "see 'Totals'"), bold)
        column = len(fixed)
        for kind, figure in groups:
            for k, p in enumerate(periods):
                totals = table.totals[p]
                if kind == GRADE:
                    counts = "，".join(f"{g} {n}" for g, n in totals.grades if n)
                    write_cell(sheet, last, column + k, counts, bold)
                    continue
                total = totals.score if figure is None else totals.indicators[figure.id]
                if total.value is not None:
                    fmt = percent if figure and is_rate(figure.unit_of_measure) else number
                    sheet.write_number(last, column + k, total.value, fmt)
            column += len(periods)
    sheet.freeze_panes(2, 2)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, column, 11)
    _explain_totals(book, header, table)
    _notes(book, header, table)
    book.close()
    return buffer.getvalue()


def _status(status: str) -> str:
    return {
        "withheld": text("不予评定", "withheld"),
        "failed": text("计算失败", "failed"),
    }.get(status, status)


def _explain_totals(book: Any, header: Any, table: Pivot) -> None:
    sheet = book.add_worksheet(text("合计说明", "Totals"))
    titles = [
        text("考核期", "Period"),
        text("项目", "Figure"),
        text("合计", "Total"),
        text("计算方法", "Method"),
        text("计入单位数", "Units counted"),
        text("所列单位数", "Units shown"),
        text("基础数据之和", "Summed parts"),
        text("说明", "Note"),
    ]
    for j, title in enumerate(titles):
        write_cell(sheet, 0, j, title, header)
    i = 1
    for p in table.periods:
        totals = table.totals[p.period]
        items = [(text("得分", "Score"), totals.score)]
        items += [(figure_label(f), totals.indicators[f.id]) for f in table.figures]
        for title, total in items:
            parts = "；".join(f"{m} = {v:g}" for m, v in total.measures.items())
            for j, value in enumerate(
                [
                    p.period,
                    title,
                    total.value,
                    method_text(total),
                    total.count,
                    total.units,
                    parts,
                    total.reason,
                ]
            ):
                if value is not None and value != "":
                    write_cell(sheet, i, j, value)
            i += 1
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 5, 12)
    sheet.set_column(6, 7, 60)


def _notes(book: Any, header: Any, table: Pivot) -> None:
    sheet = book.add_worksheet(text("说明", "Notes"))
    facts = [
        (
            text("考核办法", "Schemes"),
            "；".join(f"{p.period}：{p.scheme_title}（{p.scheme_id}）" for p in table.periods),
        ),
        (
            text("指标合计", "Indicator totals"),
            text(
                "按指标公式用所列单位的基础数据之和重算（比率为分子之和 ÷ 分母之和），从不取各单位"
                "比率的平均；基础数据不可相加时留空并说明原因",
                "the indicator's formula on the summed parts of the units shown (a ratio is the "
                "sum of numerators over the sum of denominators), never the mean of the units' "
                "ratios; left empty, with the reason, when a part does not add up",
            ),
        ),
        (
            text("得分合计", "Score total"),
            text(
                "有得分单位的中位数；得分不相加，也不取平均",
                "the median of the units' scores; scores are neither added nor averaged",
            ),
        ),
        (
            text("比率", "Rates"),
            text(
                "计量单位为 % 的指标以百分比显示，单元格中的值为比率",
                "indicators measured in % are shown as percentages; the cell holds the ratio",
            ),
        ),
    ]
    for i, (key, value) in enumerate(facts):
        write_cell(sheet, i, 0, key, header)
        write_cell(sheet, i, 1, value)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 90)
