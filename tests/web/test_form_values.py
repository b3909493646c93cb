"""Form fields with fixed choices (yes/no, decisions, verdicts, states, roles) accept only their
values: anything else — 是 for yes, a typo, another case — is refused with 400 naming the field,
and nothing is stored (it was once stored as "no")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from kaohe.store.models import (
    Appeal,
    AuditEntry,
    Cycle,
    CycleEvent,
    Rectification,
    Run,
    User,
    VerificationResult,
)

REFUSED = ["是", "否", "Yes", "YES", "true", "1", " yes", "accept ", "maybe"]


@dataclass(frozen=True)
class ChoiceForm:
    """One form: who posts it, where, a valid submission, and what it may change."""

    user: str
    path: Callable[[dict], str]
    valid: Callable[[dict, object], dict]  # (world, db) -> form data with allowed values
    fields: dict[str, tuple[str, str]]  # field -> (Chinese label, English label)
    state: Callable[[object, dict], object]  # what the form would change, read from the db


def _cycle_version(db, cycle_id: int) -> int:
    with db.read() as session:
        return session.get(Cycle, cycle_id).version


def _user(db, name: str) -> User:
    with db.read() as session:
        return session.scalar(select(User).where(User.username == name))


def _pending_appeal(world, login, db) -> int:
    county = login("changan")
    response = county.post(
        f"/findings/{world['finding']}/appeal",
        data={"reason": "已补齐", "csrf_token": county.csrf},
        files={"evidence": ("p.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code < 400, response.text
    with db.read() as session:
        return session.scalar(select(Appeal.id).where(Appeal.finding_id == world["finding"]))


def _submitted_rectification(world, login, db) -> int:
    owner = login("changan")
    with db.read() as session:
        version = session.get(Rectification, world["rectification"]).version
    response = owner.post(
        f"/rectifications/{world['rectification']}/evidence",
        data={"note": "已整改", "version": version, "csrf_token": owner.csrf},
        files={"file": ("e.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code < 400, response.text
    return world["rectification"]


def _row(model, key):
    def read(db, world):
        with db.read() as session:
            found = session.get(model, world[key])
            return found.status, found.version

    return read


FORMS = {
    "verification": ChoiceForm(
        user="team_a",
        path=lambda w: f"/verification/{w['assignment']}",
        valid=lambda w, db: {
            "verdict": "正确",
            "version": 1,
            "recognizes": "yes",
            "satisfied_team": "no",
            "satisfied_cadre": "yes",
        },
        fields={
            "verdict": ("核查结论", "verdict"),
            "recognizes": ("农户认可识别/退出结果", "household recognizes the result"),
            "satisfied_team": ("对驻村工作队满意", "satisfied with the village team"),
            "satisfied_cadre": ("对帮扶干部满意", "satisfied with the paired cadre"),
        },
        state=lambda db, w: _count(db, VerificationResult),
    ),
    "appeal decision": ChoiceForm(
        user="reviewer",
        path=lambda w: f"/appeals/{w['appeal']}/decide",
        valid=lambda w, db: {"decision": "accept", "note": "", "version": 1},
        fields={"decision": ("申诉决定", "decision on the appeal")},
        state=_row(Appeal, "appeal"),
    ),
    "rectification decision": ChoiceForm(
        user="assessor",
        path=lambda w: f"/rectifications/{w['rectification']}/verify",
        valid=lambda w, db: {"decision": "close", "note": "", "version": _rect_version(db, w)},
        fields={"decision": ("整改核实结论", "decision on the rectification")},
        state=_row(Rectification, "rectification"),
    ),
    "account state": ChoiceForm(
        user="admin",
        path=lambda w: f"/admin/users/{w['hebei_id']}/active",
        valid=lambda w, db: {"active": "no", "version": _user(db, "hebei").version},
        fields={"active": ("账号启用", "account enabled")},
        state=lambda db, w: (_user(db, "hebei").active, _user(db, "hebei").version),
    ),
    "cycle move": ChoiceForm(
        user="assessor",
        path=lambda w: f"/cycles/{w['open']}/move",
        valid=lambda w, db: {"target": "verification", "version": _cycle_version(db, w["open"])},
        fields={"target": ("目标状态", "target state")},
        state=lambda db, w: (_count(db, CycleEvent), _cycle_version(db, w["open"])),
    ),
    "preliminary run": ChoiceForm(
        user="assessor",
        path=lambda w: f"/cycles/{w['open']}/compute",
        valid=lambda w, db: {"preliminary": "yes"},
        fields={"preliminary": ("初步结果", "preliminary run")},
        state=lambda db, w: _count(db, Run),
    ),
    "new user's role": ChoiceForm(
        user="admin",
        path=lambda w: "/admin/users",
        valid=lambda w, db: {"username": "li", "role": "auditor", "password": "a-long-password"},
        fields={"role": ("角色", "role")},
        state=lambda db, w: _count(db, User),
    ),
}


def _count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _rect_version(db, world) -> int:
    with db.read() as session:
        return session.get(Rectification, world["rectification"]).version


def _audit_entries(db) -> int:
    return _count(db, AuditEntry)


@pytest.fixture
def objects(world, login, db):
    """The world with a pending appeal and a rectification whose evidence was submitted."""
    return {
        **world,
        "appeal": _pending_appeal(world, login, db),
        "rectification": _submitted_rectification(world, login, db),
        "hebei_id": _user(db, "hebei").id,
    }


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_values_outside_the_allowed_list_are_refused_and_nothing_is_stored(
    form, objects, login, db
):
    client = login(form.user)
    path = form.path(objects)
    before, audited = form.state(db, objects), _audit_entries(db)
    for field, (label, _) in form.fields.items():
        for value in REFUSED:
            data = {**form.valid(objects, db), field: value, "csrf_token": client.csrf}
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 400, (field, value, response.status_code)
            assert label in response.text and field in response.text, response.text
            assert form.state(db, objects) == before, (field, value)
            assert _audit_entries(db) == audited, (field, value)


@pytest.mark.parametrize(
    "form",
    [f for name, f in FORMS.items() if name != "preliminary run"],
    ids=[name for name in FORMS if name != "preliminary run"],
)
def test_the_allowed_values_still_work(form, objects, login, db):
    client = login(form.user)
    before = form.state(db, objects)
    response = client.post(
        form.path(objects),
        data={**form.valid(objects, db), "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303), response.text
    assert form.state(db, objects) != before


def test_a_yes_no_answer_left_out_is_not_read_as_no(objects, login, db):
    client = login("team_a")
    data = {**FORMS["verification"].valid(objects, db), "csrf_token": client.csrf}
    del data["recognizes"]
    response = client.post(f"/verification/{objects['assignment']}", data=data)
    assert response.status_code in (400, 422) and "recognizes" in response.text
    assert _count(db, VerificationResult) == 0


def test_the_message_is_english_for_an_english_session(objects, login, db):
    client = login("reviewer")
    client.get("/lang/en")
    response = client.post(
        f"/appeals/{objects['appeal']}/decide",
        data={"decision": "是", "note": "", "version": 1, "csrf_token": client.csrf},
    )
    assert response.status_code == 400
    message = re.sub(r"\s+", " ", response.text)
    assert "decision on the appeal (decision)" in message and "accept" in message
    with db.read() as session:
        assert session.get(Appeal, objects["appeal"]).status == "pending"
