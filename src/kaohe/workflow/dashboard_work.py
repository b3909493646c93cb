"""The work the dashboard (工作台) lists for its user, block by block: submissions still owed for
cycles open to submission, verification assignments not done, appeals awaiting a decision,
rectification items to act on and those overdue, open findings, and each unit's data completeness
in the latest run the user may see.

Each block is one query over every cycle (the verification block: one per cycle in verification,
through the area's own function), limited by the rule its own page applies — ``Actor.sees_unit``
for findings and appeals, the rectification page's rule, ``verification.assignments``,
``platform_results.require_results`` — and shown as a count, the first ``LIMIT`` rows and, per
cycle, the page where the rest are dealt with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..outcomes import lifecycle
from ..store.models import Appeal, Cycle, Finding, Rectification, Result, Run, Submission, Unit
from . import verification
from .collection import catalog
from .errors import Forbidden, NotFound
from .platform_results import require_results
from .rectification import is_overdue
from .rectification import sees as sees_rectification  # the rectification page's own rule
from .result_views import RankingRow, ResultViews
from .roles import Actor
from .states import overdue
from .submissions import national_unit
from .unit_lookup import unit_names

LIMIT = 10  # rows shown per block; the rest are a link away


@dataclass(frozen=True)
class Block:
    """Items of one kind: how many, the first ``LIMIT`` (dicts with ``cycle`` and ``href``) and,
    per cycle, how many and the page where they are dealt with."""

    total: int
    rows: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    flagged: int = 0  # how many of them are overdue

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Completeness:
    """Data completeness per unit in the latest run of ``cycle`` the user may see."""

    cycle: Cycle
    block: Block  # rows: the ranking's rows, the least complete first
    withheld: int  # units not graded (withheld or failed)
    incomplete: int  # units with less than all their nominal points backed by data
    preliminary: str  # why the run is preliminary, or ""


@dataclass(frozen=True)
class Work:
    """What the dashboard lists; a block the user's role has nothing to do with is None."""

    submissions: Block | None = None
    verification: Block | None = None
    appeals: Block | None = None
    rectification: Block | None = None  # to act on: evidence owed, or evidence to verify
    overdue: Block | None = None  # overdue items, for those who do not owe the evidence
    findings: Block | None = None
    completeness: Completeness | None = None


def work(
    session: Session, actor: Actor, cycles: Sequence[Cycle], today: dt.date, views: ResultViews
) -> Work:
    """Every block for ``actor`` over ``cycles`` (the newest period first)."""
    rectification_due, rectification_overdue = rectification_blocks(session, actor, cycles, today)
    return Work(
        submissions=submissions_due(session, actor, cycles, today),
        verification=verification_due(session, actor, cycles, today),
        appeals=appeals_pending(session, actor, cycles),
        rectification=rectification_due,
        overdue=rectification_overdue,
        findings=open_findings(session, actor, cycles),
        completeness=completeness(session, actor, cycles, views),
    )


def _block(items: list[dict[str, Any]], page: Callable[[Cycle], str], flagged: int = 0) -> Block:
    """The first ``LIMIT`` items, with the count and page of every cycle among all of them."""
    counts: dict[int, dict[str, Any]] = {}
    for item in items:
        cycle = item["cycle"]
        counts.setdefault(cycle.id, {"cycle": cycle, "count": 0, "href": page(cycle)})
        counts[cycle.id]["count"] += 1
    return Block(len(items), items[:LIMIT], list(counts.values()), flagged)


def _newest_first(cycles: Sequence[Cycle]) -> Callable[[int], int]:
    """The position of a cycle id in the dashboard's order, to sort items by their cycle."""
    order = {c.id: i for i, c in enumerate(cycles)}
    return lambda cycle_id: order.get(cycle_id, len(order))


