"""The audit log: every write to the platform database appends (who, when, what, before, after),
each entry carrying the sha256 of the previous one, so an edited or deleted entry is detectable.

Entries are written from session hooks rather than by each operation, so no write can forget to
be audited: ``before_flush`` copies the old values of what is about to change, ``after_flush``
the new ones and appends the entries. Secrets never enter the log; that they changed does.
Entries are strict JSON (no NaN or infinity): a value that cannot be written so refuses the
whole write (``UnloggableValue``). Ids are taken from the chain head under a row lock, not from a
sequence: they are consecutive, and a gap means a deleted entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from ..errors import KaoheError
from ..i18n import text
from .models import AuditEntry, AuditHead, Base, utcnow

GENESIS = "0" * 64
# Columns never copied into the log: secrets, and blobs (their sha256 column is logged instead).
HIDDEN = {"password_hash", "token_hash", "content"}
HIDDEN_MARK = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"


class ReadOnlyError(KaoheError):
    """A write attempted through a read-only session (a bug in the caller)."""


class UnloggableValue(Exception):
    """A value the audit log cannot hold as strict JSON (NaN, infinity, an unknown type): a bug
    in the code that wrote it, so not a ``KaoheError`` — the write is refused whole."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return value


def _snapshot(obj: Base, which: str) -> dict[str, Any]:
    """Column values of ``obj`` before (``which='before'``) or after the pending flush.

    Take the before copy in ``before_flush``: during the flush SQLAlchemy writes the new
    ``version`` (``version_id_col``) straight into the object without history, so a copy taken
    afterwards carries the new version and a change of a hidden column alone looked empty."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key in HIDDEN:
            # An existing row: never the secret, but whether it changed, or a new password would
            # leave no trace. (New rows are still pending here: nothing to compare with.)
            if state.persistent:
                changed = which == "after" and bool(history.added)
                values[attr.key] = HIDDEN_CHANGED if changed else HIDDEN_MARK
            continue
        if which == "after":
            value = (
                history.added[0]
                if history.added
                else (history.unchanged[0] if history.unchanged else None)
            )
        else:
            if history.deleted:
                value = history.deleted[0]
            elif history.unchanged:
                value = history.unchanged[0]
            else:
                value = None
        values[attr.key] = _plain(value)
    return values


def _identity(obj: Base) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join("" if k is None else str(k) for k in key)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = json.dumps(
        entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _canonical(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": _plain(row["at"]),
        "actor": row["actor"],
        "action": row["action"],
        "entity": row["entity"],
        "entity_id": row["entity_id"],
        "before": row["before"],
        "after": row["after"],
    }


def _changes(session: Session) -> list[tuple[str, str, dict | None, dict | None]]:
    befores = session.info.pop("audit_before", {})
    out = []
    for obj in session.new:
        if isinstance(obj, AuditEntry | AuditHead):
            continue
        out.append((type(obj).__tablename__, _identity(obj), None, _snapshot(obj, "after")))
    for obj in session.dirty:
        if isinstance(obj, AuditEntry | AuditHead) or not session.is_modified(obj):
            continue
        before = befores.get(obj) or _snapshot(obj, "before")
        after = _snapshot(obj, "after")
        changed = {k for k in after if before.get(k) != after.get(k)}
        if not changed:
            continue
        out.append((type(obj).__tablename__, _identity(obj), before, after))
    for obj in session.deleted:
        if isinstance(obj, AuditEntry | AuditHead):
            continue
        before = befores.get(obj) or _snapshot(obj, "before")
        out.append((type(obj).__tablename__, _identity(obj), before, None))
    return out


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise ReadOnlyError("write attempted in a read-only session")
    # The before copies, while the objects still hold their old version (see ``_snapshot``);
    # a new dict each flush, so a flush that failed leaves nothing stale behind.
    session.info["audit_before"] = {
        obj: _snapshot(obj, "before")
        for obj in (*session.dirty, *session.deleted)
        if not isinstance(obj, AuditEntry | AuditHead)
    }


def _after_flush(session: Session, _context) -> None:
    changes = _changes(session)
    if not changes:
        return
    append(
        session, session.info.get("actor", "system"), session.info.get("action", "write"), changes
    )


def _strict_json(entity: str, entity_id: str, values: dict[str, Any] | None) -> str | None:
    """``values`` as strict JSON (no NaN or infinity, which JSON does not have and other tools
    reject); a value that cannot be written so is a bug, named with its column."""
    if values is None:
        return None
    try:
        return json.dumps(values, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        for column, value in values.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as error:
                raise UnloggableValue(
                    f"audit log: {entity}/{entity_id} column {column} holds {value!r}, which "
                    f"strict JSON cannot hold ({error}); fix the code that wrote it"
                ) from None
        raise


def append(
    session: Session,
    actor: str,
    action: str,
    changes: list[tuple[str, str, dict | None, dict | None]],
) -> None:
    """Append entries under a lock on the chain head (``SELECT … FOR UPDATE``)."""
    connection = session.connection()
    head = connection.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    ).first()
    if head is None:
        last_id, last_hash = 0, GENESIS
        connection.execute(insert(AuditHead).values(id=1, last_id=0, last_hash=GENESIS))
    else:
        last_id, last_hash = head
    now = utcnow()
    rows = []
    for entity, entity_id, before, after in changes:
        last_id += 1
        row = {
            "id": last_id,
            "at": now,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": _strict_json(entity, entity_id, before),
            "after": _strict_json(entity, entity_id, after),
        }
        row["prev_hash"] = last_hash
        row["hash"] = last_hash = entry_hash(last_hash, _canonical(row))
        rows.append(row)
    connection.execute(insert(AuditEntry), rows)
    connection.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash)
    )


_installed = False


def install() -> None:
    """Register the session hooks (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    _installed = True


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def verify(session: Session, batch: int = 5000) -> list[ChainProblem]:
    """Walk the chain; report the first entry that was edited, deleted or inserted out of order."""
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash)).first()
    expected_prev = GENESIS
    expected_id = 1
    after_id = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry.__table__)
                .where(AuditEntry.id > after_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            if row["id"] != expected_id:
                return [
                    ChainProblem(
                        expected_id,
                        text(
                            f"审计日志第 {expected_id} 条缺失（已被删除）",
                            f"audit entry {expected_id} is missing (deleted)",
                        ),
                    )
                ]
            if row["prev_hash"] != expected_prev:
                return [
                    ChainProblem(
                        row["id"],
                        text(
                            f"审计日志第 {row['id']} 条的前序哈希不符：前一条被改动或删除",
                            f"audit entry {row['id']}: previous hash does not match; the entry before "
                            "it was edited or deleted",
                        ),
                    )
                ]
            if entry_hash(row["prev_hash"], _canonical(row)) != row["hash"]:
                return [
                    ChainProblem(
                        row["id"],
                        text(
                            f"审计日志第 {row['id']} 条的内容被改动（哈希不符）",
                            f"audit entry {row['id']} was edited (its hash does not match)",
                        ),
                    )
                ]
            expected_prev = row["hash"]
            expected_id += 1
            after_id = row["id"]
    last_id = expected_id - 1
    if head is not None and (head.last_id != last_id or head.last_hash != expected_prev):
        missing = last_id + 1 if head.last_id > last_id else head.last_id
        return [
            ChainProblem(
                missing,
                text(
                    f"审计日志在第 {missing} 条处被截断或改动（链头记录为第 {head.last_id} 条）",
                    f"the audit log was truncated or altered at entry {missing} (the chain head "
                    f"records entry {head.last_id})",
                ),
            )
        ]
    if head is None and last_id:
        return [ChainProblem(1, text("审计日志链头缺失", "the audit chain head is missing"))]
    return []
