"""Findings (问题) and appeals: in the feedback window (沟通反馈) a unit disputes a finding with
evidence; a reviewer decides; the decision is logged and, if accepted, withdraws the finding."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.locking import expect_version
from ..store.models import Appeal, Attachment, Finding, Unit, utcnow
from .cycles import get_cycle
from .errors import Invalid, NotFound, WrongState
from .roles import Actor, require, require_unit
from .states import require_open
from .uploads import EVIDENCE_FILES, check_file


def _unit(session: Session, code: str) -> Unit:
    unit = session.get(Unit, code)
    if unit is None:
        raise NotFound(text(f"没有单位 {code}", f"no unit {code}"))
    return unit


def create_finding(
    session: Session,
    actor: Actor,
    cycle_id: int,
    unit_code: str,
    kind: str,
    cases: int,
    description: str = "",
) -> Finding:
    require(actor, "finding.create")
    get_cycle(session, cycle_id)
    _unit(session, unit_code)
    finding = Finding(
        cycle_id=cycle_id,
        unit_code=unit_code,
        kind=kind,
        cases=cases,
        description=description,
        status="open",
        created_by=actor.username,
    )
    session.add(finding)
    session.flush()
    return finding


def visible_findings(session: Session, actor: Actor, cycle_id: int) -> list[Finding]:
    require(actor, "finding.view")
    rows = session.execute(
        select(Finding, Unit)
        .join(Unit, Unit.code == Finding.unit_code)
        .where(Finding.cycle_id == cycle_id)
        .order_by(Finding.unit_code, Finding.id)
    ).all()
    return [f for f, u in rows if actor.sees_unit(u)]


def unit_findings(session: Session, actor: Actor, cycle_id: int, unit: Unit) -> list[Finding]:
    """The findings of one unit, if the unit is in the actor's scope (else none)."""
    require(actor, "finding.view")
    if not actor.sees_unit(unit):
        return []
    return list(
        session.scalars(
            select(Finding)
            .where(Finding.cycle_id == cycle_id, Finding.unit_code == unit.code)
            .order_by(Finding.id)
        )
    )


def get_finding(session: Session, actor: Actor, finding_id: int) -> Finding:
    require(actor, "finding.view")
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(text(f"没有问题 {finding_id}", f"no finding {finding_id}"))
    require_unit(actor, _unit(session, finding.unit_code))
    return finding


def attach(
    session: Session, actor: Actor, owner_kind: str, owner_id: int, filename: str, content: bytes
) -> Attachment:
    checked = check_file(filename, content, EVIDENCE_FILES)
    attachment = Attachment(
        owner_kind=owner_kind,
        owner_id=owner_id,
        filename=checked.filename,
        content_type=checked.content_type,
        content=checked.content,
        sha256=hashlib.sha256(checked.content).hexdigest(),
        size=len(checked.content),
        uploaded_by=actor.username,
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachments(session: Session, owner_kind: str, owner_id: int) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id)
            .order_by(Attachment.id)
        )
    )


def file_appeal(
    session: Session,
    actor: Actor,
    finding_id: int,
    reason: str,
    evidence: tuple[str, bytes] | None = None,
    today: dt.date | None = None,
) -> Appeal:
    require(actor, "appeal.create")
    finding = get_finding(session, actor, finding_id)
    cycle = get_cycle(session, finding.cycle_id)
    require_open(cycle.state, "feedback", cycle.deadlines, today or dt.date.today())
    if not reason.strip():
        raise Invalid(text("请写明申诉理由", "give the reason for the appeal"))
    pending = session.scalar(
        select(Appeal.id).where(Appeal.finding_id == finding.id, Appeal.status == "pending")
    )
    if pending:
        raise WrongState(
            text("该问题已有待处理的申诉", "this finding already has a pending appeal")
        )
    appeal = Appeal(
        finding_id=finding.id,
        unit_code=finding.unit_code,
        reason=reason.strip(),
        status="pending",
        created_by=actor.username,
    )
    session.add(appeal)
    session.flush()
    if evidence is not None:
        attach(session, actor, "appeal", appeal.id, *evidence)
    return appeal


def visible_appeals(session: Session, actor: Actor, cycle_id: int) -> list[tuple[Appeal, Finding]]:
    require(actor, "finding.view")
    rows = session.execute(
        select(Appeal, Finding, Unit)
        .join(Finding, Finding.id == Appeal.finding_id)
        .join(Unit, Unit.code == Appeal.unit_code)
        .where(Finding.cycle_id == cycle_id)
        .order_by(Appeal.id)
    ).all()
    return [(a, f) for a, f, u in rows if actor.sees_unit(u)]


def decide_appeal(
    session: Session,
    actor: Actor,
    appeal_id: int,
    accept: bool,
    note: str,
    seen_version: int | None = None,
) -> Appeal:
    require(actor, "appeal.decide")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(text(f"没有申诉 {appeal_id}", f"no appeal {appeal_id}"))
    expect_version(appeal, seen_version, text("申诉", "the appeal"))
    if appeal.status != "pending":
        raise WrongState(text("该申诉已有决定", "this appeal was already decided"))
    finding = session.get(Finding, appeal.finding_id)
    cycle = get_cycle(session, finding.cycle_id)
    if cycle.state != "feedback":
        raise WrongState(text("只能在沟通反馈阶段决定申诉", "appeals are decided during feedback"))
    appeal.status = "accepted" if accept else "rejected"
    appeal.decision_note = note
    appeal.decided_by = actor.username
    appeal.decided_at = utcnow()
    finding.status = "withdrawn" if accept else "upheld"
    session.flush()
    return appeal


def appeal_cycle(session: Session, appeal: Appeal) -> int:
    """The cycle of the finding an appeal disputes."""
    return session.get(Finding, appeal.finding_id).cycle_id
