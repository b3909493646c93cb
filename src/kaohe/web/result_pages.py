"""Screens of the results: the ranking (filtered, or its table alone for HTMX), a unit's score
card with its radar chart, drill-down (total → dimension → indicator → measure), self-evaluation
beside the assessed points and findings with their origin, and the source records behind one
measure."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup

from ..i18n import text
from ..scheme.actions import localized
from ..workflow import findings as finding_ops
from ..workflow import platform_results as result_ops
from ..workflow import records as records_ops
from ..workflow.cycles import get_cycle
from ..workflow.result_views import STATUSES, grade_rule_label, status_label
from ..workflow.roles import Actor, require, require_unit
from ..workflow.unit_lookup import unit_names
from . import language, result_charts, result_map
from .app_state import db, result_views
from .auth import page_actor
from .rendering import render, templates

router = APIRouter(include_in_schema=False)


@router.get("/cycles/{cycle_id}/results")
def results_page(
    request: Request,
    cycle_id: int,
    grade: str = "",
    region: str = "",
    q: str = "",
    status: str = "",
    province: str = "",
    actor: Actor = Depends(page_actor),
):
    """The ranking with its charts, both of the rows the filters leave; for HTMX (a filter
    changed) the table alone, which carries the charts' data for charts.js to redraw."""
    with db(request).read() as session:
        cycle = get_cycle(session, cycle_id)
        run, everything = result_ops.ranking(session, actor, cycle_id, views=result_views(request))
        rows = result_ops.filter_rows(everything, grade, region, q, status)
        if province:  # a run of counties: those of one province (a click on the map)
            rows = [r for r in rows if result_map.province_of(r.unit) == province]
        codes = result_map.run_provinces(everything)
        found = unit_names(session, codes)  # a province missing from the units: by its code
        names = {code: found.get(code, code) for code in codes}
        filters = (grade, region, q, status, province)
        charts = (
            _ranking_charts(request, session, run, rows, cycle_id, filters, names) if run else None
        )
    partial = bool(request.headers.get("hx-request"))  # the table alone, for a filter
    facts = result_ops.scheme_facts(run.manifest) if run else {}
    regions = sorted(
        {r.region for r in everything if r.region}
        | {r.peer_group for r in everything if r.peer_group}
    )
    context = {
        "cycle": cycle,
        "run": run,
        "rows": rows,
        "grade": grade,
        "region": region,
        "q": q,
        "status": status,
        "province": province,
        "statuses": [(s, status_label(s)) for s in STATUSES],
        "regions": regions,
        "provinces": list(names.items()),
        "dimensions": [d for d in (run.tree if run else []) if d.get("top")],
        "preliminary": run.preliminary_label if run else "",
        "charts": charts,
        "filtered": any(filters),
        # a grade is filtered by its stored (Chinese) name and shown in the user's language
        "grade_label": lambda g: result_ops.grade_label(facts, g),
        # "…（2018年度）" already says the period: not "…（2018年度） 2018"
        "period_shown": "" if cycle.period in (cycle.title or "") else cycle.period,
    }
    name = "results_table.html" if partial else "results.html"
    return render(request, name, context)


def _ranking_charts(
    request: Request,
    session,
    run,
    rows,
    cycle_id: int,
    filters: tuple[str, ...],
    provinces: dict[str, str],
) -> dict:
    """The charts (result_charts) of the rows the filters leave. The whole run's are built once
    per run and language; a filtered build is not kept: it is linear in the rows it draws (the
    indicator table it reads is kept), and typed queries would crowd the bounded cache the score
    cards share."""
    views = result_views(request)

    def build() -> dict:
        facts = result_ops.scheme_facts(run.manifest)
        indicators = result_ops.indicator_table(session, run, views)
        return result_charts.ranking_charts(run, rows, facts, indicators, cycle_id, provinces)

    if any(filters):
        return build()
    return views.derived(("ranking-charts", run.key, language.current()), build)


def _drilldown(card: result_ops.ScoreCard) -> list[dict]:
    """total → dimension → indicator → measure, from the run's explanation of this unit."""
    explain = card.result.explain
    nodes, indicators = explain.get("nodes", {}), explain.get("indicators", {})
    measures = explain.get("measures", {})
    # the scheme's facts recorded when the run was imported (result_ops.facts_of)
    facts = result_ops.scheme_facts(card.run.manifest)
    sources = facts["measure_sources"]  # with each measure's unit
    expressions, reads = facts["indicator_expressions"], facts["indicator_measures"]

    def indicator(ind_id: str) -> dict:
        # an explanation names only what its scoring has: no target for a rule, no points for
        # an indicator that is reported but not scored (贫困发生率 in 三率一度)
        keys = ("value", "target", "interval", "normalized", "points", "max_points")
        info = {**dict.fromkeys(keys), **indicators.get(ind_id, {})}
        used = reads.get(ind_id, ())  # the measures its parsed expression names
        info.update(
            id=ind_id,
            label=result_ops.node_label(facts, ind_id, info.get("label")),
            expr=expressions.get(ind_id, ""),
            measures=[
                {
                    "id": m,
                    "label": result_ops.measure_label(facts, m),
                    "value": measures[m],
                    "unit_of_measure": (sources.get(m) or {}).get("unit_of_measure"),
                }
                for m in sorted(used)
                if m in measures
            ],
        )
        return info

    out = []
    for dim in card.run.tree:
        if not dim.get("top"):
            continue
        node = nodes.get(dim["id"], {})
        out.append(
            {
                "id": dim["id"],
                "label": result_ops.node_label(facts, dim["id"], dim["label"]),
                "points": node.get("points"),
                "max_points": node.get("max_points"),
                "indicators": [indicator(c) for c in node.get("children", []) if c in indicators],
            }
        )
    return out


