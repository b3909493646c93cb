"""Accounts that a stranger cannot take over or lock out: tokens end with a password reset and stay
dead after a re-enable; passwords of at least 12 characters, not blank, not on a common-password
list; users change their own password; wrong passwords slow down logins (per account and per
address) but never lock out the right one; X-Forwarded-For is trusted only from named proxies;
the deadlines form changes only what it sends."""

import asyncio
import datetime as dt
import re

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.support.platform_world import WORLD_HASH, WORLD_PASSWORD
from typer.testing import CliRunner

from kaohe.cli import app as cli
from kaohe.store.models import ApiToken, AuditEntry, Cycle, LoginAttempt, User
from kaohe.workflow import accounts
from kaohe.workflow.authentication import LoginRules
from kaohe.workflow.errors import Invalid
from kaohe.workflow.passwords import check_new_password

from .conftest import csrf_of


def _user(db, username: str) -> tuple[int, int]:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return user.id, user.version


def _token_for(admin: TestClient, db, username: str) -> tuple[int, str]:
    user_id = _user(db, username)[0]
    page = admin.post(
        "/admin/tokens", data={"user_id": user_id, "name": "县级平台", "csrf_token": admin.csrf}
    )
    token = re.search(r'id="new-token">([^<]+)<', page.text)[1]
    token_id = int(re.search(r'action="/admin/tokens/(\d+)/revoke"', page.text)[1])
    return token_id, token


def _api_ok(app, token: str) -> bool:
    response = TestClient(app).get("/api/cycles", headers={"authorization": f"Bearer {token}"})
    return response.status_code == 200


# --- tokens ---------------------------------------------------------------------------------


def test_a_password_reset_revokes_the_users_tokens(login, db, app):
    admin = login("admin")
    token_id, token = _token_for(admin, db, "changan")
    assert _api_ok(app, token)
    user_id, version = _user(db, "changan")
    admin.post(
        f"/admin/users/{user_id}/password", data={"version": version, "csrf_token": admin.csrf}
    )
    assert not _api_ok(app, token)
    with db.read() as session:
        assert session.get(ApiToken, token_id).revoked_at is not None


def test_enabling_again_does_not_revive_tokens(login, db, app):
    admin = login("admin")
    _token_id, token = _token_for(admin, db, "changan")
    user_id, version = _user(db, "changan")
    for active, seen in (("no", version), ("yes", version + 1)):
        admin.post(
            f"/admin/users/{user_id}/active",
            data={"active": active, "version": seen, "csrf_token": admin.csrf},
        )
    assert _user(db, "changan")[1] == version + 2  # enabled again
    assert not _api_ok(app, token)
    assert "已吊销" in admin.get("/admin/tokens").text


# --- the password rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,why",
    [
        ("aaaaaaaaaa", "12"),
        ("a-password!", "12"),
        (" " * 14, "空白"),
        ("\t \u3000" * 5, "空白"),
        ("qwerty123456", "常见"),
        ("QWERTY123456", "常见"),
        ("1qaz2wsx3edc", "常见"),
    ],
)
def test_weak_passwords_are_refused(password, why):
    with pytest.raises(Invalid, match=why):
        check_new_password(password)


def test_good_and_generated_passwords_pass():
    for password in (WORLD_PASSWORD, "a-long-password", "草原上的风吹过十二个字符"):
        check_new_password(password)
    for _ in range(200):
        check_new_password(accounts.generated_password())


def test_the_demo_accounts_get_passwords_that_pass(world, db, monkeypatch):
    from kaohe.demo import platform

    # the rule is under test, not argon2: its shipped cost is 0.3 s a password
    monkeypatch.setattr(platform, "hash_password", lambda password: WORLD_HASH)
    _accounts = platform._accounts
    made = _accounts(db)
    assert len(made) >= 10 and len({a.password for a in made}) == len(made)
    for account in made:
        check_new_password(account.password)


def test_the_administrator_cannot_set_a_weak_password(login, world):
    admin = login("admin")
    refused = admin.post(
        "/admin/users",
        data={
            "username": "wang",
            "role": "auditor",
            "password": "qwerty123456",
            "csrf_token": admin.csrf,
        },
    )
    assert refused.status_code == 400 and "常见" in refused.text
    page = admin.get("/admin/users").text
    assert 'minlength="12"' in page and "至少 12 个字符" in page


