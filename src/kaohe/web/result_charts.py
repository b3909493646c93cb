"""The data of the results pages' charts, embedded in each page as ``<script type="application/json">``
and drawn by static/charts.js: the ranking coloured by grade with the grade bands, the score
distribution, the map of provinces (by grade, score, dimension or indicator; for a run of counties,
each province by its counties), and on a score card each indicator's distribution across the
run's units and the unit's peers. The ranking's charts are built for the rows its filters leave.

Everything shown is a label in the user's language; ids only travel as keys (unit codes, the
metric chosen on the map)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..i18n import text
from ..workflow.result_views import RankingRow, RunView
from .chart_parts import (
    PALETTE,
    grade_colors,
    grade_names,
    indicator_meta,
    indicator_order,
    scored_rows,
)
from .rendering import measured, number
from .result_map import map_data


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
    labels, colors = grade_names(view, facts), grade_colors(view.grades)
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
    scored = scored_rows(rows)
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
    scored = scored_rows(rows)
    labels, colors = grade_names(view, facts), grade_colors(view.grades)
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
    graded = {r.unit for r in scored_rows(view.rows)}
    meta = indicator_meta(indicators)
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
    scored = sorted(scored_rows(members), key=lambda r: (-r.score, r.unit))
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
