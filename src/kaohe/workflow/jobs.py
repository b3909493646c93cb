"""The job queue (作业队列): work asked for in a web request — a computation that may take minutes —
is written to the ``jobs`` table and done by a worker thread of one of the web processes
(``kaohe.workflow.job_worker``), so that no request waits for it.

Written by hand on the platform's own tables rather than with a queue library: the maintained
ones need a broker (Celery, RQ, Dramatiq, arq, SAQ need Redis or RabbitMQ), or run on PostgreSQL
only (procrastinate, PgQueuer, Chancy), or keep their own tables and recovery outside our schema
and migrations (DBOS, huey's SQL storage); the platform runs on SQLite and PostgreSQL, with jobs
that must show their progress and be audited as the user who asked. The queue needs four
statements, each atomic on both databases:

- ``enqueue``: under a lock on the cycle's row (``FOR UPDATE``; on SQLite the writing transaction
  is already exclusive, ``BEGIN IMMEDIATE``), one job per cycle at a time: while one is queued or
  running it is returned instead of a new one.
- ``claim``: the oldest queued job, taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two
  processes never take the same one) and under the exclusive write on SQLite.
- ``beat`` / ``report``: the worker's heartbeat and progress, written only while the job is still
  its own; ``finish`` (inside the import's transaction) and ``fail`` end it.
- ``recover``: a running job whose worker died (its heartbeat too old, or its process on this host
  gone) goes back to the queue once — a computation leaves nothing behind when it fails — and
  fails with a message the second time.

The bookkeeping (claims, heartbeats, progress) is written without the audit log: it changes no
assessment. Queuing is audited (who asked), and so is what the job does, as the user who asked.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from ..i18n import text, use_language
from ..store import Database
from ..store.models import Cycle, Job, utcnow
from .env_settings import whole_number
from .errors import NotFound

ACTIVE = ("queued", "running")
STATES: dict[str, tuple[str, str]] = {
    "queued": ("排队等候", "queued"),
    "running": ("正在计算", "running"),
    "done": ("已完成", "done"),
    "failed": ("失败", "failed"),
}


def state_label(state: str) -> str:
    """The job's state in the user's language (the code itself if unknown)."""
    zh, en = STATES.get(state, (state, state))
    return text(zh, en)


# A worker beats every few seconds; one silent for this long is taken as dead. Generous: a beat
# waits for SQLite's write lock while a large run is imported.


def stale_after() -> dt.timedelta:
    """``KAOHE_JOB_STALE_SECONDS`` (default 120), read when recovering, refused by name if bad."""
    return dt.timedelta(seconds=whole_number("KAOHE_JOB_STALE_SECONDS", 120, 1))


ATTEMPTS = 2  # a job that took its worker down twice (out of memory?) is not tried a third time


class JobLost(Exception):
    """The job is no longer this worker's (recovered by another process): stop working on it."""


