"""The explanation (explain.json): for each unit, every number that led to its grade."""

from __future__ import annotations

from typing import Any

from ..i18n import in_language
from ..scheme.actions import ACTIONS
from ..scoring import ScoringState
from ..scoring.status import status_reasons
from .results_table import clean


def explain_unit(state: ScoringState, i: int) -> dict[str, Any]:
    scheme = state.scheme
    model = scheme.model
    normalize_log = state.log.get("normalize", {})
    indicators = {}
    for name, indicator in model.indicators.items():
        entry = {
            "label": scheme.label(name),
            "value": clean(state.values[name][i]),
            "unit_of_measure": indicator.unit_of_measure,
            "direction": indicator.direction,
            "rule": normalize_log.get(name, {}),
            "normalized": clean(state.normalized[name][i]),
        }
        if name in state.targets:
            entry["target"] = clean(state.targets[name][i])
        if name in state.intervals:
            low, high = state.intervals[name]
            entry["interval"] = {
                "low": clean(low[i]),
                "high": clean(high[i]),
                "level": indicator.interval.level,
            }
        if name in state.points:
            entry["points"] = clean(state.points[name][i])
        indicators[name] = entry
    nodes = {}
    for node in scheme.tree.walk():
        if node.indicator:
            indicators[node.id]["max_points"] = clean(state.max_points[node.id][i])
            indicators[node.id]["nominal_points"] = clean(node.points)
            continue
        nodes[node.id] = {
            "label": node.label,
            "aggregate": node.aggregate,
            "missing": node.missing,
            "reweight_at_most": node.reweight_at_most if node.missing == "reweight" else None,
            "value": clean(state.node_values[node.id][i]),
            "points": clean(state.points[node.id][i]),
            "max_points": clean(state.max_points[node.id][i]),
            "nominal_points": clean(node.points),
            "children": [child.id for child in node.children],
        }
    adjustments = [
        {
            "id": item.id,
            "label": item.label,
            "kind": item.kind,
            "points": clean(state.adjustments[item.id][i]),
        }
        for item in model.adjustments.items
        if state.adjustments[item.id][i] != 0
    ]
    vetoes = [
        {
            "id": veto.id,
            "reason": veto.reason,
            "grade": veto.grade,
            "grade_at_most": veto.grade_at_most,
        }
        for veto, hit in zip(model.vetoes, state.veto_hits, strict=True)
        if hit[i]
    ]
    undetermined = [
        {"id": veto.id, "reason": veto.reason, "when_missing": veto.when_missing}
        for veto, unknown in zip(model.vetoes, state.veto_undetermined, strict=True)
        if unknown[i]
    ]
    peer = model.grading.peer_group
    return {
        "name": state.names[i],
        "status": state.values["status"][i],
        "completeness": clean(state.values["completeness"][i]),
        "status_reasons": status_reasons(state, i),
        # both languages, for pages and reports read in either (the line above: the run's)
        "status_reasons_zh": [in_language(r, "zh") for r in status_reasons(state, i)],
        "status_reasons_en": [in_language(r, "en") for r in status_reasons(state, i)],
        "score": clean(state.values["score"][i]),
        "base_score": clean(state.values["base_score"][i]),
        "bonus": clean(state.values["bonus"][i]),
        "deduction": clean(state.values["deduction"][i]),
        "grade": state.values["grade"][i],
        "grade_rule": state.grade_rules[i],
        "rank": _whole(state.values["rank"][i]),
        "peer_group": state.values[peer][i] if peer else None,
        "group_rank": _whole(state.values["group_rank"][i]),
        "attributes": {name: clean(state.values[name][i]) for name in model.unit_attributes},
        "measures": {name: clean(state.values[name][i]) for name in model.measures},
        "indicators": indicators,
        "nodes": nodes,
        "flags": [name for name in model.flags if state.values[name][i] is True],
        "flags_unknown": [name for name in model.flags if state.values[name][i] is None],
        "adjustments": adjustments,
        "vetoes": vetoes,
        "vetoes_undetermined": undetermined,
        "notes": state.notes[i],
        "outcomes": [
            {**action, "label": ACTIONS[action["action"]].zh} for action in state.actions[i]
        ],
    }


def _whole(rank: Any) -> int | None:
    """A rank as a whole number, as in results.csv (ranks are kept as floats while scoring)."""
    value = clean(rank)
    return None if value is None else int(value)


def explain(state: ScoringState) -> dict[str, Any]:
    model = state.scheme.model
    return {
        "scheme": {"id": model.id, "title": model.title, "version": model.version},
        "grades": model.grading.grades,
        "measure_units": {
            name: measure.unit_of_measure
            for name, measure in model.measures.items()
            if measure.unit_of_measure
        },
        "steps": state.log,
        "units": {unit: explain_unit(state, i) for i, unit in enumerate(state.units)},
    }
