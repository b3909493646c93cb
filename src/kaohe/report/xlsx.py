"""The report as an Excel workbook: summary, ranking, indicators, findings, robustness.

Formatted for people who keep working in Excel: frozen header rows, filters, number formats,
Chinese (or English) headers, column widths that fit.
"""

from __future__ import annotations

from pathlib import Path

from ..data.cell_safety import write_cell
from ..formatting import XLSX_PERCENT, is_percentage_points, is_rate
from ..run.outputs import reproducible_workbook
from .data import IndicatorRow, ReportData


def write_xlsx(data: ReportData, path: Path) -> None:
    w = data.words
    book = reproducible_workbook(path)  # the same report of the same run: the same bytes
    header = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    title = book.add_format({"bold": True, "font_size": 14})
    formats = {
        "text": book.add_format({"valign": "top", "text_wrap": True}),
        "int": book.add_format({"num_format": "0"}),
        "score": book.add_format({"num_format": "0.00"}),
        "decimal": book.add_format({"num_format": "0.0000"}),
        "percent": book.add_format({"num_format": XLSX_PERCENT}),  # a rate: 0.015 shows 1.50%
        "pct": book.add_format({"num_format": "0.0%"}),
        "signed": book.add_format({"num_format": "+0;-0;0"}),
        "signed2": book.add_format({"num_format": "+0.00;-0.00;0.00"}),
    }

    def table(sheet, top: int, columns: list[tuple[str, str, int]], rows: list[list]) -> None:
        for j, (name, kind, width) in enumerate(columns):
            write_cell(sheet, top, j, name, header)
            sheet.set_column(j, j, width, formats[kind])
        for i, row in enumerate(rows, start=top + 1):
            for j, value in enumerate(row):
                kind = columns[j][1]
                if isinstance(value, tuple):  # (value, kind): this cell's own format
                    value, kind = value
                if value is None or value == "":
                    continue
                write_cell(sheet, i, j, value, formats[kind])
        sheet.freeze_panes(top + 1, 0)
        if rows:
            sheet.autofilter(top, 0, top + len(rows), len(columns) - 1)

    summary = book.add_worksheet(w("总体情况", "Summary"))
    write_cell(summary, 0, 0, data.title, title)
    facts = [
        (w("考核办法", "Scheme"), f"{data.scheme_id} {data.version}"),
        (w("考核期", "Period"), data.period or ""),
        (w("结果生成", "Run created"), data.created),
        (w("政策依据", "Policy source"), data.policy_source),
    ]
    for i, (key, value) in enumerate(facts, start=1):
        write_cell(summary, i, 0, key, header)
        write_cell(summary, i, 1, value)
    top = len(facts) + 2
    write_cell(summary, top, 0, w("等次", "Grade"), header)
    write_cell(summary, top, 1, w("数量", "Units"), header)
    for i, (grade, count) in enumerate(data.distribution, start=top + 1):
        write_cell(summary, i, 0, grade)
        write_cell(summary, i, 1, count, formats["int"])
    top += len(data.distribution) + 2
    write_cell(summary, top, 0, w("维度", "Dimension"), header)
    write_cell(summary, top, 1, w("平均得分率", "Mean share of points"), header)
    for i, (dimension, share) in enumerate(data.profile, start=top + 1):
        write_cell(summary, i, 0, dimension.label)
        if share is not None:
            write_cell(summary, i, 1, share, formats["pct"])
    summary.set_column(0, 0, 22)
    summary.set_column(1, 1, 60)

    ranking = book.add_worksheet(w("排名", "Ranking"))
    columns = [
        (w("名次", "Rank"), "int", 7),
        (w("代码", "Code"), "text", 10),
        (w("名称", "Name"), "text", 18),
        (w("得分", "Score"), "score", 9),
        (w("等次", "Grade"), "text", 8),
        (w("数据完整度", "Completeness"), "pct", 9),
    ]
    columns += [(d.label, "score", 11) for d in data.dimensions]
    if data.sensitivity:
        columns += [
            (w("排名中位数", "Median rank"), "int", 9),
            (w("排名区间下限(5%)", "Rank p05"), "int", 9),
            (w("排名区间上限(95%)", "Rank p95"), "int", 9),
            (w("原等次概率", "P(grade)"), "pct", 9),
            (w("等次不稳", "Unstable"), "text", 8),
        ]
    if data.previous_period:
        columns += [
            (w("上年名次", "Last rank"), "int", 8),
            (w("名次变化", "Rank change"), "signed", 8),
            (w("得分变化", "Score change"), "signed2", 9),
            (w("上年等次", "Last grade"), "text", 8),
        ]
    columns.append((w("结果应用", "Outcomes"), "text", 40))
    rows = []
    for c in data.cards:
        row = [
            c.rank,
            c.unit,
            c.name,
            c.score,
            c.grade_label,
            c.completeness,
            *[p for _, p in c.dimensions],
        ]
        if data.sensitivity:
            s = c.sensitivity or {}
            row += [
                s.get("median_rank"),
                s.get("rank_low"),
                s.get("rank_high"),
                s.get("nominal_probability"),
                w("是", "yes") if s.get("unstable") else "",
            ]
        if data.previous_period:
            ch = c.change or {}
            row += [ch.get("rank"), ch.get("rank_delta"), ch.get("score_delta"), ch.get("grade")]
        row.append("; ".join(o.label for o in c.outcomes))
        rows.append(row)
    table(ranking, 0, columns, rows)
    ranking.freeze_panes(1, 3)

    indicators = book.add_worksheet(w("指标", "Indicators"))
    table(
        indicators,
        0,
        [
            (w("代码", "Code"), "text", 10),
            (w("名称", "Name"), "text", 16),
            (w("指标", "Indicator"), "text", 28),
            (w("值", "Value"), "decimal", 12),
            (w("目标", "Target"), "decimal", 10),
            (w("得分", "Points"), "score", 9),
            (w("满分", "Max"), "score", 8),
            (w("单项名次", "Rank"), "int", 8),
            (w("计量单位", "Unit of measure"), "text", 10),
        ],
        [
            [
                c.unit,
                c.name,
                i.label,
                _valued(i, i.value),
                _valued(i, i.target),
                i.points,
                i.max_points,
                i.rank,
                i.unit_of_measure or "",
            ]
            for c in data.cards
            for i in c.indicators
        ],
    )

    findings = book.add_worksheet(w("问题与结果应用", "Findings and outcomes"))
    table(
        findings,
        0,
        [
            (w("代码", "Code"), "text", 10),
            (w("名称", "Name"), "text", 16),
            (w("类别", "Kind"), "text", 10),
            (w("内容", "What"), "text", 50),
            (w("整改期限", "Deadline"), "text", 12),
        ],
        [[c.unit, c.name, w("问题", "finding"), f, None] for c in data.cards for f in c.findings]
        + [
            [c.unit, c.name, w("结果应用", "outcome"), f"{o.label} {o.detail}".strip(), o.deadline]
            for c in data.cards
            for o in c.outcomes
        ],
    )

    if data.trend:
        trend = data.trend
        national = book.add_worksheet(w("历年概况", "Years"))
        grades = list(dict.fromkeys(g for y in trend.national for g, _ in y.grades))
        table(
            national,
            0,
            [
                (w("考核期", "Period"), "text", 10),
                (w("考核办法", "Scheme"), "text", 24),
                (w("考核对象数", "Units"), "int", 9),
                (w("得分中位数", "Median score"), "score", 10),
                *[(data.grade_labels.get(g, g), "int", 8) for g in grades],
                (w("说明", "Note"), "text", 40),
            ],
            [
                [
                    y.period,
                    y.scheme_id,
                    y.units,
                    y.median_score,
                    *[dict(y.grades).get(g) for g in grades],
                    w(
                        f"考核办法变更（{trend.national[i - 1].scheme_id} → {y.scheme_id}），"
                        "前后不可比",
                        f"scheme changed ({trend.national[i - 1].scheme_id} → {y.scheme_id}): "
                        "not comparable with the years before",
                    )
                    if trend.changed_before(i)
                    else "",
                ]
                for i, y in enumerate(trend.national)
            ],
        )
        units = book.add_worksheet(w("历年趋势", "Trend"))
        table(
            units,
            0,
            [
                (w("代码", "Code"), "text", 10),
                (w("名称", "Name"), "text", 16),
                (w("考核期", "Period"), "text", 9),
                (w("考核办法", "Scheme"), "text", 22),
                (w("得分", "Score"), "score", 9),
                (w("等次", "Grade"), "text", 8),
                (w("名次", "Rank"), "int", 7),
                (w("得分变化", "Score change"), "signed2", 9),
                (w("等次变化", "Grade change"), "text", 9),
            ],
            [
                [
                    c.unit,
                    c.name,
                    y.period,
                    y.scheme_id,
                    y.score,
                    data.grade_labels.get(y.grade, y.grade) if y.grade else None,
                    y.rank,
                    y.score_change,
                    y.grade_change,
                ]
                for c in data.cards
                for y in trend.units.get(c.unit, [])
            ],
        )

    if data.sensitivity:
        robustness = book.add_worksheet(w("稳健性", "Robustness"))
        table(
            robustness,
            0,
            [
                (w("不确定输入", "Uncertain input"), "text", 36),
                (w("一阶指数", "First order"), "decimal", 12),
                (w("总效应指数", "Total effect"), "decimal", 12),
            ],
            [[i["label"], i["first"], i["total"]] for i in data.sensitivity["inputs"]],
        )
    book.close()


def _valued(indicator: IndicatorRow, value: float | None) -> tuple[float | None, str]:
    """An indicator's value or target with its format: a rate (unit %) as a percentage; a
    difference of rates in percentage points too (Excel has no format for points: 0.0231 shows
    2.31%, beside the unit 百分点)."""
    unit = indicator.unit_of_measure
    return value, "percent" if is_rate(unit) or is_percentage_points(unit) else "decimal"
