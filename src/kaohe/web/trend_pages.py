"""Screens of the trends (历年变化): the national picture by year (grade counts, median score,
rectification items opened and closed) and one unit across the years (score, grade, rank, the
chosen indicators or dimensions, its rectification items), each with its charts (drawn by
static/trend_charts.js from a JSON block) and a table whose years open that year's score card.

The data comes from ``workflow.trends``, within the user's scope; here it is only put in words of
the user's language and in the shape the charts read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from ..i18n import text
from ..run.history import UnitYear
from ..workflow import trends
from ..workflow.platform_results import policy_term
from ..workflow.result_views import status_label
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor
from .chart_parts import PALETTE, grade_colors
from .rendering import render

router = APIRouter(include_in_schema=False)

CHANGES = {
    "up": ("上升", "up"),
    "down": ("下降", "down"),
    "same": ("持平", "same"),
    "ungraded": ("无法比较（有一年未评定等次）", "not comparable (a year without a grade)"),
}


def change_label(change: str | None) -> str:
    if change is None:
        return "—"
    zh, en = CHANGES.get(change, ("—", "—"))
    return text(zh, en)


def grade_label(grade: str | None, labels_en: dict[str, str]) -> str:
    """A grade in the user's language, "poor (较差)" on an English page (as on the results
    pages: ``platform_results.grade_label``), by the English names its years' runs recorded."""
    if not grade:
        return "—"
    return policy_term(grade, labels_en.get(grade))


def _chart_number(value: float | None, percent: bool) -> float | None:
    if value is None:
        return None
    return round(100 * value, 2) if percent else round(value, 4)


def _rounded(score: float | None) -> float | None:
    """A score on a chart, to two decimals as the tables show it."""
    return None if score is None else round(score, 2)


def _span(periods: list[str]) -> str:
    """The years of one scheme's line: "2016–2020", or the one year."""
    return periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"


def _is_percent(column) -> bool:
    """A share of points, or an indicator measured in per cent, is drawn in per cent."""
    return column.kind == "share" or column.unit_of_measure in ("%", "％")


# --- the national picture ------------------------------------------------------------------------


def _year_name(year: trends.NationalYear, several: set[str]) -> str:
    """The year's name on the chart: its period, with its scheme where a period has several."""
    summary = year.summary
    if summary.period in several:
        return f"{summary.period} · {summary.scheme_title or summary.scheme_id}"
    return summary.period


def _national_grades(years: list[trends.NationalYear]) -> list[dict[str, Any]]:
    """Every grade of the years' schemes, best first as the latest scheme orders them, with its
    label and colour (from the latest scheme that has it)."""
    grades: dict[str, dict[str, Any]] = {}
    for year in reversed(years):
        order = [g for g, _ in year.summary.grades]
        colors = grade_colors(order)
        for grade in order:
            grades.setdefault(
                grade,
                {
                    "grade": grade,
                    "label": grade_label(grade, year.grade_labels_en),
                    "color": colors.get(grade, PALETTE[-1]),
                },
            )
    return list(grades.values())


def national_context(found: trends.NationalTrend) -> dict[str, Any]:
    years = found.years
    periods = [y.summary.period for y in years]
    several = {p for p in periods if periods.count(p) > 1}
    grades = _national_grades(years)
    names = [_year_name(y, several) for y in years]
    rows = [
        {
            "name": name,
            "period": y.summary.period,
            "scheme": y.summary.scheme_title or y.summary.scheme_id,
            "cycle_id": y.cycle_id,
            "units": y.summary.units,
            "graded": y.summary.graded,
            "counts": dict(y.summary.grades),
            "median": y.summary.median_score,
            "items": y.items,
        }
        for name, y in zip(names, years, strict=True)
    ]
    chart = {
        "categories": names,
        "hrefs": [f"/cycles/{y.cycle_id}/results" for y in years],
        "grades": [
            {
                "label": g["label"],
                "color": g["color"],
                "counts": [dict(y.summary.grades).get(g["grade"]) for y in years],
            }
            for g in grades
        ],
        "medians": [_rounded(y.summary.median_score) for y in years],
        "opened": [y.items.opened for y in years],
        "closed": [y.items.closed for y in years],
        "words": {
            "units": text("单位数", "Units"),
            "median": text("得分中位数", "Median score"),
            "score": text("得分", "Score"),
            "opened": text("当年新增整改事项", "Items opened that year"),
            "closed": text("其中已销号", "Of them closed"),
            "items": text("事项数", "Items"),
        },
    }
    return {
        "rows": rows,
        "grades": grades,
        "chart": chart,
        "scoped": any(y.hidden for y in years),
        "units": found.units,
    }