def _scorecard_charts(request: Request, session, card: result_ops.ScoreCard) -> dict:
    """A score card's charts (result_charts), built once per run, unit and language."""
    views = result_views(request)

    def build() -> dict:
        facts = result_ops.scheme_facts(card.run.manifest)
        indicators = result_ops.indicator_table(session, card.run, views)
        return result_charts.scorecard_charts(
            card.run, card.unit.code, facts, indicators, card.cycle.id
        )

    key = ("scorecard-charts", card.run.key, card.unit.code, language.current())
    return views.derived(key, build)


def _drill_html(request: Request, card: result_ops.ScoreCard, actor: Actor) -> Markup:
    """The drill-down fragment, rendered once per run, unit, language and whether the records
    behind the measures may be opened (the records page checks scope again)."""
    records = actor.can("records.view") and actor.sees_unit(card.unit)
    key = ("drill", card.run.key, card.unit.code, language.current(), records)

    def build() -> Markup:
        return Markup(
            templates.get_template("scorecard_drill.html").render(
                drill=_drilldown(card),
                records=records,
                cycle_id=card.cycle.id,
                unit_code=card.unit.code,
            )
        )

    return result_views(request).derived(key, build)


@router.get("/cycles/{cycle_id}/results/{unit_code}")
def scorecard_page(
    request: Request, cycle_id: int, unit_code: str, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        card = result_ops.scorecard(
            session, actor, cycle_id, unit_code, views=result_views(request)
        )
        charts = _scorecard_charts(request, session, card)
        unit_findings = (
            finding_ops.unit_findings(session, actor, cycle_id, card.unit)
            if actor.can("finding.view")
            else []
        )
    facts = result_ops.scheme_facts(card.run.manifest)
    # last year's grade is named by last year's scheme (the cycle's scheme may have changed)
    last_facts = result_ops.scheme_facts(card.last_run.manifest) if card.last_run else facts
    # each dimension under its label in the user's language (the run explains in Chinese)
    dims = [
        {**d, "label": result_ops.node_label(facts, d["id"], d.get("label"))}
        for d in card.run.tree
        if d.get("top")
    ]

    def rate(result, d) -> float:
        # the share of the unit's own (effective) maximum: re-weighted points are not above 100 %
        most = result.effective_points.get(d["id"]) or d.get("max_points") or 1
        return round(100 * (result.dimensions.get(d["id"]) or 0) / most, 1)

    radar = {
        "indicator": [{"name": d["label"], "max": 100} for d in dims],
        "values": [rate(card.result, d) for d in dims],
        "last": [rate(card.last, d) for d in dims] if card.last else None,
        "labels": [text("本期", "this period"), text("上期", "last period")],
    }
    return render(
        request,
        "scorecard.html",
        {
            "card": card,
            "dims": dims,
            "radar": radar,
            "charts": charts,
            "grade": result_ops.grade_label(facts, card.result.grade),
            "last_grade": result_ops.grade_label(
                last_facts, card.last.grade if card.last else None
            ),
            "grade_rule": grade_rule_label(
                card.result.explain.get("grade_rule"),
                lambda g: result_ops.grade_label(facts, g),
                lambda reason, veto: result_ops.veto_label(facts, {"id": veto, "reason": reason}),
            ),
            "vetoes": [
                result_ops.veto_label(facts, v) for v in card.result.explain.get("vetoes") or []
            ],
            "label_of": lambda node, label: result_ops.node_label(facts, node, label),
            "drill_html": _drill_html(request, card, actor),
            "findings": unit_findings,
            "origin_label": finding_ops.origin_label,
            # a preliminary run decides nothing: no outcomes are shown as if they applied
            "outcomes": []
            if card.run.preliminary
            else [
                {**localized(o, language.current()), "label": result_ops.outcome_label(o)}
                for o in card.result.explain.get("outcomes", [])
            ],
            "preliminary": card.run.preliminary_label,
        },
    )


@router.get("/cycles/{cycle_id}/results/{unit_code}/records/{measure}")
def records_page(
    request: Request,
    cycle_id: int,
    unit_code: str,
    measure: str,
    page: int = 1,
    actor: Actor = Depends(page_actor),
):
    """The source rows behind one measure of a unit's score card: the unit and its subtree."""
    require(actor, "records.view")
    with db(request).read() as session:
        card = result_ops.scorecard(
            session, actor, cycle_id, unit_code, views=result_views(request)
        )
        require_unit(actor, card.unit)
        found = records_ops.records(session, card.run, card.unit, measure, page)
    return render(
        request,
        "records.html",
        {"card": card, "found": found, "preliminary": card.run.preliminary_label},
    )
