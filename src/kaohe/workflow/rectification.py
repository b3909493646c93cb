"""Rectification (整改): the owner unit uploads evidence; a verifier (its team), an assessor or the
administrator closes or reopens; items past their deadline with nothing submitted are overdue.

The lifecycle is the one of the outcomes ledger (``kaohe.outcomes.lifecycle``), not a second
copy: every move asks its ``next_status``. An item brought in from a ledger
(``kaohe db import-ledger``) stays recorded there: the platform appends its evidence and
decisions to that ledger as events, under the ledger's lock, and the ledger refuses what its
lifecycle does not allow (then nothing changes here either)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import KaoheError
from ..i18n import text
from ..outcomes import lifecycle
from ..outcomes.ledger import EVENTS_FILE, Ledger
from ..store.locking import expect_version
from ..store.models import Rectification, Unit
from .cycles import get_cycle
from .errors import Invalid, NotFound, WrongState
from .findings import attach
from .ledger_import import ledger_note
from .roles import Actor, require, require_team, require_unit


def status_label(status: str) -> str:
    return lifecycle.status_name(status)


def event_label(event: str) -> str:
    return lifecycle.event_name(event)


def is_overdue(item: Rectification, today: dt.date) -> bool:
    # The ledger's rule, applied to the platform's row (it reads only status and deadline).
    return lifecycle.Item.overdue_on(item, today)


def _move(item: Rectification, event: str) -> str:
    try:
        return lifecycle.next_status(item.status, event)
    except lifecycle.LifecycleError:
        # the ledger's message names the event's kind; the platform's user reads its name
        raise WrongState(lifecycle.refusal(item.status, event)) from None


def _record_in_ledger(item: Rectification, actor: Actor, event: str, data: dict) -> None:
    """Append the platform's action on a ledger item to its ledger (all or nothing)."""
    if item.ledger_item is None:
        return

    if not (Path(item.ledger_dir) / EVENTS_FILE).is_file():
        raise WrongState(
            text(
                f"找不到该事项的整改台账 {item.ledger_dir}；台账被移走后请重新导入",
                f"the outcomes ledger of this item, {item.ledger_dir}, is not there; if it was "
                "moved, import it again from its new place",
            )
        )
    try:
        state = Ledger(Path(item.ledger_dir)).append(
            [(event, {"item": item.ledger_item, **data})], actor=actor.username
        )
    except KaoheError as error:
        raise WrongState(
            text(
                f"整改台账拒绝了此操作（台账中的状态可能已被他人改变；请重新导入台账）：{error}",
                f"the outcomes ledger refused this (its item may have moved on; import the "
                f"ledger again): {error}",
            )
        ) from None
    item.note = ledger_note(state.items[item.ledger_item])  # as an import would show it


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


def sees(actor: Actor, item: Rectification, unit: Unit) -> bool:
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
    return [r for r, u in rows if sees(actor, r, u)]


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


def _to_change(
    session: Session, actor: Actor, item_id: int, seen_version: int | None, permission: str
) -> Rectification:
    """The item ``actor`` may change with ``permission``, as the version the user saw."""
    require(actor, permission)
    item = get(session, actor, item_id)
    expect_version(item, seen_version, text("整改事项", "the rectification"))
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
    item = _to_change(session, actor, item_id, seen_version, "rectification.evidence")
    status = _move(item, "evidence_submitted")
    attached = attach(session, actor, "rectification", item.id, filename, content)
    item.status = status
    if note:
        item.note = note
    session.flush()
    _record_in_ledger(
        item,
        actor,
        "evidence_submitted",
        {"evidence": [f"{attached.filename} (sha256 {attached.sha256})"], "note": note},
    )
    return item


def verify(
    session: Session,
    actor: Actor,
    item_id: int,
    close: bool,
    note: str = "",
    seen_version: int | None = None,
) -> Rectification:
    item = _to_change(session, actor, item_id, seen_version, "rectification.verify")
    if item.status != "submitted":
        raise WrongState(
            text(
                "尚未提交整改材料，不能销号或退回",
                "no evidence has been submitted; it cannot be closed or sent back",
            )
        )
    event = "verified" if close else "verification_failed"
    item.status = _move(item, event)
    item.note = note or item.note
    session.flush()
    _record_in_ledger(item, actor, event, {"note": note})
    return item
