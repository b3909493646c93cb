"""The progress page of a job (a computation asked for on the cycle's page), and the job worker of
this web process, started and stopped with the app: the router's lifespan, which FastAPI merges
into the app's when the router is included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ..workflow import cycles as cycle_ops
from ..workflow import jobs
from ..workflow.computation import STEPS
from ..workflow.job_worker import JobWorker
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor
from .rendering import render

REFRESH_SECONDS = 1  # how often a page of a queued or running job asks again


@asynccontextmanager
async def run_jobs(app: FastAPI) -> AsyncIterator[None]:
    """This process's job worker, for as long as the app serves. It reads the app's compute
    settings for each job (tests replace them after the app is built)."""
    worker = JobWorker(app.state.db, lambda: app.state.compute)
    app.state.job_worker = worker
    worker.start()
    try:
        yield
    finally:
        app.state.job_worker = None
        await run_in_threadpool(worker.stop)


router = APIRouter(include_in_schema=False, lifespan=run_jobs)


def wake_worker(request: Request) -> None:
    """A job was queued: this process's worker looks at once (without a worker — an app not
    started through its lifespan, in tests — the job waits for one)."""
    worker = getattr(request.app.state, "job_worker", None)
    if worker is not None:
        worker.wake()


@router.get("/cycles/{cycle_id}/jobs/{job_id}")
def job_page(request: Request, cycle_id: int, job_id: int, actor: Actor = Depends(page_actor)):
    """State and progress of the job; the page asks again every second (HTMX, or a meta refresh
    without JavaScript) until the job is done or failed. Whoever sees the cycle sees its jobs."""
    with db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        job = jobs.get_job(session, cycle_id, job_id)
    steps = list(STEPS)
    return render(
        request,
        "job.html",
        {
            "cycle": cycle,
            "job": job,
            "active": job.state in jobs.ACTIVE,
            "job_states": jobs.STATES,
            "steps": STEPS,
            "reached": steps.index(job.step) if job.step in STEPS else -1,
            "refresh": REFRESH_SECONDS,
        },
    )
