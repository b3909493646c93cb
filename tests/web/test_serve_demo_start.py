"""``kaohe serve --demo`` answers at once: on a new database the demo loads in the background and
every page shows its progress (503, ``Retry-After``, a page that asks again) in the user's
language; then the platform opens and the printed accounts log in. A load that fails shows why."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.support.platform_world import migrated_database
from tests.support.servers import KAOHE, free_port

from kaohe.cli.serve import load_in_background
from kaohe.demo.platform import COMPLETE, LOAD_STEPS, demo_state, load_demo
from kaohe.errors import UsageError
from kaohe.store import Database, migrate
from kaohe.web import create_app
from kaohe.web.demo_loading import DemoLoading

LABELS = {step.key: (step.zh, step.en) for step in LOAD_STEPS}
ACCOUNT = re.compile(r"^\s+(\w+)\s+(demo_\w+)\s+(\S+)\s", re.M)


def test_pages_show_the_progress_until_the_demo_is_loaded(tmp_path):
    loading = DemoLoading(LABELS)
    loading.report(0.42, "run-2018")
    with migrated_database("sqlite", tmp_path) as db:
        client = TestClient(create_app(db, demo_loading=loading))
        page = client.get("/login")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "2"
        assert "正在载入演示数据 42%" in page.text
        assert '<progress max="100" value="42">' in page.text
        assert "计算2018年度省级考核" in page.text
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert page.headers["content-security-policy"]  # the security headers still apply
        english = client.get("/dashboard?lang=en")
        assert english.status_code == 503
        assert "loading the demo data 42%" in english.text
        assert "assessing the 2018 provinces" in english.text
        api = client.get("/api/cycles")
        assert api.status_code == 503
        assert api.json()["progress"] == 0.42
        assert client.get("/static/app.css").status_code == 200

        loading.finish()
        assert client.get("/login").status_code == 200

        failed = DemoLoading(LABELS)
        failed.fail("磁盘已满")
        page = TestClient(create_app(db, demo_loading=failed)).get("/login")
        assert page.status_code == 500
        assert "演示数据载入失败" in page.text and "磁盘已满" in page.text
        assert "refresh" not in page.text


def test_a_load_that_fails_shows_its_error(tmp_path):
    in_the_way = tmp_path / "kaohe-demo"
    in_the_way.write_text("not a directory")
    loading = DemoLoading(LABELS)
    with migrated_database("sqlite", tmp_path) as db:
        load_in_background(db, in_the_way, 2016, loading).join(timeout=120)
    assert loading.error is not None and not loading.done
    assert "kaohe-demo" in loading.error


def _lines(stream, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _a_load_stopped_half_way(demo_dir) -> None:
    """The demo's own database after a Ctrl-C once the 2016 cycle was written, and one year's
    data whose generation was stopped (its files there, its completion marker not)."""
    demo_dir.mkdir()
    db = Database.connect(f"sqlite:///{demo_dir / 'kaohe.db'}")
    migrate.upgrade(db.write_engine)

    def interrupted(_fraction: float, step: str) -> None:
        if step == "cycle-2017":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_demo(db, demo_dir, progress=interrupted, persons=4000)
    assert demo_state(db) == "partial"
    with pytest.raises(UsageError, match="kaohe serve --demo"):
        load_demo(db, demo_dir, persons=4000)  # never loaded on top of a half
    db.dispose()
    (demo_dir / "data-2017" / COMPLETE).unlink()


def test_serve_demo_answers_while_loading_then_the_accounts_log_in(tmp_path):
    """One real start, after a first load that was stopped half-way: the start sees it, makes its
    own database again and loads the demo (about 10 s on a quiet machine, a minute on a busy one),
    waited for once, here."""
    _a_load_stopped_half_way(tmp_path / "demo")
    port = free_port()
    env = {**os.environ, "KAOHE_LANG": "zh", "COLUMNS": "200"}
    env.pop("KAOHE_DATABASE_URL", None)
    server = subprocess.Popen(
        # a small panel: what is tested is the start and the load, not the data's size
        [
            KAOHE,
            "serve",
            "--demo",
            "--demo-dir",
            str(tmp_path / "demo"),
            "--demo-persons",
            "4000",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    output: list[str] = []
    threading.Thread(target=_lines, args=(server.stdout, output), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        first = None
        while first is None and time.monotonic() < deadline:
            assert server.poll() is None, "".join(output)
            try:
                first = httpx.get(f"{base}/login", timeout=30)
            except httpx.TransportError:
                time.sleep(0.1)
        assert first is not None, "".join(output)
        assert first.status_code == 503, first.text
        assert re.search(r"正在载入演示数据 \d+%", first.text)
        assert first.headers["retry-after"] == "2"

        deadline = time.monotonic() + 600
        while "demo_auditor" not in "".join(output) and time.monotonic() < deadline:
            assert server.poll() is None, "".join(output)
            time.sleep(0.5)
        printed = "".join(output)
        assert "上次演示数据载入被中断：重新载入" in printed
        assert (tmp_path / "demo" / "data-2017" / COMPLETE).exists()  # generated again
        accounts = {user: password for _role, user, password in ACCOUNT.findall(printed)}
        assert "demo_admin" in accounts, printed
        with httpx.Client(base_url=base) as client:
            form = client.get("/login")
            assert form.status_code == 200
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
            response = client.post(
                "/login",
                data={
                    "username": "demo_admin",
                    "password": accounts["demo_admin"],
                    "csrf_token": token,
                },
            )
            assert response.status_code == 303, response.text
            assert client.get("/dashboard").status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
