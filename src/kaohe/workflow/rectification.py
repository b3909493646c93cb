"""Rectification (整改): the owner unit uploads evidence; a verifier (its team), an assessor or the
administrator closes or reopens; items past their deadline and not closed are overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.locking import expect_version
from ..store.models import Rectification, Unit
from .cycles import get_cycle
from .errors import Invalid, NotFound, WrongState
from .findings import attach
from .roles import Actor, require, require_team, require_unit

STATUSES = {
    "open": ("整改中", "open"),
    "submitted": ("已提交整改材料", "evidence submitted"),
    "closed": ("已销号", "closed"),
}


def status_label(status: str) -> str:
    return text(*STATUSES[status])


def is_overdue(item: Rectification, today: dt.date) -> bool:
    return item.status != "closed" and today > item.deadline


def create(
    session: Session,
    actor: Actor,
    cycle_id: int,
    unit_code: str,
    title: str,
    deadline: dt.date,
    finding_id: int | None = None,
    team_id: int | None = None,
) -> Rectification:
    require(actor, "rectification.create")
    get_cycle(session, cycle_id)
    if session.get(Unit, unit_code) is None:
        raise NotFound(text(f"没有单位 {unit_code}", f"no unit {unit_code}"))
    if not title.strip():
        raise Invalid(text("请填写整改事项", "give the rectification a title"))
    item = Rectification(
        cycle_id=cycle_id,
        unit_code=unit_code,
        title=title.strip(),
        deadline=deadline,
        finding_id=finding_id,
        team_id=team_id,
        status="open",
    )
    session.add(item)
    session.flush()
    return item


def _sees(actor: Actor, item: Rectification, unit: Unit) -> bool:
    if actor.role == "verifier":
        return item.team_id is not None and item.team_id == actor.team_id
    return actor.sees_unit(unit)


def visible(session: Session, actor: Actor, cycle_id: int) -> list[Rectification]:
    require(actor, "rectification.view")
    rows = session.execute(
        select(Rectification, Unit)
        .join(Unit, Unit.code == Rectification.unit_code)
        .where(Rectification.cycle_id == cycle_id)
        .order_by(Rectification.deadline, Rectification.id)
    ).all()
    return [r for r, u in rows if _sees(actor, r, u)]


def get(session: Session, actor: Actor, item_id: int) -> Rectification:
    require(actor, "rectification.view")
    item = session.get(Rectification, item_id)
    if item is None:
        raise NotFound(text(f"没有整改事项 {item_id}", f"no rectification {item_id}"))
    if actor.role == "verifier":
        require_team(actor, item.team_id)
    else:
        require_unit(actor, session.get(Unit, item.unit_code))
    return item


def submit_evidence(
    session: Session,
    actor: Actor,
    item_id: int,
    filename: str,
    content: bytes,
    note: str = "",
    seen_version: int | None = None,
) -> Rectification:
    require(actor, "rectification.evidence")
    item = get(session, actor, item_id)
    expect_version(item, seen_version, text("整改事项", "the rectification"))
    if item.status == "closed":
        raise WrongState(text("该整改事项已销号", "this rectification is closed"))
    attach(session, actor, "rectification", item.id, filename, content)
    item.status = "submitted"
    if note:
        item.note = note
    session.flush()
    return item


def verify(
    session: Session,
    actor: Actor,
    item_id: int,
    close: bool,
    note: str = "",
    seen_version: int | None = None,
) -> Rectification:
    require(actor, "rectification.verify")
    item = get(session, actor, item_id)
    expect_version(item, seen_version, text("整改事项", "the rectification"))
    if close and item.status != "submitted":
        raise WrongState(
            text(
                "尚未提交整改材料，不能销号", "no evidence has been submitted; it cannot be closed"
            )
        )
    item.status = "closed" if close else "open"
    item.note = note or item.note
    session.flush()
    return item
