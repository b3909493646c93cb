"""Submissions: a unit's data for a source in a cycle. Each upload becomes a new version (kept
whole, with its errors); a clean version becomes the accepted one and its figures are kept."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.models import Submission, SubmissionVersion, Unit
from .collection import CollectedSource, catalog, check_rows, read_table, store_figures
from .cycles import get_cycle
from .errors import Forbidden, NotFound
from .roles import Actor, require
from .states import require_open
from .uploads import DATA_FILES, check_file


def source_for(actor: Actor, source_id: str) -> CollectedSource:
    source = catalog().get(source_id)
    if source is None:
        raise NotFound(text(f"没有数据源 {source_id}", f"no source {source_id}"))
    return source


def national_unit(session: Session) -> str:
    """The root of the region tree: the owner of submissions made by national-level actors."""
    code = session.scalar(
        select(Unit.code).where(Unit.parent.is_(None), Unit.kind == "region").order_by(Unit.code)
    )
    if code is None:
        raise NotFound(text("尚未导入单位（units.csv）", "no units have been imported yet"))
    return code


def may_submit(actor: Actor, source: CollectedSource) -> bool:
    return actor.role == "admin" or actor.role in source.submitted_by


def reporting_units(session: Session, actor: Actor, source: CollectedSource) -> list[Unit]:
    """The units ``actor`` reports ``source`` for: the source's level within the actor's scope."""
    query = select(Unit).where(Unit.kind == source.kind, Unit.level == source.level)
    if actor.unit_path and actor.role in ("province", "county"):
        query = query.where(Unit.path.startswith(actor.unit_path))
    return [u for u in session.scalars(query.order_by(Unit.code)) if actor.sees_unit(u)]


@dataclass
class UploadOutcome:
    submission: Submission
    version: SubmissionVersion
    accepted: bool
    errors: list[dict]


def upload(
    session: Session,
    actor: Actor,
    cycle_id: int,
    source_id: str,
    filename: str,
    content: bytes,
    today: dt.date | None = None,
) -> UploadOutcome:
    """Check and store one upload as the next version of the submitter's submission.

    The submission belongs to the actor's own unit (a province's file covers its counties);
    the whole file is one version, accepted only when every row is clean.
    """
    require(actor, "submission.upload")
    source = source_for(actor, source_id)
    if not may_submit(actor, source):
        raise Forbidden(
            text(f"您的角色不报送“{source.label}”", f"your role does not submit {source.label_en}")
        )
    cycle = get_cycle(session, cycle_id)
    require_open(cycle.state, "submission", cycle.deadlines, today or dt.date.today())
    checked = check_file(filename, content, DATA_FILES)
    owner = actor.unit_code or national_unit(session)
    allowed = {u.code: u for u in reporting_units(session, actor, source)}
    rows, errors = check_rows(source, read_table(checked.filename, checked.content), allowed)
    submission = session.scalar(
        select(Submission)
        .where(
            Submission.cycle_id == cycle.id,
            Submission.unit_code == owner,
            Submission.source == source.id,
        )
        .with_for_update()
    )
    if submission is None:
        submission = Submission(cycle_id=cycle.id, unit_code=owner, source=source.id, latest=0)
        session.add(submission)
        session.flush()
    number = submission.latest + 1
    version = SubmissionVersion(
        submission_id=submission.id,
        cycle_id=cycle.id,
        number=number,
        filename=checked.filename,
        content=checked.content,
        sha256=hashlib.sha256(checked.content).hexdigest(),
        size=len(checked.content),
        rows=len(rows) + len({e.row for e in errors if e.row > 1}),
        errors=[e.as_dict() for e in errors],
        accepted=not errors,
        created_by=actor.username,
    )
    session.add(version)
    submission.latest = number
    if not errors:
        submission.accepted = number
        store_figures(
            session, source, cycle.period, rows, origin=f"submission {submission.id} v{number}"
        )
    session.flush()
    return UploadOutcome(submission, version, not errors, version.errors)


def visible_submissions(session: Session, actor: Actor, cycle_id: int) -> list[Submission]:
    require(actor, "submission.view")
    subs = session.scalars(
        select(Submission).where(Submission.cycle_id == cycle_id).order_by(Submission.id)
    ).all()
    units = {
        u.code: u
        for u in session.scalars(select(Unit).where(Unit.code.in_({s.unit_code for s in subs})))
    }
    return [s for s in subs if _sees(actor, units[s.unit_code], s)]


def _sees(actor: Actor, unit: Unit, submission: Submission) -> bool:
    if actor.role in ("province", "county"):
        return actor.sees_unit(unit)
    if actor.role in ("finance", "regulator"):
        return submission.source in {
            s.id for s in catalog().values() if actor.role in s.submitted_by
        }
    return True


def get_version(
    session: Session, actor: Actor, submission_id: int, number: int
) -> tuple[Submission, SubmissionVersion]:
    require(actor, "submission.view")
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(text(f"没有报送记录 {submission_id}", f"no submission {submission_id}"))
    if not _sees(actor, session.get(Unit, submission.unit_code), submission):
        raise Forbidden(text("该报送记录不在您的范围内", "this submission is outside your scope"))
    version = session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == number
        )
    )
    if version is None:
        raise NotFound(text(f"没有第 {number} 版", f"no version {number}"))
    return submission, version


def versions(session: Session, submission_id: int) -> list[SubmissionVersion]:
    return list(
        session.scalars(
            select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == submission_id)
            .order_by(SubmissionVersion.number.desc())
        )
    )
