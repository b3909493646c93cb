"""A request never waits for a computation (issue 14): ``POST …/compute`` queues a job and answers
with the job's page at once; a worker thread of a web process runs it, writing its progress, as
the user who asked; one job per cycle at a time; a job whose worker died is taken again; a failed
job shows its message and leaves no run; two workers never take the same job; and a server killed
with SIGKILL during a job leaves no half-imported run."""

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.support.jobs import compute, job_of, job_row, run_jobs, wait_for_job
from tests.support.platform_world import (
    WORLD_PASSWORD,
    WORLD_SCHEME,
    build_world,
    migrated_database,
)
from tests.support.servers import free_port, start_server

from kaohe.store import Database, audit_log
from kaohe.store.models import AuditEntry, Cycle, Job, Run, User
from kaohe.web import create_app
from kaohe.workflow import jobs
from kaohe.workflow.computation import ComputeSettings
from kaohe.workflow.compute_jobs import request_computation
from kaohe.workflow.roles import Actor

from .conftest import csrf_of
from .test_computation import HEBEI, SHANXI, _cycle_with_submissions


def _post(client, cycle_id, **form):
    return client.post(
        f"/cycles/{cycle_id}/compute",
        data={"csrf_token": client.csrf, **form},
        follow_redirects=False,
    )


def _runs(db, cycle_id) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Run).where(Run.cycle_id == cycle_id))


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.postgresql
def test_the_request_queues_and_the_worker_computes(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    assessor = login("assessor")
    response = _post(assessor, cycle_id)
    job_id = job_of(response)  # answered before anything ran: the app has no worker here
    job = job_row(db, job_id)
    assert (job.state, job.kind, job.requested_by) == ("queued", "compute", "assessor")
    assert _runs(db, cycle_id) == 0
    page = assessor.get(f"/cycles/{cycle_id}/jobs/{job_id}").text
    assert "排队等候" in page and 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh"' in page  # without JavaScript
    assert f"/cycles/{cycle_id}/jobs/{job_id}" in assessor.get(f"/cycles/{cycle_id}").text

    assert run_jobs(app) == 1
    job = job_row(db, job_id)
    assert job.state == "done" and job.fraction == 1.0 and job.attempts == 1
    with db.read() as session:
        run_id = session.scalar(select(Run.id).where(Run.cycle_id == cycle_id))
        audited = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity).where(
                AuditEntry.entity.in_(("runs", "jobs"))
            )
        ).all()
    assert job.result == {"run_id": run_id}
    # who asked is audited, and the import as them
    assert ("assessor", "results.compute.request", "jobs") in audited
    assert ("assessor", "results.compute", "runs") in audited
    page = assessor.get(f"/cycles/{cycle_id}/jobs/{job_id}").text
    assert "已完成" in page and f'href="/cycles/{cycle_id}/results"' in page
    assert "hx-trigger" not in page and "http-equiv" not in page  # no more refreshing
    assert assessor.get(f"/api/cycles/{cycle_id}/results").json()[0]["unit"] == "130000"


def test_the_page_shows_the_step_under_way(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    assessor = login("assessor")
    job_id = job_of(_post(assessor, cycle_id))
    worker = jobs.worker_id(99)  # this process: alive, so never recovered
    assert jobs.claim(db, worker).id == job_id
    jobs.report(db, job_id, worker, step="engine", fraction=0.3)
    page = assessor.get(f"/cycles/{cycle_id}/jobs/{job_id}").text
    assert "正在计算" in page and 'value="0.3"' in page and "30 %" in page
    steps = page.split('<ol class="steps">')[1].split("</ol>")[0]
    assert "汇总已接收的报送数据 ✓" in steps and "计算考核结果 …" in steps
    english = login("assessor")
    english.get("/lang/en")
    assert "computing the results …" in english.get(f"/cycles/{cycle_id}/jobs/{job_id}").text
    # whoever sees the cycle sees its job; another cycle's path does not show it
    assert login("hebei").get(f"/cycles/{cycle_id}/jobs/{job_id}").status_code == 200
    assert assessor.get(f"/cycles/{world['open']}/jobs/{job_id}").status_code == 404


@pytest.mark.postgresql
def test_two_requests_give_one_job(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    assessor, admin = login("assessor"), login("admin")
    first = job_of(_post(assessor, cycle_id))
    assert job_of(_post(admin, cycle_id)) == first  # shows the queued one
    # at the same moment, from two threads (two processes would be the same: a row lock)
    actor = world["actors"]["admin"]
    with db.write("setup", "cancel") as session:
        session.execute(update(Job).values(state="failed"))
    barrier, ids = threading.Barrier(2), []

    def ask():
        barrier.wait()
        ids.append(request_computation(db, actor, cycle_id, settings, False))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(new for _, new in ids) == [False, True] and ids[0][0] == ids[1][0]
    with db.read() as session:
        assert (
            session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(jobs.ACTIVE)))
            == 1
        )


