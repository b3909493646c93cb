"""Server-side sessions: the signed cookie carries only a random token, the database its sha256;
logout, a password reset, disabling the user and a change of role end the session at once; idle
and absolute timeouts are settings checked on every request; ``last_seen_at`` is written at most
once a minute."""

import base64
import datetime as dt
import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from kaohe.errors import KaoheError
from kaohe.store.models import AuditEntry, User, UserSession
from kaohe.workflow.sessions import SessionRules

from .conftest import csrf_of


def _cookie(client: TestClient) -> dict:
    """What the signed cookie holds (Starlette: base64 JSON, then timestamp and signature)."""
    value = client.cookies["kaohe_session"]
    payload = value.split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def _rows(db, username: str) -> list[UserSession]:
    with db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return list(
            session.scalars(
                select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
            )
        )


def _age(db, username: str, **columns: dt.timedelta) -> None:
    """Move the user's sessions back in time (what an idle hour would have left behind); in
    Python, since SQLite has no datetime arithmetic."""
    with db.write_engine.begin() as connection:
        user_id = connection.scalar(select(User.id).where(User.username == username))
        table = UserSession.__table__
        for row in connection.execute(select(table).where(table.c.user_id == user_id)).mappings():
            moved = {column: row[column] - delta for column, delta in columns.items()}
            connection.execute(update(table).where(table.c.id == row["id"]).values(moved))


def _logged_in(client: TestClient) -> bool:
    return client.get("/dashboard", follow_redirects=False).status_code == 200


def test_the_cookie_carries_a_token_and_the_table_only_its_digest(login, db):
    client = login("hebei")
    cookie = _cookie(client)
    assert set(cookie) <= {"session", "csrf", "lang"}, cookie
    token = cookie["session"]
    (row,) = _rows(db, "hebei")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.revoked_at is None and row.ip == "testclient"
    with db.read() as session:
        logged = " ".join(
            (e.before or "") + (e.after or "") for e in session.scalars(select(AuditEntry))
        )
    assert token not in logged and row.token_hash not in logged


def test_a_cookie_replayed_after_logout_is_refused(app, login, db):
    client = login("hebei")
    stolen = client.cookies["kaohe_session"]
    client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    replay = TestClient(app, cookies={"kaohe_session": stolen})
    assert replay.get("/dashboard", follow_redirects=False).headers["location"] == "/login"
    assert replay.get("/api/cycles").status_code == 401
    (row,) = _rows(db, "hebei")
    assert row.revoked_at is not None


def test_idle_and_absolute_timeouts(login, db, app):
    app.state.session_rules = SessionRules(idle_minutes=60, absolute_minutes=480)
    idle = login("hebei")
    _age(db, "hebei", last_seen_at=dt.timedelta(minutes=59), created_at=dt.timedelta(minutes=59))
    assert _logged_in(idle)  # 59 idle minutes: still in, and seen now
    _age(db, "hebei", last_seen_at=dt.timedelta(minutes=61))
    assert not _logged_in(idle)

    busy = login("shanxi")
    _age(db, "shanxi", created_at=dt.timedelta(minutes=481))  # seen a moment ago, but too old
    assert not _logged_in(busy)
    assert busy.get("/api/cycles").status_code == 401


def test_timeouts_are_settings(monkeypatch):
    assert SessionRules.from_env() == SessionRules(idle_minutes=60, absolute_minutes=480)
    monkeypatch.setenv("KAOHE_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("KAOHE_SESSION_ABSOLUTE_MINUTES", "120")
    assert SessionRules.from_env() == SessionRules(idle_minutes=15, absolute_minutes=120)
    monkeypatch.setenv("KAOHE_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(KaoheError, match="KAOHE_SESSION_IDLE_MINUTES"):
        SessionRules.from_env()


def test_last_seen_is_written_at_most_once_a_minute(login, db):
    client = login("hebei")
    with db.read() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    (first,) = _rows(db, "hebei")
    for _ in range(3):
        assert _logged_in(client)
    (same,) = _rows(db, "hebei")
    assert same.last_seen_at == first.last_seen_at  # no write per request
    _age(db, "hebei", last_seen_at=dt.timedelta(minutes=2))
    assert _logged_in(client)
    (touched,) = _rows(db, "hebei")
    assert touched.last_seen_at > first.last_seen_at - dt.timedelta(seconds=1)
    with db.read() as session:  # a heartbeat, not a decision: nothing for the audit log
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def _version(db, username: str) -> tuple[int, int]:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return user.id, user.version


def test_reset_disable_and_a_new_role_end_the_sessions(login, db):
    admin = login("admin")
    hebei = login("hebei")
    user_id, version = _version(db, "hebei")
    page = admin.post(
        f"/admin/users/{user_id}/password", data={"version": version, "csrf_token": admin.csrf}
    )
    new = re.search(r"<code>([^<]+)</code>", page.text)[1]
    assert not _logged_in(hebei)

    hebei = login("hebei", new)
    user_id, version = _version(db, "hebei")
    admin.post(
        f"/admin/users/{user_id}/active",
        data={"active": "no", "version": version, "csrf_token": admin.csrf},
    )
    assert not _logged_in(hebei)
    admin.post(
        f"/admin/users/{user_id}/active",
        data={"active": "yes", "version": version + 1, "csrf_token": admin.csrf},
    )

    hebei = login("hebei", new)
    user_id, version = _version(db, "hebei")
    moved = admin.post(
        f"/admin/users/{user_id}/role",
        data={"role": "auditor", "version": version, "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert not _logged_in(hebei)
    assert _logged_in(login("hebei", new))
    with db.read() as session:
        assert session.get(User, user_id).role == "auditor"
    assert all(row.revoked_at is not None for row in _rows(db, "hebei")[:-1])


def test_a_fresh_login_replaces_the_old_cookie_values(app, world):
    """A new login starts a new session (no fixation): the token is new, the language kept."""
    client = TestClient(app)
    client.get("/lang/en", follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    from tests.support.platform_world import WORLD_PASSWORD

    data = {"username": "hebei", "password": WORLD_PASSWORD, "csrf_token": token}
    client.post("/login", data=data, follow_redirects=False)
    first = _cookie(client)["session"]
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={**data, "csrf_token": token}, follow_redirects=False)
    cookie = _cookie(client)
    assert cookie["session"] != first and cookie.get("lang") == "en"


@pytest.fixture
def login(login, world):  # every test here has the world
    return login
