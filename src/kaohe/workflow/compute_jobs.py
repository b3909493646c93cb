"""A computation as a job: asked for in a request, which makes only the quick checks and answers
at once, and run by a job worker as the user who asked, its steps written to the job's row.

The request refuses at once what it can check quickly — who asks, the cycle's state, the field
checks' coverage — with the same messages as the computation itself; what needs the data (a file
that today's rules refuse, the engine's errors) ends the job as failed, with its message.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import language, text
from ..store import Database
from ..store.models import User
from . import computation, jobs
from .computation import ComputeSettings
from .cycles import get_cycle
from .errors import Forbidden
from .roles import Actor, require

KIND = "compute"


def request_computation(
    db: Database, actor: Actor, cycle_id: int, settings: ComputeSettings, preliminary: bool
) -> tuple[int, bool]:
    """Queue the cycle's computation (audited as ``results.compute.request``), or, while one is
    queued or running, return that one. Returns the job's id and whether it is new."""
    with db.write(actor.username, "results.compute.request") as session:
        require(actor, "results.compute")
        get_cycle(session, cycle_id)
        job, new = jobs.enqueue(
            session,
            actor.username,
            KIND,
            cycle_id,
            {"preliminary": preliminary, "lang": language()},
            check=lambda: computation.check_request(
                session, actor, cycle_id, settings, preliminary
            ),
        )
        return job.id, new


class JobProgress:
    """A computation's ``Progress`` written to its job's row, only while the job is still this
    worker's (``jobs.JobLost`` otherwise, which stops the computation and imports nothing)."""

    def __init__(self, db: Database, job: jobs.Claimed, worker: str):
        self.db, self.job, self.worker = db, job, worker

    def step(self, name: str) -> None:
        fraction = computation.STEPS[name][0]
        jobs.report(self.db, self.job.id, self.worker, step=name, fraction=fraction)

    def attempt(self, directory: Path) -> None:
        jobs.report(self.db, self.job.id, self.worker, workdir=str(directory))

    def imported(self, session: Session, run_id: int) -> None:
        jobs.finish(session, self.job.id, self.worker, {"run_id": run_id})


def _requester(db: Database, username: str) -> Actor:
    """The user who asked, as they are now: a disabled account's job does not run."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise Forbidden(
                text(
                    f"提交计算的用户 {username} 已停用，计算未进行",
                    f"{username}, who asked for this computation, is disabled; nothing was run",
                )
            )
        return Actor.of(user)


def run(db: Database, job: jobs.Claimed, settings: ComputeSettings, worker: str) -> None:
    """Run a queued computation as the user who asked; the import marks the job done."""
    actor = _requester(db, job.requested_by)
    progress = JobProgress(db, job, worker)
    preliminary = bool(job.arguments.get("preliminary"))
    computation.compute(db, actor, job.cycle_id, settings, preliminary, progress)
