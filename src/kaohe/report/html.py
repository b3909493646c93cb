"""The report as HTML: one self-contained file (ECharts inlined) or the static page the PDF prints.

The same template serves both: ``interactive`` pages draw their charts with the vendored ECharts
(no CDN: reports are read offline and on closed government networks); the print page embeds the
SVG charts of ``svg.py`` instead, since WeasyPrint runs no JavaScript.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..formatting import percent, rate_text
from . import svg
from .data import ReportData


def _number(value: Any, digits: int = 2) -> str:
    if value is None or value != value:
        return "—"
    return f"{float(value):,.{digits}f}"


def _probability(value: Any) -> str:
    """A probability or share of draws, in whole percent: 0.85 → "85 %"."""
    return percent(value, 0)


def _rate(value: Any) -> str:
    """A rate (a ratio: an estimate or an interval bound) as a percentage: 0.015 → "1.50 %"."""
    return percent(value)


def _measure(value: Any, unit: str | None, lang: str | None = None) -> str:
    """A value with its unit of measure: rates (unit %) as percentages, "1.50 %", whatever their
    size (a growth of 150 % too); other values as the plain number with their unit."""
    shown = rate_text(value, unit, lang=lang)
    if shown is not None:
        return shown
    if value is None or value != value:
        return "—"
    digits = 0 if abs(value) >= 1000 else 2 if abs(value) >= 1 else 4
    return f"{value:,.{digits}f}" + (f" {unit}" if unit else "")


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kaohe.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_number, pct=_probability, rate=_rate, measure=_measure)
    return env


@functools.cache
def echarts_source() -> tuple[str, str]:
    source = (resources.files("kaohe.report") / "static" / "echarts.min.js").read_text("utf-8")
    found = re.search(r'version\s*=\s*"(\d+\.\d+\.\d+)"', source)
    return source, found.group(1) if found else "?"


def _radar_shares(card) -> tuple[list[str], list[float | None]]:
    labels = [d.label for d, _ in card.dimensions]
    shares = [
        None if points is None or not d.max_points else points / d.max_points
        for d, points in card.dimensions
    ]
    return labels, shares


def _chart_options(data: ReportData) -> dict[str, Any]:
    w = data.words
    options: dict[str, Any] = {
        "chart-grades": {
            "animation": False,
            "grid": {"left": 60, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "category", "data": [g for g, _ in data.distribution]},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [
                {
                    "type": "bar",
                    "data": [n for _, n in data.distribution],
                    "label": {"show": True, "position": "top"},
                }
            ],
        },
        "chart-profile": {
            "animation": False,
            "grid": {"left": 110, "right": 40, "top": 10, "bottom": 30},
            "xAxis": {"type": "value", "max": 100, "name": "%"},
            "yAxis": {
                "type": "category",
                "inverse": True,
                "data": [d.label for d, _ in data.profile],
            },
            "series": [
                {
                    "type": "bar",
                    "name": w("平均得分率", "mean share of points"),
                    "data": [None if s is None else round(100 * s, 1) for _, s in data.profile],
                    "label": {"show": True, "position": "right"},
                }
            ],
        },
    }
    for i, card in enumerate(data.cards):
        labels, shares = _radar_shares(card)
        options[f"radar-{i}"] = {
            "animation": False,
            "radar": {
                "indicator": [{"name": label, "max": 100} for label in labels],
                "radius": "62%",
            },
            "series": [
                {
                    "type": "radar",
                    "areaStyle": {"opacity": 0.25},
                    "data": [
                        {
                            "name": w("得分率 %", "share of points %"),
                            "value": [None if s is None else round(100 * s, 1) for s in shares],
                        }
                    ],
                }
            ],
        }
    return options


def _static_charts(data: ReportData) -> dict[str, Any]:
    return {
        "grades": svg.bars(
            [g for g, _ in data.distribution],
            [n for _, n in data.distribution],
            unit="n",
            width=320,
        ),
        "profile": svg.bars(
            [d.label for d, _ in data.profile],
            [None if s is None else 100 * s for _, s in data.profile],
            100,
            "%",
            width=360,
        ),
        "radars": [svg.radar(*_radar_shares(card)) for card in data.cards],
    }


def _trend_chart(data: ReportData) -> str | None:
    """The median score by period, as SVG in both pages (one small chart needs no ECharts)."""
    trend = data.trend
    if trend is None:
        return None
    national = trend.national
    return svg.line(
        [y.period for y in national],
        [y.median_score for y in national],
        tuple(i for i in range(len(national)) if trend.changed_before(i)),
    )


def render_html(data: ReportData, interactive: bool = True) -> str:
    template = environment().get_template("report.html.j2")
    context: dict[str, Any] = {
        "data": data,
        "interactive": interactive,
        "trend_chart": _trend_chart(data),
    }
    if interactive:
        source, version = echarts_source()
        context.update(echarts=source, echarts_version=version, chart_options=_chart_options(data))
    else:
        context["charts"] = _static_charts(data)
    return template.render(**context)
