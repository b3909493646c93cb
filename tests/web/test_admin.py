"""The national administrator's pages: deadlines set, extended, removed on request (and
enforced), users created, disabled (their sessions and tokens end at once) and given a new
password, tokens issued and revoked; every change audited, no secret in the log."""

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from tests.support.platform_world import WORLD_PASSWORD
from typer.testing import CliRunner

from kaohe.cli import app as cli
from kaohe.store.models import AuditEntry, Cycle, User

from .conftest import csrf_of


def _survey() -> bytes:
    book = Workbook()
    book.active.append(
        [
            "单位代码",
            "农村人口（人）",
            "农村居民人均可支配收入（元）",
            "上年农村居民人均可支配收入（元）",
            "是否贫困县",
            "是否计划本年退出",
            "是否已退出",
        ]
    )
    book.active.append(["130102", 100, 1, 1, "是", "否", "否"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ids(db) -> dict[str, tuple[int, int]]:
    with db.read() as session:
        return {u.username: (u.id, u.version) for u in session.scalars(select(User))}


@pytest.mark.postgresql
def test_deadlines_are_set_extended_and_enforced(login, world, db):
    admin, hebei = login("admin"), login("hebei")
    cycle = world["open"]

    def set_due(value, version):
        return admin.post(
            f"/cycles/{cycle}/deadlines",
            data={
                "due_submission": value,
                "due_review": "2031-03-01",
                "version": version,
                "csrf_token": admin.csrf,
            },
            follow_redirects=False,
        )

    def upload():
        return hebei.post(
            f"/cycles/{cycle}/submissions/monitoring_survey",
            data={"csrf_token": hebei.csrf},
            files={"file": ("s.xlsx", _survey())},
        )

    assert set_due("2020-01-31", 2).status_code == 303  # in the past: closed
    refused = upload()
    assert refused.status_code == 409 and "截止" in refused.text
    assert set_due("2020-01-31", 2).status_code == 409  # a stale form
    assert set_due("2099-12-31", 3).status_code == 303  # extended
    assert upload().status_code == 200
    assert set_due("", 4).status_code == 303  # an empty date keeps the deadline
    with db.read() as session:
        assert session.get(Cycle, cycle).deadlines["submission"] == "2099-12-31"
    removed = admin.post(
        f"/cycles/{cycle}/deadlines",
        data={"clear_submission": "on", "version": 4, "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303  # removed only when asked for
    with db.read() as session:
        assert session.get(Cycle, cycle).deadlines == {"review": "2031-03-01"}
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "cycle.deadlines")
        ).all()
    assert len(entries) == 3 and '"submission": "2099-12-31"' in entries[1].after
    assert "2031-03-01" in admin.get(f"/cycles/{cycle}").text
    assert set_due("31/01/2020", 5).status_code == 400  # a date the form cannot hold


def test_users_created_disabled_and_reset(login, world, db, app):
    admin = login("admin")
    created = admin.post(
        "/admin/users",
        data={
            "username": "zhang",
            "role": "county",
            "unit": "140105",
            "password": "a-long-password",
            "csrf_token": admin.csrf,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    zhang = login("zhang", "a-long-password")
    assert "小店区" in zhang.get("/dashboard").text
    missing = admin.post(
        "/admin/users",
        data={
            "username": "li",
            "role": "county",
            "password": "a-long-password",
            "csrf_token": admin.csrf,
        },
    )
    assert missing.status_code == 400 and "所属单位" in missing.text
    taken = admin.post(
        "/admin/users",
        data={
            "username": "zhang",
            "role": "auditor",
            "password": "a-long-password",
            "csrf_token": admin.csrf,
        },
    )
    assert taken.status_code == 400 and "已存在" in taken.text

    user_id, version = _ids(db)["zhang"]
    admin.post(
        f"/admin/users/{user_id}/active",
        data={"active": "no", "version": version, "csrf_token": admin.csrf},
    )
    assert zhang.get("/dashboard", follow_redirects=False).status_code == 303  # session ended
    fresh = TestClient(app)
    token = csrf_of(fresh.get("/login").text)
    denied = fresh.post(
        "/login",
        data={"username": "zhang", "password": "a-long-password", "csrf_token": token},
    )
    assert denied.status_code == 401
    user_id, version = _ids(db)["zhang"]
    admin.post(
        f"/admin/users/{user_id}/active",
        data={"active": "yes", "version": version, "csrf_token": admin.csrf},
    )
    hebei = login("hebei")
    user_id, version = _ids(db)["hebei"]
    page = admin.post(
        f"/admin/users/{user_id}/password", data={"version": version, "csrf_token": admin.csrf}
    )
    new = re.search(r"<code>([^<]+)</code>", page.text.split('id="new-password"')[1])[1]
    assert hebei.get("/dashboard", follow_redirects=False).status_code == 303  # logged out
    assert login("hebei", new).get("/dashboard").status_code == 200
    own_id, own_version = _ids(db)["admin"]
    myself = admin.post(
        f"/admin/users/{own_id}/active",
        data={"active": "no", "version": own_version, "csrf_token": admin.csrf},
    )
    assert myself.status_code == 409
    with db.read() as session:
        logged = " ".join(
            (e.after or "") + (e.before or "")
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action.in_(["user.create", "user.password"]))
            )
        )
    assert "zhang" in logged and "argon2" not in logged and new not in logged
    assert WORLD_PASSWORD not in logged


def test_tokens_issued_and_revoked(login, world, db, app):
    admin = login("admin")
    user_id = _ids(db)["changan"][0]
    page = admin.post(
        "/admin/tokens",
        data={"user_id": user_id, "name": "县级平台", "csrf_token": admin.csrf},
    )
    token = re.search(r'id="new-token">([^<]+)<', page.text)[1]
    api = TestClient(app)
    headers = {"authorization": f"Bearer {token}"}
    assert api.get("/api/cycles", headers=headers).status_code == 200
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', page.text)[1]
    assert token not in admin.get("/admin/tokens").text  # shown once only
    admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": admin.csrf})
    assert api.get("/api/cycles", headers=headers).status_code == 401
    assert "已吊销" in admin.get("/admin/tokens").text


def test_the_command_line_uses_the_same_functions(world, db, monkeypatch):
    # SQLite only (not marked postgresql): the command line connects by URL, and PostgreSQL's
    # test schema is set per connection
    monkeypatch.setenv("KAOHE_LANG", "en")
    runner = CliRunner()
    url = ["--url", db.url]
    assert runner.invoke(cli, ["db", "disable-user", "hebei", *url]).exit_code == 0
    with db.read() as session:
        assert session.scalar(select(User.active).where(User.username == "hebei")) is False
    assert runner.invoke(cli, ["db", "disable-user", "hebei", "--enable", *url]).exit_code == 0
    reset = runner.invoke(cli, ["db", "reset-password", "hebei", "--password", "short", *url])
    assert reset.exit_code == 2 and "12 characters" in reset.output
    token = runner.invoke(cli, ["db", "issue-token", "hebei", *url]).output.strip()
    assert token.startswith("kh_")
    assert runner.invoke(cli, ["db", "revoke-token", "1", *url]).exit_code == 0
    nobody = runner.invoke(cli, ["db", "disable-user", "nobody", *url])
    assert nobody.exit_code == 2 and "no user nobody" in nobody.output
