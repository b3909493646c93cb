"""The dashboard (工作台): every cycle with its current deadline, whether it is overdue, the moves
the user's role may make and, for those who see unpublished results, why its latest run is
preliminary; the fields Kaohe prefills in the templates the user submits (基层减负); and the
user's own work across the cycles, block by block (``dashboard_work``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.models import Cycle, Run, Unit
from .collection import catalog, prefill
from .cycles import list_cycles
from .dashboard_work import Work, work
from .result_views import ResultViews, preliminary_label
from .roles import Actor
from .states import is_locked, overdue, transitions_from
from .submissions import may_submit, reporting_units
from .unit_lookup import find_unit


@dataclass(frozen=True)
class Dashboard:
    rows: list[dict[str, Any]]  # one per cycle, the newest period first
    spared: list[dict[str, Any]]  # per source the user submits, for the newest cycle
    unit: Unit | None  # the user's own unit
    work: Work  # what is due, open, overdue or incomplete for this user


def dashboard(
    session: Session, actor: Actor, today: dt.date, views: ResultViews | None = None
) -> Dashboard:
    """The dashboard of ``actor`` on ``today``; ``views``: the process's cache of run views (the
    completeness block reads the latest run through it)."""
    cycles = list_cycles(session, newest_first=True)
    preliminary = preliminary_runs(session) if actor.can("results.view.unpublished") else {}
    rows = [
        {
            "cycle": cycle,
            "due": cycle.deadlines.get(cycle.state),
            "overdue": overdue(cycle.state, cycle.deadlines, today),
            "moves": transitions_from(cycle.state, actor.role),
            "locked": is_locked(cycle.state),
            "preliminary": preliminary.get(cycle.id, ""),
        }
        for cycle in cycles
    ]
    spared = spared_fields(session, actor, rows[0]["cycle"] if rows else None)
    return Dashboard(
        rows,
        spared,
        find_unit(session, actor.unit_code),
        work(session, actor, cycles, today, views or ResultViews()),
    )


def preliminary_runs(session: Session) -> dict[int, str]:
    """Cycle id → why its latest run is preliminary, for the cycles whose latest run is."""
    latest = select(func.max(Run.id)).group_by(Run.cycle_id)
    return {
        cycle_id: preliminary_label(marked)
        for cycle_id, marked in session.execute(
            select(Run.cycle_id, Run.manifest["preliminary"]).where(Run.id.in_(latest))
        )
        if marked
    }


def spared_fields(session: Session, actor: Actor, cycle: Cycle | None) -> list[dict[str, Any]]:
    """Per source this actor submits: fields Kaohe prefills for it (基层减负)."""
    if cycle is None:
        return []
    out = []
    for source in catalog().values():
        if not may_submit(actor, source) or not source.per_unit:
            continue
        units = reporting_units(session, actor, source)
        _, spared = prefill(session, source, [u.code for u in units], cycle.period)
        out.append({"source": source, "spared": spared, "fields": len(units) * len(source.columns)})
    return out
