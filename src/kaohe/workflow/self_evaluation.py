"""Provincial self-evaluation (省级自评): while the cycle takes submissions, a province enters its
self-score for each indicator of the cycle's scheme and a written summary; the results show the
self-score against the assessed points, and an overstatement (自评虚高) beyond the scheme's
threshold becomes a finding when a run is imported.

The threshold is the scheme's parameter ``self_evaluation_overstatement``: the share of an
indicator's nominal points by which the self-score may exceed the points the assessment gave
(e.g. 0.1: on an indicator of 12 points, more than 1.2 points above). A scheme without it flags
nothing. The finding is made at the import, with the origin 考核核查 (the assessment itself),
rather than proposed to the assessor: the comparison is a rule of the scheme applied to recorded
figures, like a veto, and the unit may appeal it in the feedback window like any finding. A later
run of the same cycle updates it, or withdraws it when the overstatement is gone.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import KaoheError
from ..i18n import text, use_language
from ..scheme import load_scheme
from ..scheme.tree import ROOT_ID
from ..store.locking import expect_version
from ..store.models import Cycle, Finding, SelfEvaluation, Unit, utcnow
from .cycles import get_cycle
from .errors import Forbidden, Invalid, NotFound
from .findings import ASSESSMENT, create_finding
from .form_values import finite_number
from .roles import Actor, require, require_unit
from .states import require_open

THRESHOLD = "self_evaluation_overstatement"  # the scheme parameter
OVERSTATED = "自评虚高"  # the kind of the finding
SUMMARY = ROOT_ID  # the row holding the written summary and the total of the self-scores


@dataclass(frozen=True)
class IndicatorLine:
    """An indicator a province scores itself on: its id, names and nominal points."""

    id: str
    label: str
    label_en: str
    points: float

    @property
    def title(self) -> str:
        return text(self.label, self.label_en)


@dataclass(frozen=True)
class SchemeOutline:
    """What the self-evaluation needs of the cycle's scheme: its indicators and whom it grades."""

    indicators: tuple[IndicatorLine, ...]
    kind: str
    level: str


def scheme_outline(scheme_name: str) -> SchemeOutline:
    """The scored indicators of the scheme (``ComputeSettings.scheme_for``'s name or file), in
    the tree's order; cached per scheme file and modification time."""
    file = Path(scheme_name)
    return _outline(scheme_name, file.stat().st_mtime_ns if file.is_file() else 0)


@functools.lru_cache(maxsize=32)
def _outline(scheme_name: str, _stamp: int) -> SchemeOutline:
    try:
        scheme = load_scheme(scheme_name)
    except KaoheError as error:
        raise Invalid(
            text(
                f"考核办法 {scheme_name} 无法读取，不能列出自评指标：{error}",
                f"the scheme {scheme_name} cannot be read to list its indicators: {error}",
            )
        ) from None
    lines = tuple(
        IndicatorLine(
            node.id,
            node.label or node.id,
            node.label_en or node.label or node.id,
            node.points,
        )
        for node in scheme.tree.walk()
        if node.indicator
    )
    assesses = scheme.model.assesses
    return SchemeOutline(lines, assesses.kind, assesses.level)


def assessed_units(session: Session, actor: Actor, outline: SchemeOutline) -> list[Unit]:
    """The units the scheme grades that the actor may see."""
    require(actor, "self_evaluation.view")
    units = session.scalars(
        select(Unit)
        .where(Unit.kind == outline.kind, Unit.level == outline.level)
        .order_by(Unit.code)
    )
    return [u for u in units if actor.sees_unit(u)]


def _assessed_unit(session: Session, actor: Actor, unit_code: str, outline: SchemeOutline) -> Unit:
    unit = session.get(Unit, unit_code)
    if unit is None:
        raise NotFound(text(f"没有单位 {unit_code}", f"no unit {unit_code}"))
    require_unit(actor, unit)
    if (unit.kind, unit.level) != (outline.kind, outline.level):
        raise NotFound(
            text(
                f"{unit.name}（{unit.code}）不是本考核办法的考核对象，没有自评",
                f"{unit.name} ({unit.code}) is not assessed by this scheme: no self-evaluation",
            )
        )
    return unit


