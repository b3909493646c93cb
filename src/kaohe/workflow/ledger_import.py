"""Bringing the items of an outcomes ledger (``kaohe outcomes …``, ``LEDGER/events.jsonl``) into
the platform's rectification pages.

The ledger is folded by its own code (``kaohe.outcomes.Ledger.state``, the lifecycle of
``kaohe.outcomes.lifecycle``), never re-interpreted here. Each item becomes one rectification row
keyed by its ledger id: importing again updates the rows (status, owner's deadline, latest note)
and adds only new items — nothing is duplicated. An item goes to the platform cycle of its scheme
and period, or to the one ``cycle_id`` names. Every unit and cycle is checked before anything is
written; one problem refuses the whole import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DataError
from ..i18n import text
from ..outcomes.ledger import EVENTS_FILE, Ledger
from ..outcomes.lifecycle import Item
from ..store.models import Cycle, Rectification, Unit
from .cycles import get_cycle
from .errors import Invalid
from .roles import Actor, require

# Items written (and counted) at a time: the count follows the writing, which with its audit
# entries is most of an import's work; batches took no longer than one flush of every item
# (measured on 5,000 items).
FLUSHED_TOGETHER = 500


@dataclass(frozen=True)
class LedgerImport:
    added: int
    updated: int
    unchanged: int


def ledger_note(item: Item) -> str:
    """What the platform shows of a ledger item's evidence, escalation and latest note."""
    last = item.history[-1] if item.history else None
    parts = []
    if item.evidence:
        parts.append(text("佐证材料：", "evidence: ") + "、".join(item.evidence))
    if item.escalated_to:
        parts.append(text(f"已升级至{item.escalated_to}", f"escalated to {item.escalated_to}"))
    if last is not None and last.note:
        parts.append(last.note)
    return "；".join(parts)


def import_ledger(
    session: Session,
    actor: Actor,
    directory: Path,
    cycle_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LedgerImport:
    """Add or update the rectification row of each item of the ledger in ``directory``;
    ``progress`` is told the items written and their number, from (0, items) to (items, items)
    (the ledger is read and checked before: its chain, its transitions, every unit and cycle)."""
    require(actor, "rectification.create")
    directory = Path(directory)
    if not (directory / EVENTS_FILE).is_file():
        raise Invalid(
            text(
                f"{directory} 不是整改台账目录（没有 {EVENTS_FILE}）",
                f"{directory} is not an outcomes ledger (no {EVENTS_FILE})",
            )
        )
    ledger = Ledger(directory)
    ledger.verify()  # a broken chain or a refused transition is reported with its line
    items = sorted(ledger.state().items.values(), key=lambda i: i.id)
    cycles = {(c.scheme, c.period): c.id for c in session.scalars(select(Cycle))}
    if cycle_id is not None:
        get_cycle(session, cycle_id)
    units = set(session.scalars(select(Unit.code).where(Unit.code.in_({i.unit for i in items}))))
    problems = []
    for item in items:
        if item.unit not in units:
            problems.append(
                text(
                    f"事项 {item.id}：单位 {item.unit} 不在平台中（先导入 units.csv）",
                    f"item {item.id}: unit {item.unit} is not in the platform (import units.csv)",
                )
            )
        if cycle_id is None and (item.scheme, item.period) not in cycles:
            problems.append(
                text(
                    f"事项 {item.id}：平台没有 {item.scheme} {item.period} 的考核周期；"
                    "请先创建，或用 --cycle 指定",
                    f"item {item.id}: the platform has no {item.scheme} cycle for {item.period}; "
                    "create it or name one with --cycle",
                )
            )
    if problems:
        raise DataError(f"{directory / EVENTS_FILE}: " + "\n".join(problems[:20]))
    existing = {
        r.ledger_item: r
        for r in session.scalars(
            select(Rectification).where(Rectification.ledger_item.in_([i.id for i in items]))
        )
    }
    added = updated = unchanged = 0
    ledger_dir = str(directory.resolve())
    if progress is not None:
        progress(0, len(items))
    for number, item in enumerate(items, start=1):
        values = {
            "cycle_id": cycle_id or cycles[(item.scheme, item.period)],
            "unit_code": item.unit,
            "title": item.title[:300],
            "deadline": item.deadline,
            "status": item.status,
            "note": ledger_note(item),
            "kind": item.kind,
            "ledger_dir": ledger_dir,
        }
        row = existing.get(item.id)
        if row is None:
            session.add(Rectification(ledger_item=item.id, **values))
            added += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            for key, value in changed.items():
                setattr(row, key, value)
            updated += bool(changed)
            unchanged += not changed
        if number % FLUSHED_TOGETHER == 0 or number == len(items):
            session.flush()
            if progress is not None:
                progress(number, len(items))
    return LedgerImport(added, updated, unchanged)
