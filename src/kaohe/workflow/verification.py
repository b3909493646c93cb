"""Verification (核查): sampled households assigned to teams; a verifier records results only for
its own team's households; progress per team."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..i18n import text
from ..store.locking import expect_version
from ..store.models import Team, VerificationAssignment, VerificationResult
from .cycles import get_cycle
from .errors import Invalid, NotFound
from .roles import Actor, require, require_team
from .states import require_open

VERDICTS = ("正确", "错评", "错退", "漏评")
# the verdicts are the policy's terms (and the values of the field-check files): English gives
# the term beside its translation
VERDICT_NAMES: dict[str, str] = {
    "正确": "correct (正确)",
    "错评": "wrongly identified (错评)",
    "错退": "wrongly exited (错退)",
    "漏评": "wrongly left out (漏评)",
}


def verdict_label(verdict: str) -> str:
    return text(verdict, VERDICT_NAMES.get(verdict, verdict))


def assign(
    session: Session,
    actor: Actor,
    cycle_id: int,
    team_id: int,
    items: list[dict],
) -> int:
    """Assign sampled households (dicts: unit, household_id, registered, exited, stratum, weight)."""
    require(actor, "verification.assign")
    cycle = get_cycle(session, cycle_id)
    if session.get(Team, team_id) is None:
        raise NotFound(text(f"没有评估组 {team_id}", f"no team {team_id}"))
    for item in items:
        session.add(
            VerificationAssignment(
                cycle_id=cycle.id,
                team_id=team_id,
                unit_code=item["unit"],
                household_id=str(item["household_id"]),
                registered=bool(item.get("registered", True)),
                exited=bool(item.get("exited", False)),
                stratum=str(item.get("stratum", "")),
                weight=float(item.get("weight", 1.0)),
            )
        )
    session.flush()
    return len(items)


def assignments(session: Session, actor: Actor, cycle_id: int) -> list[VerificationAssignment]:
    require(actor, "verification.view")
    query = select(VerificationAssignment).where(VerificationAssignment.cycle_id == cycle_id)
    if actor.role == "verifier":
        query = query.where(VerificationAssignment.team_id == actor.team_id)
    return list(
        session.scalars(
            query.order_by(VerificationAssignment.unit_code, VerificationAssignment.household_id)
        )
    )


def get_assignment(session: Session, actor: Actor, assignment_id: int) -> VerificationAssignment:
    require(actor, "verification.view")
    item = session.get(VerificationAssignment, assignment_id)
    if item is None:
        raise NotFound(text(f"没有核查任务 {assignment_id}", f"no assignment {assignment_id}"))
    require_team(actor, item.team_id)
    return item


def result_of(session: Session, assignment_id: int) -> VerificationResult | None:
    return session.scalar(
        select(VerificationResult).where(VerificationResult.assignment_id == assignment_id)
    )


@dataclass
class Verdict:
    verdict: str
    recognizes: bool
    satisfied_team: bool
    satisfied_cadre: bool
    income_verified: float | None = None
    note: str = ""


def record(
    session: Session,
    actor: Actor,
    assignment_id: int,
    verdict: Verdict,
    seen_version: int | None = None,
    today: dt.date | None = None,
) -> VerificationResult:
    require(actor, "verification.record")
    item = get_assignment(session, actor, assignment_id)
    cycle = get_cycle(session, item.cycle_id)
    require_open(cycle.state, "verification", cycle.deadlines, today or dt.date.today())
    if verdict.verdict not in VERDICTS:
        raise Invalid(
            text(
                f"核查结论应为 {'、'.join(VERDICTS)} 之一",
                f"the verdict must be one of {', '.join(VERDICT_NAMES.values())}",
            )
        )
    if verdict.income_verified is not None and not math.isfinite(verdict.income_verified):
        # inf and nan are no income, and the audit log (JSON) cannot hold them
        raise Invalid(text("核实收入应为有限的数字", "the verified income must be a finite number"))
    if verdict.income_verified is not None and verdict.income_verified < 0:
        raise Invalid(text("核实收入不能为负数", "the verified income cannot be negative"))
    expect_version(
        item, seen_version, text(f"核查任务 {item.household_id}", f"household {item.household_id}")
    )
    result = result_of(session, item.id)
    if result is None:
        result = VerificationResult(
            assignment_id=item.id,
            cycle_id=item.cycle_id,
            recorded_by=actor.username,
            verdict=verdict.verdict,
            recognizes=verdict.recognizes,
            satisfied_team=verdict.satisfied_team,
            satisfied_cadre=verdict.satisfied_cadre,
        )
        session.add(result)
    result.verdict = verdict.verdict
    result.recognizes = verdict.recognizes
    result.satisfied_team = verdict.satisfied_team
    result.satisfied_cadre = verdict.satisfied_cadre
    result.income_verified = verdict.income_verified
    result.note = verdict.note
    result.recorded_by = actor.username
    result.origin = "form"
    item.done = True
    flag_modified(item, "done")  # always bumps the assignment's version: a stale form is refused
    session.flush()
    return result


@dataclass(frozen=True)
class TeamProgress:
    team_id: int
    team: str
    assigned: int
    done: int

    @property
    def share(self) -> float:
        return self.done / self.assigned if self.assigned else 0.0


def progress(session: Session, actor: Actor, cycle_id: int) -> list[TeamProgress]:
    require(actor, "verification.view")
    query = (
        select(
            Team.id,
            Team.name,
            func.count(VerificationAssignment.id),
            func.count(VerificationAssignment.id).filter(VerificationAssignment.done),
        )
        .join(VerificationAssignment, VerificationAssignment.team_id == Team.id)
        .where(VerificationAssignment.cycle_id == cycle_id)
        .group_by(Team.id, Team.name)
        .order_by(Team.name)
    )
    if actor.role == "verifier":
        query = query.where(Team.id == actor.team_id)
    return [TeamProgress(*row) for row in session.execute(query)]