def submissions_due(
    session: Session, actor: Actor, cycles: Sequence[Cycle], today: dt.date
) -> Block | None:
    """Per cycle open to submission, the sources the user's role submits with no accepted version
    yet from the user's unit (the owner ``submissions.upload`` files them under)."""
    # the sources a role is named to submit: the administrator may submit any (may_submit) but
    # owes none of them
    sources = [s for s in catalog().values() if actor.role in s.submitted_by]
    if not sources or not actor.can("submission.upload"):
        return None
    open_cycles = [c for c in cycles if c.state == "submission"]
    if not open_cycles:
        return _block([], lambda c: f"/cycles/{c.id}/submissions")
    try:
        owner = actor.unit_code or national_unit(session)
    except NotFound:
        owner = None  # no units imported yet: nothing can have been submitted
    made = {
        (cycle_id, source)
        for cycle_id, source in session.execute(
            select(Submission.cycle_id, Submission.source).where(
                Submission.cycle_id.in_([c.id for c in open_cycles]),
                Submission.unit_code == owner,
                Submission.accepted.is_not(None),
            )
        )
    }
    items = [
        {
            "cycle": cycle,
            "source": source,
            "due": cycle.deadlines.get("submission"),
            "overdue": overdue(cycle.state, cycle.deadlines, today),
            "href": f"/cycles/{cycle.id}/submissions",
        }
        for cycle in open_cycles
        for source in sources
        if (cycle.id, source.id) not in made
    ]
    late = sum(item["overdue"] for item in items)
    return _block(items, lambda c: f"/cycles/{c.id}/submissions", late)


def verification_due(
    session: Session, actor: Actor, cycles: Sequence[Cycle], today: dt.date
) -> Block | None:
    """Assignments not done in the cycles under verification: a verifier's own team's (as
    ``verification.assignments`` gives them), every team's for those who assign."""
    if not (actor.can("verification.record") or actor.can("verification.assign")):
        return None
    items = []
    for cycle in cycles:
        if cycle.state != "verification":
            continue
        late = overdue(cycle.state, cycle.deadlines, today)
        items += [
            {
                "cycle": cycle,
                "assignment": item,
                "due": cycle.deadlines.get("verification"),
                "overdue": late,
                "href": f"/verification/{item.id}",
            }
            for item in verification.assignments(session, actor, cycle.id)
            if not item.done
        ]
    block = _block(
        items, lambda c: f"/cycles/{c.id}/verification", sum(i["overdue"] for i in items)
    )
    names = unit_names(session, (row["assignment"].unit_code for row in block.rows))
    for row in block.rows:
        row["unit_name"] = names.get(row["assignment"].unit_code, row["assignment"].unit_code)
    return block


def appeals_pending(session: Session, actor: Actor, cycles: Sequence[Cycle]) -> Block | None:
    """Appeals awaiting a reviewer's decision, of the units the user sees (as the findings page
    shows them); decided during feedback, by its deadline."""
    if not actor.can("finding.view"):
        return None
    by_id = {c.id: c for c in cycles}
    rows = session.execute(
        select(Appeal, Finding, Unit)
        .join(Finding, Finding.id == Appeal.finding_id)
        .join(Unit, Unit.code == Appeal.unit_code)
        .where(Appeal.status == "pending")
        .order_by(Appeal.created_at, Appeal.id)
    ).all()
    items = [
        {
            "cycle": by_id[finding.cycle_id],
            "appeal": appeal,
            "finding": finding,
            "unit": unit,
            "due": by_id[finding.cycle_id].deadlines.get("feedback"),
            "href": f"/cycles/{finding.cycle_id}/findings",
        }
        for appeal, finding, unit in rows
        if finding.cycle_id in by_id and actor.sees_unit(unit)
    ]
    return _block(items, lambda c: f"/cycles/{c.id}/findings")


def open_findings(session: Session, actor: Actor, cycles: Sequence[Cycle]) -> Block | None:
    """Findings that stand (open) in cycles not yet closed, of the units the user sees."""
    if not actor.can("finding.view"):
        return None
    live = {c.id: c for c in cycles if c.state != "closed"}
    position = _newest_first(cycles)
    rows = session.execute(
        select(Finding, Unit)
        .join(Unit, Unit.code == Finding.unit_code)
        .where(Finding.status == "open", Finding.cycle_id.in_(list(live)))
        .order_by(Finding.unit_code, Finding.id)
    ).all()
    items = sorted(
        (
            {
                "cycle": live[finding.cycle_id],
                "finding": finding,
                "unit": unit,
                "href": f"/cycles/{finding.cycle_id}/findings",
            }
            for finding, unit in rows
            if actor.sees_unit(unit)
        ),
        key=lambda item: position(item["cycle"].id),
    )
    return _block(items, lambda c: f"/cycles/{c.id}/findings")


