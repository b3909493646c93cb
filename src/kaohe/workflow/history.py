"""The platform's cycles over the years (历年考核结果) for ``kaohe history --store``.

Each cycle whose results are published (at or after 结果发布) contributes its latest run, read as
``run.history.PeriodRun`` so that the history from the platform's store and the one from run
directories (``--runs``) are the same table. A cycle still in computation, review or approval is
left out: its results are not the unit's record yet. A preliminary run (初步结果) never reaches
publication (``cycles.require_final``), so the latest run of a published cycle is official.

The platform keeps each unit's explanation and the tree's labels in Chinese; a label the run did
not record in English is shown in Chinese in both languages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..run.history import PeriodRun
from ..store.models import Cycle, Rectification, Result, Run, Unit
from .cycles import latest_run
from .roles import Actor
from .states import ORDER

PUBLISHED_FROM = "publication"


@dataclass(frozen=True)
class StoredItem:
    """A rectification item of the platform, as ``run.history.attach_rectifications`` takes it."""

    id: str
    unit: str
    period: str
    scheme: str
    kind: str
    title: str
    status: str
    deadline: dt.date


def published_cycles(session: Session, schemes: Sequence[str] = ()) -> list[Cycle]:
    """Cycles whose results are published, by period; only ``schemes`` when given."""
    query = select(Cycle).order_by(Cycle.period, Cycle.scheme)
    if schemes:
        query = query.where(Cycle.scheme.in_(list(schemes)))
    return [c for c in session.scalars(query) if ORDER[c.state] >= ORDER[PUBLISHED_FROM]]


def stored_runs(session: Session, cycles: Sequence[Cycle]) -> list[PeriodRun]:
    """Each cycle's latest run with every unit's explanation."""
    runs = []
    for cycle in cycles:
        run = latest_run(session, cycle.id)
        if run is not None:
            runs.append(_period_run(session, cycle, run))
    return runs


def _period_run(session: Session, cycle: Cycle, run: Run) -> PeriodRun:
    units = {
        result.unit_code: {
            **(result.explain or {}),
            "score": result.score,
            "grade": result.grade,
            "rank": result.rank,
        }
        for result in session.scalars(select(Result).where(Result.run_id == run.id))
    }
    recorded = (run.manifest or {}).get("scheme") or {}
    labels = {node["id"]: node.get("label") or node["id"] for node in run.tree or []}
    for entry in units.values():
        for part in ("indicators", "nodes"):
            for name, item in (entry.get(part) or {}).items():
                if isinstance(item, dict) and item.get("label"):
                    labels.setdefault(name, item["label"])
    return PeriodRun(
        where=text(
            f"平台考核周期 {cycle.id}（{cycle.title}）第 {run.id} 次计算",
            f"the platform's cycle {cycle.id} ({cycle.title}), run {run.id}",
        ),
        period=cycle.period,
        scheme={
            "id": run.scheme,
            "title": recorded.get("title") or cycle.title,
            "version": recorded.get("version") or "",
        },
        grades=list(run.grades or []),
        units=units,
        label=lambda name, _lang: labels.get(name, name),
    )


def within_scope(session: Session, run: PeriodRun, actor: Actor) -> PeriodRun:
    """``run`` with only the units ``actor`` may see (``Actor.sees_unit``: a province its own
    subtree). A unit the platform no longer knows is left out: its scope cannot be decided."""
    known = session.scalars(select(Unit).where(Unit.code.in_(list(run.units))))
    seen = {unit.code for unit in known if actor.sees_unit(unit)}
    return dataclasses.replace(
        run, units={code: entry for code, entry in run.units.items() if code in seen}
    )


def stored_items(session: Session, unit: str, cycles: Sequence[Cycle]) -> list[StoredItem]:
    """The rectification items of ``unit`` and of the units below it (a province answers for
    its counties' items), each under its cycle's period and scheme; an item of a unit below
    is titled with that unit's name."""
    top = session.get(Unit, unit)
    if top is None:
        return []
    by_id = {cycle.id: cycle for cycle in cycles}
    query = (
        select(Rectification, Unit.name)
        .join(Unit, Rectification.unit_code == Unit.code)
        .where(Unit.path.startswith(top.path), Rectification.cycle_id.in_(list(by_id)))
        .order_by(Rectification.deadline, Unit.path, Rectification.id)
    )
    return [
        StoredItem(
            id=item.ledger_item or str(item.id),
            unit=unit,
            period=by_id[item.cycle_id].period,
            scheme=by_id[item.cycle_id].scheme,
            kind=item.kind,
            title=item.title if item.unit_code == unit else f"{name}{text('：', ': ')}{item.title}",
            status=item.status,
            deadline=item.deadline,
        )
        for item, name in session.execute(query)
    ]