def entries(session: Session, cycle_id: int, unit_code: str) -> dict[str, SelfEvaluation]:
    """The unit's self-evaluation rows in the cycle by indicator (``SUMMARY``: the summary)."""
    rows = session.scalars(
        select(SelfEvaluation).where(
            SelfEvaluation.cycle_id == cycle_id, SelfEvaluation.unit_code == unit_code
        )
    )
    return {row.indicator: row for row in rows}


def unit_self_evaluation(
    session: Session, actor: Actor, cycle_id: int, unit_code: str, outline: SchemeOutline
) -> tuple[Unit, dict[str, SelfEvaluation]]:
    """A unit's self-evaluation, for whoever may see the unit."""
    require(actor, "self_evaluation.view")
    get_cycle(session, cycle_id)
    unit = _assessed_unit(session, actor, unit_code, outline)
    return unit, entries(session, cycle_id, unit_code)


def may_submit(actor: Actor, unit: Unit) -> bool:
    """A province for its own unit, the administrator for any."""
    if not actor.can("self_evaluation.submit"):
        return False
    return actor.role != "province" or actor.unit_code == unit.code


def _self_score(raw: str, line: IndicatorLine) -> float | None:
    if not raw.strip():
        return None
    value = finite_number(raw)
    if value is None or value < 0 or value > line.points + 1e-9:
        raise Invalid(
            text(
                f"“{line.label}”的自评得分（score_{line.id}）应为 0 到 {line.points:g} 之间的数字，"
                f"而不是 {raw!r}；未保存任何内容",
                f"the self-score of {line.label_en} (score_{line.id}) must be a number from 0 to "
                f"{line.points:g}, not {raw!r}; nothing was saved",
            )
        )
    return value


def _store(
    session: Session,
    actor: Actor,
    row: SelfEvaluation | None,
    cycle_id: int,
    unit_code: str,
    indicator: str,
    score: float | None,
    summary: str,
    seen: int | None,
) -> SelfEvaluation:
    if row is None:
        row = SelfEvaluation(cycle_id=cycle_id, unit_code=unit_code, indicator=indicator)
        session.add(row)
    else:
        expect_version(row, seen, text("该自评", "this self-evaluation"))
        if row.self_score == score and row.summary == summary:
            return row  # unchanged: no new version, no audit entry
    row.self_score = score
    row.summary = summary
    row.submitted_by = actor.username
    row.submitted_at = utcnow()
    return row


def submit(
    session: Session,
    actor: Actor,
    cycle_id: int,
    unit_code: str,
    outline: SchemeOutline,
    scores: dict[str, str],
    notes: dict[str, str],
    summary: str,
    seen: dict[str, int | None],
    today,
) -> dict[str, SelfEvaluation]:
    """Record (or update) the unit's self-scores, notes and summary in the submission window.
    ``scores``/``notes``/``seen`` are by indicator id as the form sent them (a blank score: not
    scored); ``seen`` the versions the user saw (a row changed since is refused, 409)."""
    require(actor, "self_evaluation.submit")
    cycle = get_cycle(session, cycle_id)
    unit = _assessed_unit(session, actor, unit_code, outline)
    if not may_submit(actor, unit):
        raise Forbidden(
            text(
                f"省级填报员只能填报本省的自评，不能填报 {unit.name}（{unit.code}）",
                f"a provincial officer enters its own province's self-evaluation, not that of "
                f"{unit.name} ({unit.code})",
            )
        )
    require_open(cycle.state, "submission", cycle.deadlines, today)
    if not summary.strip():
        raise Invalid(
            text(
                "请填写自评总结（summary）；未保存任何内容",
                "write the self-evaluation summary (summary); nothing was saved",
            )
        )
    checked = {line.id: _self_score(scores.get(line.id, ""), line) for line in outline.indicators}
    known = entries(session, cycle_id, unit_code)
    for line in outline.indicators:
        known[line.id] = _store(
            session,
            actor,
            known.get(line.id),
            cycle_id,
            unit_code,
            line.id,
            checked[line.id],
            notes.get(line.id, "").strip(),
            seen.get(line.id),
        )
    given = [score for score in checked.values() if score is not None]
    known[SUMMARY] = _store(
        session,
        actor,
        known.get(SUMMARY),
        cycle_id,
        unit_code,
        SUMMARY,
        round(sum(given), 6) if given else None,
        summary.strip(),
        seen.get(SUMMARY),
    )
    session.flush()
    return known