def test_the_command_line_names_the_rule(world, db, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
    reset = CliRunner().invoke(
        cli, ["db", "reset-password", "hebei", "--password", "short-pass1", "--url", db.url]
    )
    assert reset.exit_code == 2 and "12 characters" in reset.output


# --- one's own password ---------------------------------------------------------------------


def test_users_change_their_own_password(login, db, app):
    here, elsewhere = login("hebei"), login("hebei")
    page = here.get("/account/password")
    assert page.status_code == 200 and 'name="old_password"' in page.text
    csrf = csrf_of(page.text)

    def change(old, new, again=None, client=here, token=csrf):
        return client.post(
            "/account/password",
            data={
                "old_password": old,
                "new_password": new,
                "new_password_again": new if again is None else again,
                "csrf_token": token,
            },
            follow_redirects=False,
        )

    assert change("wrong-old-password", "a-new-long-password").status_code == 400
    assert change(WORLD_PASSWORD, "short").status_code == 400
    assert change(WORLD_PASSWORD, "a-new-long-password", "typo").status_code == 400
    assert change(WORLD_PASSWORD, "a-new-long-password", token="forged").status_code == 403
    done = change(WORLD_PASSWORD, "a-new-long-password")
    assert done.status_code == 303, done.text
    assert here.get("/dashboard", follow_redirects=False).status_code == 200  # kept
    assert elsewhere.get("/dashboard", follow_redirects=False).status_code == 303  # ended
    assert login("hebei", "a-new-long-password").get("/dashboard").status_code == 200
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "user.password.own", AuditEntry.entity == "users"
            )
        ).all()
    assert len(entries) == 1 and entries[0].actor == "hebei"
    assert "a-new-long-password" not in (entries[0].after or "")
    assert TestClient(app).get("/account/password", follow_redirects=False).status_code == 303


# --- login delays ---------------------------------------------------------------------------


def _attempt(client: TestClient, username: str, password: str):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _wait_passes(db, seconds: int) -> None:
    """As if ``seconds`` had gone by since every recorded attempt (the server never sleeps); in
    Python, since SQLite has no datetime arithmetic."""
    table = LoginAttempt.__table__
    with db.write_engine.begin() as connection:
        for row_id, at in connection.execute(select(table.c.id, table.c.at)).all():
            earlier = at - dt.timedelta(seconds=seconds)
            connection.execute(update(table).where(table.c.id == row_id).values(at=earlier))


def _attempts(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(LoginAttempt))


def test_wrong_passwords_delay_the_account_but_never_lock_it(app, world, db):
    app.state.login_rules = LoginRules(free_failures=5, first_delay_seconds=60)
    client = TestClient(app)
    statuses = [_attempt(client, "hebei", "wrong").status_code for _ in range(5)]
    assert statuses == [401] * 5
    recorded = _attempts(db)
    right = _attempt(client, "hebei", WORLD_PASSWORD)
    assert right.status_code == 429
    wait = int(right.headers["retry-after"])
    assert 55 <= wait <= 60 and f"{wait} 秒" in right.text
    assert _attempts(db) == recorded  # answered without checking or recording anything
    assert _attempt(client, "shanxi", WORLD_PASSWORD).status_code == 303  # others unaffected
    _wait_passes(db, 61)
    assert _attempt(client, "hebei", WORLD_PASSWORD).status_code == 303  # the delay is over
    assert _attempt(client, "hebei", "wrong").status_code == 401  # a success starts afresh


def test_the_delay_doubles_and_is_capped(app, world, db):
    app.state.login_rules = LoginRules(free_failures=2, first_delay_seconds=2, max_delay_seconds=5)
    client = TestClient(app)
    waits = []
    for _ in range(5):
        response = _attempt(client, "hebei", "wrong")
        assert response.status_code == 401  # each try came after the wait it was told
        told = re.search(r"(\d+) 秒", response.text)
        waits.append(told and int(told[1]))
        _wait_passes(db, 10)
    assert waits == [None, 2, 4, 5, 5], waits


def test_many_failures_from_one_address_delay_it_only(app, world, db):
    app.state.login_rules = LoginRules(free_failures_per_address=3, first_delay_seconds=60)
    office = TestClient(app, client=("192.0.2.10", 5000))
    for name in ("nobody1", "nobody2", "nobody3"):
        assert _attempt(office, name, "wrong").status_code == 401
    assert _attempt(office, "hebei", WORLD_PASSWORD).status_code == 429
    home = TestClient(app, client=("198.51.100.7", 5000))
    assert _attempt(home, "hebei", WORLD_PASSWORD).status_code == 303
    _wait_passes(db, 61)
    assert _attempt(office, "hebei", WORLD_PASSWORD).status_code == 303


