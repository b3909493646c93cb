"""A server process killed (SIGKILL) in the middle of an upload leaves the database consistent:
no half-written version, the accepted data intact, the audit chain unbroken, and the next upload
works."""

import os
import signal
import socket
import time

import httpx
from sqlalchemy import select, text
from tests.support.platform_world import WORLD_PASSWORD, build_world, migrated_database
from tests.support.servers import free_port, start_server

from kaohe.store import Database, audit_log
from kaohe.store.models import SubmissionVersion
from kaohe.workflow import cycles
from kaohe.workflow.roles import Actor

HEADER = (
    "unit,rural_population,income_per_capita,income_per_capita_last,poor_county,"
    "exit_planned,exited\n"
)


def _client(port: int) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post(
        "/login", data={"username": "changan", "password": WORLD_PASSWORD, "csrf_token": token}
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dashboard").text).group(1)
    return client, token


def _multipart_head(boundary: str, csrf: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()


def test_killed_during_upload(tmp_path):
    with migrated_database("sqlite", tmp_path) as db:
        build_world(db, tmp_path)
        with db.write("admin", "setup") as session:
            from kaohe.store.models import User

            admin = Actor.of(session.scalar(select(User).where(User.username == "admin")))
            cycle = cycles.create_cycle(session, admin, "world-test", "2019", "c")
            cycle.state = "submission"
            cycle_id = cycle.id
        url = db.url
    port = free_port()
    server = start_server(url, port)
    try:
        client, csrf = _client(port)
        first = client.post(
            f"/cycles/{cycle_id}/submissions/monitoring_survey",
            data={"csrf_token": csrf},
            files={"file": ("s.csv", HEADER + "130102,1,1,1,true,false,false\n")},
        )
        assert first.status_code == 200
        # A large upload, killed twice: once while the body streams, once while it is checked.
        rows = "".join(f"130102,{i},1,1,true,false,false\n" for i in range(60_000))
        body_rest = (HEADER + rows).encode() + b"\r\n--B--\r\n"
        head = _multipart_head("B", csrf)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for pause_after in ("half", "all"):
            raw = socket.create_connection(("127.0.0.1", port))
            request = (
                f"POST /cycles/{cycle_id}/submissions/monitoring_survey HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                f"Content-Type: multipart/form-data; boundary=B\r\n"
                f"Content-Length: {len(head) + len(body_rest)}\r\n\r\n"
            ).encode()
            raw.sendall(request + head)
            cut = len(body_rest) // 2 if pause_after == "half" else len(body_rest)
            raw.sendall(body_rest[:cut])
            time.sleep(0.5)
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
            raw.close()
            server = start_server(url, port)
        client, csrf = _client(port)
        again = client.post(
            f"/cycles/{cycle_id}/submissions/monitoring_survey",
            data={"csrf_token": csrf},
            files={"file": ("s.csv", HEADER + "130102,2,1,1,true,false,false\n")},
        )
        assert again.status_code == 200
    finally:
        server.kill()
        server.wait(timeout=10)
    check = Database.connect(url)
    try:
        with check.engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        with check.read() as session:
            numbers = session.scalars(
                select(SubmissionVersion.number).order_by(SubmissionVersion.number)
            ).all()
            assert numbers == [1, 2]  # nothing from the killed uploads, nothing lost
            assert audit_log.verify(session) == []
    finally:
        check.dispose()