def worker_id(thread: int) -> str:
    """``host:pid:thread``: another process on the same host can tell whether it is alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{thread}"


def enqueue(
    session: Session,
    requested_by: str,
    kind: str,
    cycle_id: int,
    arguments: dict[str, Any],
    check: Callable[[], object] = lambda: None,
) -> tuple[Job, bool]:
    """Queue a job (in the caller's writing transaction, audited); or, while one of this cycle
    is queued or running, that one. ``check`` (the request's own checks, which raise) runs under
    the lock, before a new job is queued. Returns the job and whether it is new."""
    session.execute(select(Cycle.id).where(Cycle.id == cycle_id).with_for_update())
    current = active(session, cycle_id)
    if current is not None:
        return current, False
    check()
    job = Job(
        kind=kind,
        cycle_id=cycle_id,
        requested_by=requested_by,
        arguments=arguments,
        state="queued",
        step="",
        fraction=0.0,
        message="",
        result={},
        attempts=0,
    )
    session.add(job)
    session.flush()
    return job, True


def active(session: Session, cycle_id: int) -> Job | None:
    """The cycle's queued or running job, if any."""
    return session.scalar(
        select(Job).where(Job.cycle_id == cycle_id, Job.state.in_(ACTIVE)).order_by(Job.id)
    )


def get_job(session: Session, cycle_id: int, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.cycle_id != cycle_id:
        raise NotFound(
            text(f"周期 {cycle_id} 没有作业 {job_id}", f"cycle {cycle_id} has no job {job_id}")
        )
    return job


@dataclass(frozen=True)
class Claimed:
    """A job taken by a worker: what it needs to run it."""

    id: int
    kind: str
    cycle_id: int
    requested_by: str
    arguments: dict[str, Any]


def claim(db: Database, worker: str) -> Claimed | None:
    """Take the oldest queued job, or None. Cheap when the queue is empty: a read, no lock."""
    with db.read() as session:
        if session.scalar(select(Job.id).where(Job.state == "queued").limit(1)) is None:
            return None
    with db.write_engine.begin() as connection:
        row = connection.execute(
            select(Job.id, Job.kind, Job.cycle_id, Job.requested_by, Job.arguments)
            .where(Job.state == "queued")
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's write is exclusive
        ).first()
        if row is None:
            return None
        now = utcnow()
        connection.execute(
            update(Job)
            .where(Job.id == row.id)
            .values(
                state="running",
                worker=worker,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                step="",
                fraction=0.0,
                message="",
            )
        )
    return Claimed(row.id, row.kind, row.cycle_id, row.requested_by, dict(row.arguments or {}))


def _own(connection: Connection, job_id: int, worker: str, **values: Any) -> None:
    """Update the job while it is still this worker's running job, else ``JobLost``."""
    changed = connection.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.state == "running")
        .values(heartbeat_at=utcnow(), **values)
    ).rowcount
    if changed != 1:
        raise JobLost(f"job {job_id} is no longer run by {worker}")


def beat(db: Database, job_id: int, worker: str) -> None:
    with db.write_engine.begin() as connection:
        _own(connection, job_id, worker)


def report(db: Database, job_id: int, worker: str, **values: Any) -> None:
    """Progress (``step``, ``fraction``) or the attempt's ``workdir``."""
    with db.write_engine.begin() as connection:
        _own(connection, job_id, worker, **values)


def finish(session: Session, job_id: int, worker: str, result: dict[str, Any]) -> None:
    """Mark the job done inside the transaction that stores its result: both or neither."""
    _own(
        session.connection(),
        job_id,
        worker,
        state="done",
        fraction=1.0,
        result=result,
        finished_at=utcnow(),
    )


def fail(db: Database, job_id: int, worker: str, message: str) -> None:
    with db.write_engine.begin() as connection:
        _own(connection, job_id, worker, state="failed", message=message, finished_at=utcnow())


def _dead_here(worker: str | None) -> bool:
    """Whether ``worker`` ran in a process of this host that no longer exists."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def recover(db: Database, now: dt.datetime | None = None) -> list[int]:
    """Running jobs whose worker is dead: back to the queue, or failed after ``ATTEMPTS``.
    Removes the dead attempt's directory. Returns the ids recovered."""
    now, limit = now or utcnow(), stale_after()
    with db.read() as session:
        running = session.execute(
            select(Job.id, Job.worker, Job.heartbeat_at).where(Job.state == "running")
        ).all()
    dead = [
        (r.id, r.worker)
        for r in running
        if _dead_here(r.worker) or r.heartbeat_at is None or now - r.heartbeat_at > limit
    ]
    recovered = []
    for job_id, worker in dead:
        with db.write_engine.begin() as connection:
            row = connection.execute(
                select(Job.attempts, Job.workdir, Job.arguments)
                .where(Job.id == job_id, Job.worker == worker, Job.state == "running")
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                continue  # finished, or recovered (and maybe claimed again) meanwhile
            if row.workdir:
                shutil.rmtree(row.workdir, ignore_errors=True)
            if row.attempts >= ATTEMPTS:
                with use_language((row.arguments or {}).get("lang", "zh")):
                    message = text(
                        f"计算进行中服务进程已中断 {row.attempts} 次，未导入任何结果；"
                        "请检查服务器（如内存）后重新计算",
                        f"the server process stopped {row.attempts} times during this "
                        "computation; nothing was imported. Check the server (its memory, say) "
                        "and compute again",
                    )
                values: dict[str, Any] = {"state": "failed", "finished_at": now, "message": message}
            else:
                values = {"state": "queued", "step": "", "fraction": 0.0}
            connection.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker == worker, Job.state == "running")
                .values(worker=None, workdir=None, heartbeat_at=None, **values)
            )
        recovered.append(job_id)
    return recovered
