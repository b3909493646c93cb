"""Jobs in tests: a ``TestClient`` app is not started through its lifespan, so it has no job
worker; these run its queued jobs in the test's thread, as the worker would, or wait for a real
server's worker (a test helper, not shipped)."""

from __future__ import annotations

import re
import time

from kaohe.store import Database
from kaohe.store.models import Job
from kaohe.workflow.job_worker import JobWorker

JOB_PATH = re.compile(r"/cycles/(\d+)/jobs/(\d+)$")


def run_jobs(app) -> int:
    """Run every queued job of ``app``'s database with its compute settings; how many ran."""
    return JobWorker(app.state.db, lambda: app.state.compute).run_pending()


def job_of(response) -> int:
    """The job id of a ``POST …/compute`` answer (a 303 to the job's page)."""
    assert response.status_code == 303, response.text
    found = JOB_PATH.search(response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(2))


def compute(client, app, cycle_id: int, **form) -> Job:
    """Ask for the cycle's computation as ``client``, run the job, return the finished job."""
    response = client.post(
        f"/cycles/{cycle_id}/compute",
        data={"csrf_token": client.csrf, **form},
        follow_redirects=False,
    )
    job_id = job_of(response)
    run_jobs(app)
    return job_row(app.state.db, job_id)


def job_row(db: Database, job_id: int) -> Job:
    with db.read() as session:
        return session.get(Job, job_id)


def wait_for_job(db: Database, job_id: int, timeout: float = 20.0) -> Job:
    """Wait until a real server's worker has finished the job (done or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_row(db, job_id)
        if job is not None and job.state in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not finished after {timeout} s: {job_row(db, job_id)}")
