"""Reading the audit log (审计日志) page by page, newest first; the log itself is written by the
store for every change (``kaohe.store.audit_log``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import AuditEntry
from .roles import Actor, require

PAGE = 100


def recent_entries(session: Session, actor: Actor, before: int | None = None) -> list[AuditEntry]:
    """The newest ``PAGE`` entries, or those before entry ``before``."""
    require(actor, "audit.view")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE)
    if before:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query))