def test_refusals_that_are_quick_to_check_come_at_once(login, world, db, settings):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI)])
    hebei = login("hebei")
    assert _post(hebei, cycle_id).status_code == 403
    with db.write("setup", "review") as session:
        session.get(Cycle, cycle_id).state = "review"
    assessor = login("assessor")
    refused = _post(assessor, cycle_id)
    assert refused.status_code == 409 and "数据汇总与计算" in refused.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_job_of_a_dead_worker_is_taken_again(login, world, db, settings, app, tmp_path):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    assessor = login("assessor")
    job_id = job_of(_post(assessor, cycle_id))
    # a worker of this host whose process is gone, killed in the middle of its attempt
    dead = f"{socket.gethostname()}:{_dead_pid()}:1"
    assert jobs.claim(db, dead).id == job_id
    attempt = tmp_path / "dead-attempt"
    (attempt / "data").mkdir(parents=True)
    jobs.report(db, job_id, dead, step="engine", fraction=0.3, workdir=str(attempt))
    assert run_jobs(app) == 1  # recovered at once (its process is gone), then run
    job = job_row(db, job_id)
    assert (job.state, job.attempts) == ("done", 2)
    assert not attempt.exists()  # the dead attempt's directory is removed
    assert _runs(db, cycle_id) == 1

    # on another host: taken again once its heartbeat is older than the limit
    second = job_of(_post(assessor, cycle_id))
    assert jobs.claim(db, "elsewhere:1:1").id == second
    assert jobs.recover(db) == []  # beating recently: alive
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + jobs.stale_after() * 2
    assert jobs.recover(db, now=later) == [second]
    assert job_row(db, second).state == "queued"