def rectification_blocks(
    session: Session, actor: Actor, cycles: Sequence[Cycle], today: dt.date
) -> tuple[Block | None, Block | None]:
    """From one query of the items not closed that the user sees: those the user's role acts on
    next (the owner unit: evidence owed; a verifier: evidence to verify), and, for everyone who
    does not owe evidence, the overdue ones — the earliest deadline first."""
    if not actor.can("rectification.view"):
        return None, None
    by_id = {c.id: c for c in cycles}
    rows = session.execute(
        select(Rectification, Unit)
        .join(Unit, Unit.code == Rectification.unit_code)
        .where(Rectification.status != "closed")
        .order_by(Rectification.deadline, Rectification.id)
    ).all()
    items = [
        {
            "cycle": by_id[item.cycle_id],
            "item": item,
            "unit": unit,
            "overdue": is_overdue(item, today),
            "href": f"/cycles/{item.cycle_id}/rectifications",
        }
        for item, unit in rows
        if item.cycle_id in by_id and sees_rectification(actor, item, unit)
    ]

    def page(cycle: Cycle) -> str:
        return f"/cycles/{cycle.id}/rectifications"

    # the next step of each item is the lifecycle's: evidence for the owner, a verdict after it
    owes = actor.can("rectification.evidence")
    step = "evidence_submitted" if owes else "verified"
    due = None
    if owes or actor.can("rectification.verify"):
        acted = [i for i in items if step in lifecycle.allowed_events(i["item"].status)]
        due = _block(acted, page, sum(i["overdue"] for i in acted))
    late = None if owes else _block([i for i in items if i["overdue"]], page)
    return due, late


def _results_shown(actor: Actor, cycle: Cycle) -> bool:
    """Whether the results pages would show this cycle's results to ``actor``."""
    try:
        require_results(actor, cycle)
    except Forbidden:
        return False
    return True


def _least_complete_first(row: RankingRow) -> tuple[Any, ...]:
    """Units not graded first, then by completeness (a run from before completeness: complete)."""
    return (row.graded, row.completeness if row.completeness is not None else 1.0, row.unit)


def completeness(
    session: Session, actor: Actor, cycles: Sequence[Cycle], views: ResultViews
) -> Completeness | None:
    """Each unit's completeness and status in the latest run of the newest cycle whose results
    the user may see, for the units the user sees (None: no such run or unit); the least complete
    first."""
    if not actor.can("results.view"):
        return None
    computed = set(session.scalars(select(Run.cycle_id).distinct()))
    cycle = next((c for c in cycles if c.id in computed and _results_shown(actor, c)), None)
    view = views.latest(session, cycle.id) if cycle is not None else None
    if view is None:
        return None
    # ``sees_unit`` reads a unit's path and kind only: those columns, not a run's units as objects
    units = session.execute(
        select(Unit.code, Unit.path, Unit.kind)
        .join(Result, Result.unit_code == Unit.code)
        .where(Result.run_id == view.id)
    )
    seen = {unit.code for unit in units if actor.sees_unit(unit)}
    # the run's rows, the least complete first: the same for every user, so sorted once per run
    ordered = views.derived(
        ("dashboard-completeness", view.key),
        lambda: tuple(sorted(view.rows, key=_least_complete_first)),
    )
    rows = [row for row in ordered if row.unit in seen]
    if not rows:
        return None  # none of the run's units is the user's (a regulator's banks, say)
    items = [
        {"cycle": cycle, "result": row, "href": f"/cycles/{cycle.id}/results/{row.unit}"}
        for row in rows
    ]
    return Completeness(
        cycle=cycle,
        block=_block(items, lambda c: f"/cycles/{c.id}/results"),
        withheld=sum(not row.graded for row in rows),
        incomplete=sum(row.completeness is not None and row.completeness < 1 for row in rows),
        preliminary=view.preliminary_label,
    )
