"""Findings (问题) and appeals: in the feedback window (沟通反馈) a unit disputes a finding with
evidence; a reviewer decides; the decision is logged and, if accepted, withdraws the finding.

Every finding says where it came from (问题来源, ``ORIGINS``): audit, inspection (巡视),
supervision (督查), media visits (媒体暗访), third-party assessment, or the assessment's own checks
(考核核查). The Chinese names are the values of the ``findings`` source's ``origin`` column
(``data/schemas/findings.yaml``), which schemes read in their rules."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Origin:
    """Where a finding came from: its code in the platform, its name in the data and in English."""

    code: str
    zh: str
    en: str

    @property
    def label(self) -> str:
        return text(self.zh, self.en)


ORIGINS: tuple[Origin, ...] = (
    Origin("audit", "审计", "audit"),
    Origin("inspection", "巡视", "inspection"),
    Origin("supervision", "督查", "supervision"),
    Origin("media", "媒体暗访", "media visit"),
    Origin("third_party", "第三方评估", "third-party assessment"),
    Origin("assessment", "考核核查", "assessment checks"),
)
ORIGIN_BY_CODE = {o.code: o for o in ORIGINS}

# status → Chinese and English names: a finding stands (open) until an accepted appeal withdraws
# it or a rejected one upholds it; the assessment's own checks withdraw what a later run clears.
FINDING_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待处理", "open"),
    "upheld": ("维持原认定", "upheld"),
    "withdrawn": ("已撤销", "withdrawn"),
}
APPEAL_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("待决定", "pending"),
    "accepted": ("申诉成立", "accepted"),
    "rejected": ("申诉不成立", "rejected"),
}


def finding_status_label(status: str) -> str:
    """The finding's status in the user's language (the code itself if unknown)."""
    zh, en = FINDING_STATUSES.get(status, (status, status))
    return text(zh, en)


def appeal_status_label(status: str) -> str:
    """The appeal's status in the user's language (the code itself if unknown)."""
    zh, en = APPEAL_STATUSES.get(status, (status, status))
    return text(zh, en)


# the assessment's own findings (data checks, overstated self-evaluations; rows before 0006)
ASSESSMENT = "assessment"


def origin_label(code: str) -> str:
    """The origin's name in the user's language (the code itself if unknown)."""
    origin = ORIGIN_BY_CODE.get(code)
    return origin.label if origin is not None else code


def check_origin(value: str | None) -> str:
    """The origin's code; ``Invalid`` naming the field when it is missing or not one of them (a
    Chinese name is accepted for its code, as the data files write it)."""
    value = (value or "").strip()
    for origin in ORIGINS:
        if value in (origin.code, origin.zh):
            return origin.code
    codes = "、".join(f"{o.code}（{o.zh}）" for o in ORIGINS)
    codes_en = ", ".join(f"{o.code} ({o.en})" for o in ORIGINS)
    if not value:
        raise Invalid(
            text(
                f"请填写“问题来源”（origin）：{codes} 之一；未保存任何内容",
                f"give the finding's origin (origin): one of {codes_en}; nothing was saved",
            )
        )
    raise Invalid(
        text(
            f"“问题来源”（origin）只能是 {codes} 之一，不能是 {value!r}；未保存任何内容",
            f"the origin (origin) must be one of {codes_en}, not {value!r}; nothing was saved",
        )
    )


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
    origin: str | None = ASSESSMENT,
) -> Finding:
    """A new finding. ``origin`` is checked (``check_origin``): the findings page passes what
    the user chose, so a missing one is refused there; code recording the assessment's own
    findings may rely on the default."""
    require(actor, "finding.create")
    origin = check_origin(origin)
    get_cycle(session, cycle_id)
    _unit(session, unit_code)
    if not kind.strip():
        raise Invalid(text("请填写“问题类型”（kind）", "give the kind of finding (kind)"))
    if cases < 1:
        raise Invalid(
            text(
                f"“问题数量”（cases）至少为 1，不能是 {cases}",
                f"the number of cases (cases) must be at least 1, not {cases}",
            )
        )
    finding = Finding(
        cycle_id=cycle_id,
        unit_code=unit_code,
        kind=kind.strip(),
        cases=cases,
        description=description,
        status="open",
        created_by=actor.username,
        origin=origin,
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
