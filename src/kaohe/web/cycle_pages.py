"""Screens of the cycle itself: the dashboard (every cycle, its deadline and the moves the user
may make), one cycle's page (its history, runs, check coverage and a computation under way),
moving a cycle to its next state, and asking for its results to be computed (a job: its progress
page is ``job_pages``). Deadlines are set on the administrator's pages (``admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..workflow import computation, jobs
from ..workflow import cycles as cycle_ops
from ..workflow import form_values as choices
from ..workflow.compute_jobs import request_computation
from ..workflow.dashboard import dashboard
from ..workflow.roles import Actor
from ..workflow.states import transitions_from
from .app_state import compute_settings, db, result_views, today
from .auth import page_actor
from .job_pages import wake_worker
from .rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(request: Request, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        shown = dashboard(session, actor, today(), result_views(request))
    return render(
        request,
        "dashboard.html",
        {"rows": shown.rows, "spared": shown.spared, "unit": shown.unit, "work": shown.work},
    )


@router.post("/cycles/{cycle_id}/move")
def move_cycle(
    request: Request,
    cycle_id: int,
    target: str = Form(...),
    version: int = Form(...),
    note: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    target = choices.TARGET_STATE.of(target)
    with db(request).write(actor.username, f"cycle.{target}") as session:
        # checks the role first, then refuses to go on from a preliminary run (require_final)
        cycle_ops.move(session, actor, cycle_id, target, version, note)
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/cycles/{cycle_id}")
def cycle_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        events = cycle_ops.events(session, cycle_id)
        runs = cycle_ops.run_history(session, actor, cycle_id)
        job = jobs.active(session, cycle_id)
        covered = (
            computation.coverage(session, cycle, compute_settings(request))
            if cycle.state == "computation" and actor.can("results.compute")
            else None
        )
    return render(
        request,
        "cycle.html",
        {
            "cycle": cycle,
            "events": events,
            "moves": transitions_from(cycle.state, actor.role),
            "runs": runs,
            "coverage": covered,
            "preliminary": runs[-1]["preliminary"] if runs else "",
            "job": job,
        },
    )


@router.post("/cycles/{cycle_id}/compute")
def compute_results(
    request: Request,
    cycle_id: int,
    preliminary: str = Form("no"),
    actor: Actor = Depends(page_actor),
):
    """Queue the computation (aggregate the accepted submissions, run the engine, import the
    run) and show its progress page; while one is queued or running, show that one. Refused at
    once outside the computation state, and while assigned field checks are missing unless the
    user chose a preliminary run (``preliminary=yes``, its own button). A sync handler: FastAPI
    runs it in a worker thread (the checks and the queuing touch the database)."""
    asked = choices.PRELIMINARY.yes(preliminary)
    job_id, new = request_computation(
        db(request), actor, cycle_id, compute_settings(request), asked
    )
    if new:
        wake_worker(request)
    return RedirectResponse(f"/cycles/{cycle_id}/jobs/{job_id}", status_code=303)
