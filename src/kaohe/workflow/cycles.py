"""Cycles in the database: create, move through the states (recorded as events and in the audit
log), set deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.locking import expect_version
from ..store.models import Cycle, CycleEvent, Run
from .errors import Invalid, NotFound, WrongState
from .result_views import preliminary_label
from .roles import Actor, require
from .states import BY_ID, NEEDS_FINAL_RESULTS, STATES, transition


def create_cycle(
    session: Session,
    actor: Actor,
    scheme: str,
    period: str,
    title: str,
    deadlines: dict[str, str] | None = None,
) -> Cycle:
    require(actor, "cycle.create")
    deadlines = deadlines or {}
    _check_deadlines(deadlines)
    if session.scalar(select(Cycle).where(Cycle.scheme == scheme, Cycle.period == period)):
        raise Invalid(
            text(f"{scheme} {period} 的考核周期已存在", f"a {scheme} cycle for {period} exists")
        )
    cycle = Cycle(
        scheme=scheme, period=period, title=title, state=STATES[0].id, deadlines=deadlines
    )
    session.add(cycle)
    session.flush()
    return cycle


def _check_deadlines(deadlines: dict[str, str]) -> None:
    for state, due in deadlines.items():
        if state not in BY_ID:
            raise Invalid(text(f"未知的阶段 {state}", f"unknown state {state}"))
        try:
            dt.date.fromisoformat(due)
        except (TypeError, ValueError):
            raise Invalid(
                text(
                    f"{BY_ID[state].zh} 的截止日期 {due!r} 应写成 YYYY-MM-DD",
                    f"the deadline of {BY_ID[state].en}, {due!r}, must be YYYY-MM-DD",
                )
            ) from None


def get_cycle(session: Session, cycle_id: int) -> Cycle:
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(text(f"没有编号为 {cycle_id} 的考核周期", f"no cycle {cycle_id}"))
    return cycle


def list_cycles(session: Session, newest_first: bool = False) -> list[Cycle]:
    """Every cycle: in the order created, or the newest period first (the dashboard)."""
    order = (Cycle.period.desc(), Cycle.id) if newest_first else (Cycle.id,)
    return list(session.scalars(select(Cycle).order_by(*order)))


def events(session: Session, cycle_id: int) -> list[CycleEvent]:
    """The cycle's moves from state to state, oldest first."""
    return list(
        session.scalars(
            select(CycleEvent).where(CycleEvent.cycle_id == cycle_id).order_by(CycleEvent.id)
        )
    )


def move(
    session: Session,
    actor: Actor,
    cycle_id: int,
    target: str,
    seen_version: int | None = None,
    note: str = "",
) -> Cycle:
    """Make the transition to ``target``; the role check comes from the state machine."""
    cycle = get_cycle(session, cycle_id)
    step = transition(cycle.state, target, actor.role)  # role first: no hints to outsiders
    expect_version(cycle, seen_version, text("考核周期", "the cycle"))
    require_final(session, cycle.id, step.source, step.target)  # every path: web, CLI, demo
    if step.source == "computation" and step.target == "review":
        has_run = session.scalar(select(Run.id).where(Run.cycle_id == cycle.id).limit(1))
        if has_run is None:
            raise WrongState(
                text(
                    "还没有计算结果，不能提交审核；请先导入或计算考核结果",
                    "there are no results yet; compute or import a run before review",
                )
            )
    session.add(
        CycleEvent(
            cycle_id=cycle.id,
            from_state=cycle.state,
            to_state=target,
            actor=actor.username,
            note=note,
        )
    )
    cycle.state = target
    session.flush()
    return cycle


def set_deadlines(
    session: Session,
    actor: Actor,
    cycle_id: int,
    deadlines: dict[str, str],
    seen: int | None,
    cleared: Iterable[str] = (),
) -> Cycle:
    """Set or extend the deadlines given (state -> YYYY-MM-DD) and remove those in ``cleared``;
    every other deadline stays as it is. Removing is explicit: a missing or empty date is an
    error, never a removal."""
    require(actor, "cycle.deadlines")
    cleared = set(cleared)
    for state in sorted(cleared):
        if state not in BY_ID:
            raise Invalid(text(f"未知的阶段 {state}", f"unknown state {state}"))
    _check_deadlines(deadlines)
    both = sorted(cleared & deadlines.keys())
    if both:
        raise Invalid(
            text(
                f"{BY_ID[both[0]].zh} 的截止日期不能同时设置和取消",
                f"the deadline of {BY_ID[both[0]].en} cannot be both set and removed",
            )
        )
    cycle = get_cycle(session, cycle_id)
    expect_version(cycle, seen, text("考核周期", "the cycle"))
    updated = {k: v for k, v in {**cycle.deadlines, **deadlines}.items() if k not in cleared}
    if updated != cycle.deadlines:
        cycle.deadlines = updated  # a new dict: the JSON column notices only a new value
    session.flush()
    return cycle


def run_history(session: Session, actor: Actor, cycle_id: int) -> list[dict]:
    """The cycle's runs, oldest first (id, when made, why preliminary or ""); none for those who
    may not see unpublished results."""
    if not actor.can("results.view.unpublished"):
        return []
    rows = session.execute(
        select(Run.id, Run.created_at, Run.manifest["preliminary"])
        .where(Run.cycle_id == cycle_id)
        .order_by(Run.id)
    )
    return [
        {"id": run_id, "created_at": created, "preliminary": preliminary_label(marked)}
        for run_id, created, marked in rows
    ]


def latest_run(session: Session, cycle_id: int) -> Run | None:
    return session.scalar(select(Run).where(Run.cycle_id == cycle_id).order_by(Run.id.desc()))


def require_final(session: Session, cycle_id: int, source: str, target: str) -> None:
    """A cycle goes on to review, approval or publication only with an official run: refuse
    (say why, and what to do) while its latest run is preliminary. Call it in the transaction
    that moves the cycle from ``source`` to ``target``."""
    if (source, target) not in NEEDS_FINAL_RESULTS:
        return
    run = latest_run(session, cycle_id)
    if run is None or not (run.manifest or {}).get("preliminary"):
        return
    why = preliminary_label(run.manifest["preliminary"])
    raise WrongState(
        text(
            f"当前结果是初步结果，不作为正式考核结果（{why}），不能进入“{BY_ID[target].zh}”；"
            "请在核查完成后重新计算正式结果",
            f"the current results are preliminary, not the official results ({why}), and "
            f"cannot go on to {BY_ID[target].en}; compute the results once the checks are done",
        )
    )
