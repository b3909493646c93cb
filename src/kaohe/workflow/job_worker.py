"""The job worker (作业执行): a background thread in each web process that takes queued jobs from
``kaohe.workflow.jobs`` one at a time and runs them as the user who asked, writing their progress
to the job's row for the progress page.

It polls the table (every ``POLL_SECONDS``; a job queued by this process wakes it at once) and,
before each claim, recovers the jobs of dead workers. While a job runs, a second thread beats
its heartbeat, since one step (the engine) may take minutes without a word. With several web
processes (``kaohe serve --workers N``) each has its worker; the claim keeps them apart.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from ..errors import KaoheError
from ..i18n import text, use_language
from ..store import Database
from . import compute_jobs, jobs
from .computation import ComputeSettings

log = logging.getLogger("kaohe.jobs")

POLL_SECONDS = 0.5
BEAT_SECONDS = 5.0
_threads = itertools.count(1)


# kind -> how a job of that kind runs (it marks the job done itself, in its last transaction)
KINDS: dict[str, Callable[[Database, jobs.Claimed, ComputeSettings, str], None]] = {
    compute_jobs.KIND: compute_jobs.run,
}


class _Heartbeat:
    """Beats the job's heartbeat every ``every`` seconds until stopped."""

    def __init__(self, db: Database, job_id: int, worker: str, every: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(db, job_id, worker, every), name="kaohe-job-beat", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, db: Database, job_id: int, worker: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                jobs.beat(db, job_id, worker)
            except jobs.JobLost:
                return  # the computation finds out at its next step
            except SQLAlchemyError as error:  # e.g. SQLite busy during a long import: next beat
                log.warning("heartbeat of job %s failed: %s", job_id, error)


class JobWorker:
    """The worker of one process. ``settings()`` is read for each job (the app's settings)."""

    def __init__(
        self,
        db: Database,
        settings: Callable[[], ComputeSettings],
        poll: float = POLL_SECONDS,
        beat: float = BEAT_SECONDS,
    ):
        self.db, self.settings, self.poll, self.beat = db, settings, poll, beat
        self.id = jobs.worker_id(next(_threads))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kaohe-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling. A computation still running goes on until the process exits; its job
        is then recovered by the next worker (its process is gone)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """A job was queued by this process: look now rather than at the next poll."""
        self._wake.set()

    def run_pending(self) -> int:
        """Recover dead workers' jobs, then run queued jobs until there are none (or the worker
        is stopped); returns how many ran."""
        jobs.recover(self.db)
        ran = 0
        while not self._stop.is_set():
            job = jobs.claim(self.db, self.id)
            if job is None:
                break
            self._run(job)
            ran += 1
        return ran

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                # The database away (restarting, say) or a bug: logged, and the thread lives on
                # to try at the next poll — a dead worker thread would leave every job queued.
                log.exception("job worker %s failed; trying again at the next poll", self.id)
            self._wake.wait(self.poll)
            self._wake.clear()

    def _run(self, job: jobs.Claimed) -> None:
        try:
            with (
                use_language(job.arguments.get("lang", "zh")),
                _Heartbeat(self.db, job.id, self.id, self.beat),
            ):
                try:
                    KINDS[job.kind](self.db, job, self.settings(), self.id)
                except KaoheError as error:
                    # the same message the request would have shown, in the asker's language
                    jobs.fail(self.db, job.id, self.id, str(error))
                except jobs.JobLost:
                    raise
                except Exception:
                    # a bug: logged with an id the user can quote, as the web's handler does
                    incident = uuid.uuid4().hex[:8]
                    log.exception("job %s failed: incident %s", job.id, incident)
                    jobs.fail(
                        self.db,
                        job.id,
                        self.id,
                        text(
                            f"系统内部错误（编号 {incident}），已记录，未导入任何结果；"
                            "请稍后重试或联系管理员",
                            f"internal error (incident {incident}), logged; nothing was "
                            "imported. Try again later or contact the administrator",
                        ),
                    )
        except jobs.JobLost:
            log.warning("job %s was recovered by another worker; %s leaves it", job.id, self.id)