@dataclass(frozen=True)
class Comparison:
    """One indicator: the self-score against the points the assessment gave."""

    indicator: str
    label: str
    max_points: float | None
    self_score: float | None
    assessed: float | None
    threshold: float | None

    @property
    def difference(self) -> float | None:
        if self.self_score is None or self.assessed is None:
            return None
        return self.self_score - self.assessed

    @property
    def share(self) -> float | None:
        """The difference as a share of the indicator's nominal points."""
        if self.difference is None or not self.max_points:
            return None
        return self.difference / self.max_points

    @property
    def overstated(self) -> bool:
        return self.threshold is not None and self.share is not None and self.share > self.threshold


def compare(
    indicators: dict[str, Any], rows: dict[str, SelfEvaluation], threshold: float | None
) -> list[Comparison]:
    """Per indicator of a unit's explanation (``explain["indicators"]``) in the scheme's tree,
    the self-score beside the assessed points; empty when the unit entered no self-score."""
    if not any(row.self_score is not None for key, row in rows.items() if key != SUMMARY):
        return []
    out = []
    for indicator, info in indicators.items():
        nominal = info.get("nominal_points", info.get("max_points"))
        row = rows.get(indicator)
        if nominal is None and row is None:
            continue  # not scored (outside the tree) and not self-scored
        out.append(
            Comparison(
                indicator,
                info.get("label") or indicator,
                nominal,
                row.self_score if row is not None else None,
                info.get("points"),
                threshold,
            )
        )
    return out


def threshold_of(parameters: dict[str, Any]) -> float | None:
    """The scheme's overstatement threshold, or None when the scheme sets none."""
    value = parameters.get(THRESHOLD)
    if value is None or isinstance(value, bool):
        return None
    return float(value)


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _describe(over: list[Comparison]) -> str:
    """The figures of the overstated indicators, in both languages (read by either)."""

    def one(c: Comparison) -> str:
        return text(
            f"{c.label}：自评 {_points(c.self_score)} 分，考核 {_points(c.assessed)} 分，"
            f"高出 {_points(c.difference)} 分（占该指标分值 {_points(c.max_points)} 分的 "
            f"{100 * c.share:.1f}%，阈值 {100 * c.threshold:.1f}%）",
            f"{c.indicator}: self-score {_points(c.self_score)}, assessed {_points(c.assessed)}, "
            f"{_points(c.difference)} points higher ({100 * c.share:.1f}% of the indicator's "
            f"{_points(c.max_points)} points; threshold {100 * c.threshold:.1f}%)",
        )

    with use_language("zh"):
        zh = "；".join(one(c) for c in over)
    with use_language("en"):
        en = "; ".join(one(c) for c in over)
    return f"{zh} / {en}"


def flag_overstatements(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    explained: dict[str, dict[str, Any]],
    threshold: float | None,
) -> list[Finding]:
    """At a run's import: per unit that entered self-scores, one finding 自评虚高 listing the
    indicators overstated beyond ``threshold`` (an open one from an earlier run is updated, or
    withdrawn when the new run shows none). Returns the findings made or updated."""
    if threshold is None:
        return []
    rows = session.scalars(select(SelfEvaluation).where(SelfEvaluation.cycle_id == cycle.id))
    by_unit: dict[str, dict[str, SelfEvaluation]] = defaultdict(dict)
    for row in rows:
        by_unit[row.unit_code][row.indicator] = row
    changed = []
    for unit_code in sorted(by_unit):
        if unit_code not in explained:
            continue
        indicators = explained[unit_code].get("indicators", {})
        over = [c for c in compare(indicators, by_unit[unit_code], threshold) if c.overstated]
        standing = session.scalar(
            select(Finding).where(
                Finding.cycle_id == cycle.id,
                Finding.unit_code == unit_code,
                Finding.kind == OVERSTATED,
                Finding.status == "open",
            )
        )
        if over:
            description = _describe(over)
            if standing is None:
                standing = create_finding(
                    session,
                    actor,
                    cycle.id,
                    unit_code,
                    OVERSTATED,
                    len(over),
                    description,
                    origin=ASSESSMENT,
                )
            elif (standing.cases, standing.description) != (len(over), description):
                standing.cases, standing.description = len(over), description
            changed.append(standing)
        elif standing is not None:
            standing.status = "withdrawn"  # the latest run shows no overstatement
            changed.append(standing)
    session.flush()
    return changed
