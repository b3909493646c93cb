"""Every administrative action leaves exactly one audit entry for what it changed, with a before
copy that holds the old values (not the new version) and an after copy that differs from it;
audit entries are strict JSON (a NaN is a bug, refused with a clear error, never stored)."""

import json
import re

import pytest
from sqlalchemy import func, select
from tests.support.platform_world import WORLD_PASSWORD

from kaohe.store.audit_log import UnloggableValue
from kaohe.store.models import AuditEntry, Figure, User

WORLD_VERSION = 1  # every world user is created once


def _last_id(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def _entries_since(db, last: int) -> list[AuditEntry]:
    with db.read() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id))
        )


def _user(db, username: str) -> User:
    with db.read() as session:
        return session.scalar(select(User).where(User.username == username))


def _the_entry(db, last, action, entity, entity_id, changed: set[str]) -> dict:
    """The one entry of ``entity``/``entity_id`` written since ``last``: its action, and a real
    difference that includes ``changed``; every other entry of the request is a real change too."""
    entries = _entries_since(db, last)
    assert entries, f"{action}: nothing audited"
    for entry in entries:
        assert entry.action == action, (entry.action, action)
        before = json.loads(entry.before) if entry.before else {}
        after = json.loads(entry.after) if entry.after else {}
        assert before != after, f"{action}: an empty change of {entry.entity}/{entry.entity_id}"
    mine = [e for e in entries if (e.entity, e.entity_id) == (entity, str(entity_id))]
    assert len(mine) == 1, f"{action}: {len(mine)} entries for {entity}/{entity_id}"
    before = json.loads(mine[0].before) if mine[0].before else {}
    after = json.loads(mine[0].after)
    differ = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed <= differ, (action, differ)
    return {"before": before, "after": after}


def test_every_administrative_route_is_audited_once_with_its_change(login, world, db):
    admin = login("admin")
    csrf = {"csrf_token": admin.csrf}

    last = _last_id(db)
    admin.post(
        "/admin/users",
        data={"username": "zhao", "role": "auditor", "password": "a-long-password", **csrf},
    )
    zhao = _user(db, "zhao")
    made = _the_entry(db, last, "user.create", "users", zhao.id, {"username", "role"})
    assert made["before"] == {} and made["after"]["version"] == 1

    hebei = _user(db, "hebei")
    last = _last_id(db)
    admin.post(f"/admin/users/{hebei.id}/active", data={"active": "no", "version": 1, **csrf})
    off = _the_entry(db, last, "user.disable", "users", hebei.id, {"active", "version"})
    assert (off["before"]["version"], off["after"]["version"]) == (WORLD_VERSION, 2)

    last = _last_id(db)
    admin.post(f"/admin/users/{hebei.id}/active", data={"active": "yes", "version": 2, **csrf})
    on = _the_entry(db, last, "user.enable", "users", hebei.id, {"active", "version"})
    assert (on["before"]["active"], on["after"]["active"]) == (False, True)

    last = _last_id(db)
    page = admin.post(f"/admin/users/{hebei.id}/password", data={"version": 3, **csrf})
    reset = _the_entry(db, last, "user.password", "users", hebei.id, {"version"})
    assert (reset["before"]["version"], reset["after"]["version"]) == (3, 4)
    new = re.search(r"<code>([^<]+)</code>", page.text)[1]
    assert new not in json.dumps(reset) and "argon2" not in json.dumps(reset)
    assert reset["before"]["password_hash"] != reset["after"]["password_hash"]

    last = _last_id(db)
    admin.post(f"/admin/users/{hebei.id}/role", data={"role": "auditor", "version": 4, **csrf})
    role = _the_entry(db, last, "user.role", "users", hebei.id, {"role", "unit_code"})
    assert (role["before"]["role"], role["after"]["role"]) == ("province", "auditor")

    changan = _user(db, "changan")
    last = _last_id(db)
    page = admin.post("/admin/tokens", data={"user_id": changan.id, "name": "县级平台", **csrf})
    token_id = int(re.search(r'action="/admin/tokens/(\d+)/revoke"', page.text)[1])
    issued = _the_entry(db, last, "token.issue", "api_tokens", token_id, {"name", "user_id"})
    assert "token_hash" not in issued["after"]

    last = _last_id(db)
    admin.post(f"/admin/tokens/{token_id}/revoke", data=csrf)
    _the_entry(db, last, "token.revoke", "api_tokens", token_id, {"revoked_at"})

    cycle = world["open"]
    last = _last_id(db)
    admin.post(
        f"/cycles/{cycle}/deadlines",
        data={"due_submission": "2030-01-31", "version": 2, **csrf},
    )
    due = _the_entry(db, last, "cycle.deadlines", "cycles", cycle, {"deadlines", "version"})
    assert due["before"]["deadlines"] == {} and due["before"]["version"] == 2
    assert due["after"]["deadlines"] == {"submission": "2030-01-31"}

    last = _last_id(db)
    admin.post(f"/cycles/{cycle}/move", data={"target": "verification", "version": 3, **csrf})
    moved = _the_entry(db, last, "cycle.verification", "cycles", cycle, {"state", "version"})
    assert (moved["before"]["state"], moved["after"]["state"]) == ("submission", "verification")

    last = _last_id(db)
    admin.post(
        "/account/password",
        data={
            "old_password": WORLD_PASSWORD,
            "new_password": "the-admins-new-password",
            "new_password_again": "the-admins-new-password",
            **csrf,
        },
    )
    own = _user(db, "admin")
    _the_entry(db, last, "user.password.own", "users", own.id, {"version", "password_hash"})


def test_a_value_that_is_not_strict_json_is_refused_and_not_stored(world, db):
    before = _last_id(db)
    with (
        pytest.raises(UnloggableValue, match="figures.*value"),
        db.write("tester", "figure.import") as session,
    ):
        nan = float("nan")
        session.add(Figure(unit_code="130102", period="2019", name="ratio", value=nan, origin="t"))
    assert _last_id(db) == before
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Figure)) == 0


@pytest.fixture
def login(login, world):  # every test here has the world
    return login