def test_a_job_that_took_its_worker_down_twice_fails(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    assessor = login("assessor")
    job_id = job_of(_post(assessor, cycle_id))
    for _ in range(jobs.ATTEMPTS):
        assert jobs.claim(db, f"{socket.gethostname()}:{_dead_pid()}:1").id == job_id
        jobs.recover(db)
    job = job_row(db, job_id)
    assert job.state == "failed" and "中断 2 次" in job.message, job.message
    assert _runs(db, cycle_id) == 0
    assert "中断 2 次" in assessor.get(f"/cycles/{cycle_id}/jobs/{job_id}").text


@pytest.mark.postgresql
def test_a_failing_computation_ends_as_failed_with_its_message(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [])  # nothing submitted: the engine refuses
    english = login("assessor")
    english.get("/lang/en")
    job = compute(english, app, cycle_id)
    assert job.state == "failed"
    assert job.message.startswith("the computation failed; nothing was imported")  # asker's
    assert _runs(db, cycle_id) == 0
    attempts = settings.runs_dir / f"cycle-{cycle_id}"
    assert not attempts.exists() or not any(attempts.iterdir())
    page = english.get(f"/cycles/{cycle_id}/jobs/{job.id}").text
    assert 'role="alert">the computation failed' in page and "hx-trigger" not in page
    # failed is over: the next request queues a new job
    assert job_of(_post(english, cycle_id)) != job.id


@pytest.mark.postgresql
def test_two_workers_never_claim_the_same_job(world, db):
    with db.write("setup", "jobs") as session:
        for _ in range(24):
            session.add(
                Job(kind="compute", cycle_id=world["done"], requested_by="assessor", arguments={})
            )
    barrier, claimed = threading.Barrier(2), {1: [], 2: []}

    def work(n):
        barrier.wait()
        while (job := jobs.claim(db, f"test:{n}")) is not None:
            claimed[n].append(job.id)

    threads = [threading.Thread(target=work, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(claimed[1]) & set(claimed[2])
    assert len(claimed[1]) + len(claimed[2]) == 24
    with db.read() as session:
        workers = dict(session.execute(select(Job.id, Job.worker)).all())
    assert all(workers[i] == "test:1" for i in claimed[1])


def test_the_apps_own_worker_runs_the_job(world, db, settings, app):
    """Started with the app (its lifespan), woken by the request: no poll to wait for."""
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login",
            data={"username": "assessor", "password": WORLD_PASSWORD, "csrf_token": token},
        )
        client.csrf = csrf_of(client.get("/dashboard").text)
        job_id = job_of(_post(client, cycle_id))
        assert wait_for_job(db, job_id, timeout=20).state == "done"
    assert app.state.job_worker is None  # stopped with the app


# --- a real server killed during a job -------------------------------------------------------


def _assessor(port: int) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    token = csrf_of(client.get("/login").text)
    client.post(
        "/login", data={"username": "assessor", "password": WORLD_PASSWORD, "csrf_token": token}
    )
    client.csrf = csrf_of(client.get("/dashboard").text)
    return client


def test_a_server_killed_during_a_job(tmp_path):
    with migrated_database("sqlite", tmp_path) as db:
        ids = build_world(db, tmp_path)
        with db.read() as session:
            actors = {n: Actor.of(session.get(User, uid)) for n, uid in ids.items()}
        cycle_id = _cycle_with_submissions(
            db, {"actors": actors}, [("hebei", HEBEI), ("shanxi", SHANXI)]
        )
        url, file = db.url, db.url.removeprefix("sqlite:///")
    schemes = tmp_path / "schemes"
    schemes.mkdir()
    (schemes / "world-test.yaml").write_text(WORLD_SCHEME, encoding="utf-8")
    runs = tmp_path / "runs"
    env = {"KAOHE_RUNS_DIR": str(runs), "KAOHE_SCHEMES_DIR": str(schemes)}
    port = free_port()
    server = start_server(url, port, env)
    check = Database.connect(url)
    try:
        client = _assessor(port)
        # Catch the job running: once it is claimed, take SQLite's write lock from here, so the
        # job's next write (a step, its heartbeat, the import) waits; then kill the server.
        lock = sqlite3.connect(file, timeout=30, isolation_level=None)
        for _ in range(5):
            job_id = job_of(
                client.post(
                    f"/cycles/{cycle_id}/compute",
                    data={"csrf_token": client.csrf},
                    follow_redirects=False,
                )
            )
            while job_row(check, job_id).state == "queued":
                time.sleep(0.005)
            lock.execute("BEGIN IMMEDIATE")
            if job_row(check, job_id).state == "running":
                break
            lock.execute("ROLLBACK")  # it finished first (tiny data): try once more
        else:
            raise AssertionError("the job was never caught running")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        lock.execute("ROLLBACK")
        lock.close()
        before = _runs(check, cycle_id)
        killed = job_row(check, job_id)
        assert (killed.state, killed.attempts) == ("running", 1)

        # The next start (the same app, started in this process to save a second server's
        # start-up): its worker takes the job again at once, since its process is gone.
        app = create_app(check, secret="restart")
        app.state.compute = ComputeSettings(runs_dir=runs, schemes_dir=schemes)
        with TestClient(app) as restarted:
            job = wait_for_job(check, job_id)
            assert (job.state, job.attempts) == ("done", 2), job.message
            assert _runs(check, cycle_id) == before + 1  # one run of the killed job, not half
            attempts = list((runs / f"cycle-{cycle_id}").iterdir())
            assert len(attempts) == before + 1  # the killed attempt's directory is gone

            token = csrf_of(restarted.get("/login").text)
            restarted.post(
                "/login",
                data={"username": "assessor", "password": WORLD_PASSWORD, "csrf_token": token},
            )
            restarted.csrf = csrf_of(restarted.get("/dashboard").text)
            again = job_of(_post(restarted, cycle_id))
            assert wait_for_job(check, again).state == "done"
        assert _runs(check, cycle_id) == before + 2
        with check.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        with check.read() as session:
            assert audit_log.verify(session) == []
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        check.dispose()
