"""Approved data is locked: once a cycle is approved (审定), no flush may add, change or delete
its submissions, verification records, runs or results. Enforced in the session, below every
page and API call, so no code path can forget it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.models import (
    Cycle,
    Result,
    Run,
    Submission,
    SubmissionVersion,
    VerificationAssignment,
    VerificationResult,
    VerificationUpload,
)
from .errors import Locked
from .states import BY_ID, is_locked

LOCKED_KINDS = (
    Submission,
    SubmissionVersion,
    VerificationAssignment,
    VerificationResult,
    VerificationUpload,
    Run,
    Result,
)


def _guard(session: Session, _context, _instances) -> None:
    touched = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, LOCKED_KINDS)
    ]
    if not touched:
        return
    with session.no_autoflush:
        for obj in touched:
            cycle = session.get(Cycle, obj.cycle_id)
            if cycle is not None and is_locked(cycle.state):
                raise Locked(
                    text(
                        f"考核周期 {cycle.period} 已审定（当前阶段：{BY_ID[cycle.state].zh}），"
                        "数据已锁定，不能修改",
                        f"the {cycle.period} cycle was approved (now: {BY_ID[cycle.state].en}); "
                        "its data is locked",
                    )
                )


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "before_flush", _guard)
        _installed = True