@router.get("/trends")
def national_page(request: Request, unit: str = "", actor: Actor = Depends(page_actor)):
    if unit.strip():  # the unit picker: its own page (which checks the scope again)
        code = unit.strip().split()[0]
        return RedirectResponse(f"/trends/{quote(code, safe='')}", status_code=303)
    with db(request).read() as session:
        found = trends.national_trend(session, actor)
    return render(request, "trends.html", national_context(found))


# --- a unit across the years ---------------------------------------------------------------------


def _scheme_note(year: UnitYear) -> str:
    if year.scheme_changed_from is None:
        return ""
    return text(
        "考核办法与上一年度不同：得分与等次不与上年比较",
        "another scheme than the year before: score and grade are not compared with it",
    )


def year_row(found: trends.UnitTrend, year: UnitYear) -> dict:
    key = (year.period, year.scheme_id)
    items = year.rectifications
    return {
        "period": year.period,
        "href": f"/cycles/{found.cycles[key]}/results/{found.unit.code}",
        "scheme": year.scheme_title or year.scheme_id,
        "scheme_note": _scheme_note(year),
        "score": year.score,
        "score_change": year.score_change,
        "grade": grade_label(year.grade, found.grade_labels_en.get(key, {})),
        "grade_change": change_label(year.grade_change),
        "rank": year.rank,
        "units": year.units,
        "status": status_label(year.status),
        "withheld": year.status != "graded",
        "values": [year.values.get(c.id) for c in found.history.columns],
        "items": items,
        "closed": trends.closed_count(items),
    }


def unit_chart(found: trends.UnitTrend) -> dict[str, Any]:
    """The unit's score per year, one line per scheme (scores of two schemes are not joined),
    each point in its grade's colour; and each chosen figure's line."""
    history = found.history
    years = history.years
    schemes = list(dict.fromkeys(y.scheme_id for y in years))
    colors = {
        key: grade_colors(grades) for key, grades in found.grades.items()
    }  # each year's palette: its scheme's grade order

    def point(year: UnitYear) -> dict[str, Any]:
        color = colors[(year.period, year.scheme_id)].get(year.grade or "", "#8a94a0")
        return {
            "value": _rounded(year.score),
            "grade": grade_label(
                year.grade, found.grade_labels_en.get((year.period, year.scheme_id), {})
            ),
            "itemStyle": {"color": color},
        }

    return {
        "categories": [y.period for y in years],
        "hrefs": [
            f"/cycles/{found.cycles[(y.period, y.scheme_id)]}/results/{found.unit.code}"
            for y in years
        ],
        "schemes": [
            {
                "name": _span([y.period for y in years if y.scheme_id == s]),
                "points": [point(y) if y.scheme_id == s else None for y in years],
            }
            for s in schemes
        ],
        "figures": [
            {
                "label": trends.column_label(column),
                "percent": _is_percent(column),
                "values": [
                    _chart_number(y.values.get(column.id), _is_percent(column)) for y in years
                ],
            }
            for column in history.columns
        ],
        "opened": [len(y.rectifications) for y in years],
        "closed": [trends.closed_count(y.rectifications) for y in years],
        "words": {
            "score": text("得分", "Score"),
            "grade": text("等次", "Grade"),
            "percent": text("得分率（%）", "Share of points (%)"),
            "opened": text("当年新增整改事项", "Items opened that year"),
            "closed": text("其中已销号", "Of them closed"),
            "items": text("事项数", "Items"),
        },
    }


def figure_heading(column) -> str:
    label = trends.column_label(column)
    if column.kind == "share":
        return text(f"{label}（得分率）", f"{label} (share of points)")
    unit = column.unit_of_measure
    if unit and unit not in ("%", "％"):
        return text(f"{label}（{unit}）", f"{label} ({unit})")
    return label


@router.get("/trends/{unit_code}")
def unit_page(
    request: Request,
    unit_code: str,
    indicator: list[str] = Query([]),
    actor: Actor = Depends(page_actor),
):
    chosen = [name for name in indicator if name]
    with db(request).read() as session:
        found = trends.unit_trend(session, actor, unit_code, chosen)
    context: dict[str, Any] = {
        "unit": found.unit,
        "found": found,
        "figures": [
            {"id": f.id, "label": text(f.label, f.label_en or f.label)} for f in found.figures
        ],
        "chosen": found.chosen,
    }
    if found.history is not None:
        history = found.history
        context.update(
            columns=[
                {"heading": figure_heading(c), "percent": _is_percent(c), "unit": c.unit_of_measure}
                for c in history.columns
            ],
            rows=[year_row(found, y) for y in history.years],
            chart=unit_chart(found),
        )
    return render(request, "unit_trend.html", context)
