"""Screens of the provincial self-evaluation (省级自评): the units a cycle's scheme grades with
whether each has entered its self-evaluation, and one unit's self-scores per indicator with its
written summary — a form for the province itself (or the administrator) while the cycle takes
submissions, read-only for everyone else who may see the unit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from ..i18n import text
from ..workflow import self_evaluation as evaluation_ops
from ..workflow.cycles import get_cycle
from ..workflow.errors import Invalid
from ..workflow.roles import Actor
from .app_state import compute_settings, db, today, write_off_loop
from .auth import page_actor
from .rendering import render

router = APIRouter(include_in_schema=False)


def _outline(request: Request, scheme: str) -> evaluation_ops.SchemeOutline:
    return evaluation_ops.scheme_outline(compute_settings(request).scheme_for(scheme))


@router.get("/cycles/{cycle_id}/self-evaluation")
def self_evaluations_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        cycle = get_cycle(session, cycle_id)
        outline = _outline(request, cycle.scheme)
        units = evaluation_ops.assessed_units(session, actor, outline)
        entered = {u.code: evaluation_ops.entries(session, cycle_id, u.code) for u in units}
    return render(
        request,
        "self_evaluations.html",
        {
            "cycle": cycle,
            "units": units,
            "summaries": {code: rows.get(evaluation_ops.SUMMARY) for code, rows in entered.items()},
        },
    )


@router.get("/cycles/{cycle_id}/self-evaluation/{unit_code}")
def self_evaluation_page(
    request: Request, cycle_id: int, unit_code: str, actor: Actor = Depends(page_actor)
):
    with db(request).read() as session:
        cycle = get_cycle(session, cycle_id)
        outline = _outline(request, cycle.scheme)
        unit, rows = evaluation_ops.unit_self_evaluation(
            session, actor, cycle_id, unit_code, outline
        )
    return render(
        request,
        "self_evaluation.html",
        {
            "cycle": cycle,
            "unit": unit,
            "lines": outline.indicators,
            "rows": rows,
            "summary": rows.get(evaluation_ops.SUMMARY),
            "summary_key": evaluation_ops.SUMMARY,
            "editable": cycle.state == "submission" and evaluation_ops.may_submit(actor, unit),
        },
    )


def _version(form, field: str) -> int | None:
    raw = str(form.get(field) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid(
            text(
                f"版本（{field}）应为整数，而不是 {raw!r}；请刷新页面后重新提交",
                f"the version ({field}) must be a whole number, not {raw!r}; reload the page "
                "and send it again",
            )
        )
    return int(raw)


@router.post("/cycles/{cycle_id}/self-evaluation/{unit_code}")
async def submit_self_evaluation(
    request: Request, cycle_id: int, unit_code: str, actor: Actor = Depends(page_actor)
):
    form = await request.form()  # one score, note and version per indicator of the scheme
    with db(request).read() as session:
        outline = _outline(request, get_cycle(session, cycle_id).scheme)
    keys = [line.id for line in outline.indicators]
    scores = {k: str(form.get(f"score_{k}") or "") for k in keys}
    notes = {k: str(form.get(f"note_{k}") or "") for k in keys}
    seen = {k: _version(form, f"version_{k}") for k in [*keys, evaluation_ops.SUMMARY]}
    summary = str(form.get("summary") or "")

    def store(session) -> None:
        evaluation_ops.submit(
            session, actor, cycle_id, unit_code, outline, scores, notes, summary, seen, today()
        )

    await write_off_loop(request, actor, "self_evaluation.submit", store)
    return RedirectResponse(f"/cycles/{cycle_id}/self-evaluation/{unit_code}", status_code=303)
