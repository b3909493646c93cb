"""Checkpoints of the audit log: its head, kept outside the database, against which a log cut at
its newest end — or emptied — is caught.

The hash chain (audit_log.py) proves that no entry was edited or removed from the middle, but a
log whose newest entries were deleted, head and all, is a shorter chain that is just as
consistent, and an empty log is a chain of none. A checkpoint records the head as it was (entry
count, last id and hash, time) in a small JSON file the operator keeps elsewhere (another
machine, a signed mail, a printout); ``kaohe audit verify --checkpoint FILE`` then requires that
the entry with the checkpoint's id still exists and carries its hash, and that the log holds at
least as many entries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import DataError, UsageError
from ..i18n import text
from .audit_log import GENESIS, ChainProblem
from .models import AuditEntry


@dataclass(frozen=True)
class Checkpoint:
    """The head of the audit log at one moment."""

    count: int
    last_id: int
    last_hash: str
    at: str  # UTC, ISO 8601

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def take(session: Session) -> Checkpoint:
    """The head of the log now."""
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if last is None:
        return Checkpoint(0, 0, GENESIS, now)
    return Checkpoint(int(count), int(last.id), str(last.hash), now)


def load(path: Path) -> Checkpoint:
    """A checkpoint file written by ``kaohe audit checkpoint``."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(
            count=int(raw["count"]),
            last_id=int(raw["last_id"]),
            last_hash=str(raw["last_hash"]),
            at=str(raw.get("at", "")),
        )
    except FileNotFoundError:
        raise UsageError(text(f"找不到检查点文件 {path}", f"no checkpoint file {path}")) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise DataError(
            text(
                f"{path}：不是 kaohe audit checkpoint 写出的检查点（{type(error).__name__}: "
                f"{error}）；应有 count、last_id、last_hash",
                f"{path}: not a checkpoint written by kaohe audit checkpoint "
                f"({type(error).__name__}: {error}); it needs count, last_id and last_hash",
            )
        ) from None


def check(session: Session, checkpoint: Checkpoint) -> list[ChainProblem]:
    """What the log lost since ``checkpoint``: fewer entries, the checkpoint's entry deleted, or
    that entry carrying another hash (the chain rewritten from there)."""
    problems = []
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    when = checkpoint.at or "?"
    if count < checkpoint.count:
        problems.append(
            ChainProblem(
                checkpoint.last_id,
                text(
                    f"审计日志现有 {count} 条，少于检查点（{when}）记录的 {checkpoint.count} 条："
                    "日志被截断或清空",
                    f"the audit log holds {count} entries, fewer than the {checkpoint.count} "
                    f"recorded at the checkpoint ({when}): it was truncated or emptied",
                ),
            )
        )
    if checkpoint.last_id > 0:
        found = session.scalar(select(AuditEntry.hash).where(AuditEntry.id == checkpoint.last_id))
        if found is None:
            problems.append(
                ChainProblem(
                    checkpoint.last_id,
                    text(
                        f"审计日志第 {checkpoint.last_id} 条（检查点 {when} 时的最新一条）缺失："
                        "最新的记录被删除",
                        f"audit entry {checkpoint.last_id}, the newest at the checkpoint "
                        f"({when}), is missing: the newest entries were deleted",
                    ),
                )
            )
        elif found != checkpoint.last_hash:
            problems.append(
                ChainProblem(
                    checkpoint.last_id,
                    text(
                        f"审计日志第 {checkpoint.last_id} 条的哈希与检查点（{when}）记录的不同："
                        "日志自该条起被重写",
                        f"audit entry {checkpoint.last_id} no longer carries the hash recorded "
                        f"at the checkpoint ({when}): the log was rewritten up to it",
                    ),
                )
            )
    return problems
