"""The platform's application state (users, units, cycles, submissions, verification, findings,
appeals, rectifications, results, tokens, audit log) as SQLAlchemy 2 models.

Tables that change under concurrent editing carry a ``version`` column used by SQLAlchemy's
optimistic locking (``version_id_col``): an update whose version no longer matches fails instead
of silently overwriting somebody else's decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

# Stable constraint names so that migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Versioned:
    """Optimistic locking: every update checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Role(Base):
    __tablename__ = "roles"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))


class Unit(Base):
    """An assessed entity; ``path`` is ``/root/…/code/`` so a subtree is one prefix match."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    level: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="region", index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Team(Base):
    """A verification team (第三方评估组 or cross-province check team)."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(ForeignKey("roles.code"))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for another system; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)


class UserSession(Base):
    """A signed-in browser; the cookie carries only a random token, the table only its sha256,
    so logout, a password reset or disabling the user ends the session on the server."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")


class Cycle(Versioned, Base):
    """One assessment cycle (考核周期): a scheme for a period, moving through the workflow states."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("scheme", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(32))
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # state -> ISO date
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CycleEvent(Base):
    """A transition of a cycle: who moved it from which state to which, and why."""

    __tablename__ = "cycle_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Submission(Versioned, Base):
    """A unit's data for one source in one cycle; every upload is a new ``SubmissionVersion``."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_code", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    latest: Mapped[int] = mapped_column(Integer, default=0)  # number of the latest version
    accepted: Mapped[int | None] = mapped_column(Integer)  # number of the latest clean version


class SubmissionVersion(Base):
    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Figure(Base):
    """One figure of one unit for one period, asked once and reused by every scheme (基层减负)."""

    __tablename__ = "figures"
    __table_args__ = (UniqueConstraint("unit_code", "period", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(200))  # e.g. "submission 12 v3" or "carried"


class VerificationAssignment(Versioned, Base):
    """A sampled household assigned to a verification team."""

    __tablename__ = "verification_assignments"
    __table_args__ = (UniqueConstraint("cycle_id", "household_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    household_id: Mapped[str] = mapped_column(String(64))
    registered: Mapped[bool] = mapped_column(Boolean, default=True)
    exited: Mapped[bool] = mapped_column(Boolean, default=False)
    stratum: Mapped[str] = mapped_column(String(64), default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class VerificationResult(Versioned, Base):
    __tablename__ = "verification_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("verification_assignments.id"), unique=True
    )
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    recognizes: Mapped[bool] = mapped_column(Boolean)
    satisfied_team: Mapped[bool] = mapped_column(Boolean)
    satisfied_cadre: Mapped[bool] = mapped_column(Boolean)
    income_verified: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # "form" (the phone form) or "upload <id> v<number>" (an Excel sheet)
    origin: Mapped[str | None] = mapped_column(String(64))


class VerificationUpload(Base):
    """One uploaded verification sheet, kept whole with its errors; never replaced: every upload
    is the next version of its scope (a team, or the whole cycle for the national office)."""

    __tablename__ = "verification_uploads"
    __table_args__ = (UniqueConstraint("cycle_id", "scope", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))  # "team:<id>" or "all"
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer, default=0)  # results recorded or changed
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Finding(Versioned, Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    cases: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | withdrawn
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Where it came from (问题来源, kaohe.workflow.findings.ORIGINS): audit, inspection, …; the
    # workflow asks for it on every new finding, the server default covers rows made before.
    origin: Mapped[str] = mapped_column(String(16), server_default="assessment")


class Appeal(Versioned, Base):
    """A unit disputes a finding in the feedback window (沟通反馈); the decision is logged."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|accepted|rejected
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Rectification(Versioned, Base):
    """A finding's follow-up (整改): owner unit, deadline, evidence, verification, status."""

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    deadline: Mapped[dt.date] = mapped_column(Date)
    # the statuses of kaohe.outcomes.lifecycle: open|submitted|closed|overdue|escalated
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    # An item of an outcomes ledger (kaohe outcomes …): its id there and the ledger's directory;
    # the ledger stays its record, the platform's actions on it are appended there too.
    ledger_item: Mapped[str | None] = mapped_column(String(64), unique=True)
    ledger_dir: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), default="rectification")  # | finding


class Attachment(Base):
    """Evidence for an appeal or a rectification; content checked before it is stored."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(32), index=True)  # appeal | rectification
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Run(Base):
    """A scoring run imported into the platform (results.csv + explain.json of ``kaohe assess``)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tree: Mapped[list[Any]] = mapped_column(JSON, default=list)  # dimensions: id, label, points
    grades: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("run_id", "unit_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(32))
    rank: Mapped[int | None] = mapped_column(Integer)
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # node id -> points
    explain: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)


class AuditEntry(Base):
    """Append-only, hash-chained: ``hash = sha256(prev_hash + canonical entry)``."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain's last id and hash; locked while appending."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class Job(Base):
    """Work asked for in a web request and done by a worker thread of one of the web processes
    (``kaohe.workflow.jobs``): queued → running → done | failed. ``worker`` and ``heartbeat_at``
    tell whether the process running it is still alive; ``workdir`` is the attempt's directory,
    removed when a dead attempt is recovered."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))  # a username: the job acts as them
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    step: Mapped[str] = mapped_column(String(32), default="")
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. {"run_id": 7}
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    workdir: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SelfEvaluation(Versioned, Base):
    """A province's self-evaluation (省级自评) in a cycle: its self-score for one indicator of the
    cycle's scheme, with what it says about it; the row of the tree's root (``total``) holds the
    written summary and the sum of the self-scores."""

    __tablename__ = "self_evaluations"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_code", "indicator"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    self_score: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