def test_administrators_see_accounts_with_recent_failures(app, world, login):
    client = TestClient(app, client=("192.0.2.99", 5000))
    for _ in range(3):
        _attempt(client, "changan", "wrong")
    page = login("admin").get("/admin/users").text
    section = page.split('id="login-failures"')[1]
    assert "changan" in section and "192.0.2.99" in section and ">3<" in section


def test_login_rules_are_settings(monkeypatch):
    assert LoginRules.from_env() == LoginRules()
    monkeypatch.setenv("KAOHE_LOGIN_FREE_FAILURES", "3")
    monkeypatch.setenv("KAOHE_LOGIN_MAX_DELAY_SECONDS", "60")
    rules = LoginRules.from_env()
    assert rules.free_failures == 3 and rules.max_delay_seconds == 60
    monkeypatch.setenv("KAOHE_LOGIN_FREE_FAILURES", "-1")
    with pytest.raises(Exception, match="KAOHE_LOGIN_FREE_FAILURES"):
        LoginRules.from_env()


# --- trusted proxies ------------------------------------------------------------------------


def _client_seen(options: dict, forwarded: str = "203.0.113.9") -> str:
    """The client address the app sees behind uvicorn configured with ``options``, for a request
    from 127.0.0.1 that claims to be forwarded for ``forwarded``."""
    seen = {}

    async def probe(scope, receive, send):
        seen["client"] = scope["client"][0]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    proxy = {k: options[k] for k in ("proxy_headers", "forwarded_allow_ips") if k in options}
    config = uvicorn.Config(probe, **proxy)
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(_message):
        pass

    asyncio.run(config.loaded_app(scope, receive, send))
    return seen["client"]


@pytest.mark.parametrize("workers", [1, 2])
def test_forwarded_for_is_trusted_only_from_named_proxies(world, db, monkeypatch, workers):
    monkeypatch.setenv("KAOHE_SECRET", "test-secret")  # restored after the test
    monkeypatch.setenv("KAOHE_DATABASE_URL", db.url)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    base = ["serve", "--url", db.url, "--workers", str(workers)]
    assert CliRunner().invoke(cli, base).exit_code == 0
    named = ["--forwarded-allow-ips", "127.0.0.1"]
    assert CliRunner().invoke(cli, [*base, *named]).exit_code == 0
    default, trusted = calls
    assert _client_seen(default) == "127.0.0.1"  # a forged header is ignored
    assert _client_seen(trusted) == "203.0.113.9"


@pytest.mark.parametrize("variable", ["KAOHE_SESSION_IDLE_MINUTES", "KAOHE_JOB_STALE_SECONDS"])
def test_serve_refuses_a_mistyped_setting(world, db, monkeypatch, variable):
    monkeypatch.setenv("KAOHE_LANG", "en")
    monkeypatch.setenv(variable, "an hour")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    result = CliRunner().invoke(cli, ["serve", "--url", db.url])
    assert result.exit_code == 2 and variable in result.output


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.postgresql
def test_the_deadlines_form_changes_only_what_it_sends(login, world, db):
    admin = login("admin")
    cycle = world["open"]

    def post(version, **fields):
        return admin.post(
            f"/cycles/{cycle}/deadlines",
            data={"version": version, "csrf_token": admin.csrf, **fields},
            follow_redirects=False,
        )

    def deadlines():
        with db.read() as session:
            return session.get(Cycle, cycle).deadlines

    assert post(2, due_submission="2030-01-31", due_review="2031-03-01").status_code == 303
    assert post(3, due_review="2031-04-01").status_code == 303  # submission left out: kept
    assert deadlines() == {"submission": "2030-01-31", "review": "2031-04-01"}
    assert post(4, due_submission="", due_review="2031-04-01").status_code == 303  # empty: kept
    assert deadlines() == {"submission": "2030-01-31", "review": "2031-04-01"}
    assert post(4, clear_submission="on").status_code == 303  # removed only when asked
    assert deadlines() == {"review": "2031-04-01"}
    page = admin.get(f"/cycles/{cycle}").text
    assert 'name="clear_review"' in page and 'name="clear_submission"' not in page
    assert post(5, clear_nothing="on").status_code == 400


@pytest.fixture
def login(login, world):  # every test here has the world
    return login
