"""Results are read once per run: later requests for the ranking and the score cards do not go
back to the results table; a newly imported run is shown at once (no stale view); and
``kaohe serve --workers 2`` really runs two processes that share sessions."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import event
from tests.support.platform_world import WORLD_PASSWORD, build_world, migrated_database
from tests.support.servers import free_port

from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results

KAOHE = str(Path(sys.executable).with_name("kaohe"))


class StatementLog:
    """Every SQL statement the app's reading engine runs, while installed."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def _reads_results(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\bFROM results\b", s)]


@pytest.mark.postgresql
def test_results_and_score_cards_are_read_once_per_run(login, world, db, run_dir):
    client = login("hebei")
    done = world["done"]
    with StatementLog(db.engine) as first:
        assert client.get(f"/cycles/{done}/results").status_code == 200
        assert client.get(f"/cycles/{done}/results/140000").status_code == 200
    assert _reads_results(first)  # built once …
    with StatementLog(db.engine) as again:
        page = client.get(f"/cycles/{done}/results")
        card = client.get(f"/cycles/{done}/results/140000")
    assert page.status_code == 200 and card.status_code == 200
    assert _reads_results(again) == []  # … then served from memory
    queries = [s for s in again if s != "BEGIN"]
    # per page: the user, the cycle, its latest run and last period's; the unit for the card
    assert len(queries) == 4 + 5, "\n".join(queries)
    assert "山西省" in page.text and "income / nullif(income_last, 0) - 1" in card.text
    # the measures an indicator reads, from its parsed expression (recorded at import)
    assert "<code>income</code>" in card.text and "<code>income_last</code>" in card.text

    # A new run of the same cycle is shown at once: its key differs.
    with db.write("setup", "rerun") as session:
        cycle = cycles.get_cycle(session, done)
        cycle.state = "computation"
        session.flush()
        results.import_run(session, world["actors"]["assessor"], done, run_dir)
        cycle.state = "feedback"
    with StatementLog(db.engine) as after:
        assert client.get(f"/cycles/{done}/results").status_code == 200
    assert _reads_results(after)


@pytest.mark.postgresql
def test_ranking_carries_last_periods_score_and_rank(login, world, db, run_dir):
    actors = world["actors"]
    # The world's 2019 cycle follows the 2018 one (world['done']): give it a run and publish it.
    with db.write("setup", "publish-2019") as session:
        open_cycle = cycles.get_cycle(session, world["open"])
        open_cycle.state = "computation"
        session.flush()
        results.import_run(session, actors["assessor"], open_cycle.id, run_dir)
        open_cycle.state = "publication"
    rows = login("hebei").get(f"/api/cycles/{world['open']}/results").json()
    assert [(r["unit"], r["last_rank"]) for r in rows] == [("130000", 1), ("140000", 2)]
    assert rows[0]["last_score"] == pytest.approx(rows[0]["score"])


def test_serve_with_two_workers_shares_sessions(tmp_path):
    with migrated_database("sqlite", tmp_path) as db:
        build_world(db, tmp_path)
        url = db.url
    port = free_port()
    server = subprocess.Popen(
        [KAOHE, "serve", "--url", url, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        parent = psutil.Process(server.pid)
        while time.monotonic() < deadline:
            workers = [
                p for p in parent.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
            ]
            if len(workers) == 2:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        assert len(workers) == 2, server.stderr.read1().decode() if server.poll() else workers
        # A fresh connection per request, so the two processes take turns accepting them.
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_keepalive_connections=0)
        ) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            response = client.post(
                "/login",
                data={"username": "hebei", "password": WORLD_PASSWORD, "csrf_token": token[1]},
            )
            assert response.status_code == 303
            before = {w.pid: sum(w.cpu_times()[:2]) for w in workers}
            statuses = []
            busy: list = []
            # Until both processes have done work (CPU time is counted in ticks), at most 400.
            while len(statuses) < 400 and len(busy) < 2:
                statuses += [client.get("/dashboard").status_code for _ in range(20)]
                busy = [w for w in workers if sum(w.cpu_times()[:2]) > before[w.pid]]
        assert set(statuses) == {200}  # a session signed by one worker is valid in the other
        assert len(busy) == 2, "only one worker answered"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
