"""What the results pages' charts share (result_charts, result_map, trend_pages): the grade
palette, each grade's name in the user's language, the units with a score, and the indicators in
the order of the run's tree."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..workflow.platform_results import grade_label
from ..workflow.result_views import RankingRow, RunView

# Best grade first: green through amber to red, spread over however many grades a scheme has.
PALETTE = ("#1b7f3b", "#7cb342", "#f2b705", "#e8710a", "#b3261e")


def grade_colors(grades: Sequence[str]) -> dict[str, str]:
    last = len(PALETTE) - 1
    if len(grades) <= 1:
        return {g: PALETTE[0] for g in grades}
    return {g: PALETTE[round(i * last / (len(grades) - 1))] for i, g in enumerate(grades)}


def grade_names(view: RunView, facts: dict[str, Any]) -> dict[str, str]:
    """Each grade's name in legends and tooltips: "poor (较差)" on an English page; the charts'
    data keep the stored grade."""
    return {g: grade_label(facts, g) for g in view.grades}


def scored_rows(rows: Sequence[RankingRow]) -> list[RankingRow]:
    return [r for r in rows if r.graded and r.score is not None]


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


def shown_value(value: Any, unit: str | None) -> float | None:
    """A value as a number for a chart: a rate (unit %) in percent."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return None
    return round(100 * value, 4) if unit == "%" else round(value, 4)


def indicator_meta(indicators: dict[str, dict[str, dict]]) -> dict[str, dict]:
    meta: dict[str, dict] = {}
    for explained in indicators.values():
        for name, info in explained.items():
            meta.setdefault(name, info)
    return meta
