"""Trends (历年变化) on the platform: a unit's scores, grades and chosen figures across the
published cycles, the national picture of each (grade counts, median score), and the
rectification items each year opened and how many of them are closed.

The years are the platform's published cycles read as ``run.history.PeriodRun``
(``workflow.history``, the rows ``kaohe history --store`` reads) and summed up by
``run.history`` itself (``unit_history``, ``national_picture``): the page and the command line
cannot disagree. Every run is cut to the units the actor may see before anything is counted, so a
count or a median never reveals a unit outside the actor's scope (a province sees its own
subtree; the picture it gets is of those units).

A rectification item belongs to the year of its cycle (the year it was opened in, as
``run.history.attach_rectifications`` files it); "closed" counts those of them verified and closed
(销号) by now. The platform keeps no date of closing: a year's items closed later still count
under the year they were opened in.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..run.history import (
    HistoryColumn,
    PeriodRun,
    UnitHistory,
    YearSummary,
    attach_rectifications,
    national_picture,
    top_dimensions,
    unit_history,
)
from ..store.models import Cycle, Rectification, Unit
from .cycles import latest_run
from .errors import Invalid, NotFound
from .history import published_cycles, stored_items, stored_runs, within_scope
from .platform_results import scheme_facts
from .roles import Actor, require, require_unit

CLOSED = "closed"


@dataclass(frozen=True)
class PublishedRun:
    """A published cycle's latest run as the actor may see it, with its English labels."""

    cycle: Cycle
    run: PeriodRun  # cut to the actor's units
    hidden: int  # units of the run outside the actor's scope
    grade_labels_en: dict[str, str]


@dataclass(frozen=True)
class ItemCount:
    """Rectification items of one cycle: opened that year, and of them closed by now."""

    opened: int = 0
    closed: int = 0

    @property
    def unresolved(self) -> int:
        return self.opened - self.closed


@dataclass(frozen=True)
class NationalYear:
    cycle_id: int
    summary: YearSummary
    grade_labels_en: dict[str, str]
    items: ItemCount
    hidden: int


@dataclass(frozen=True)
class NationalTrend:
    years: list[NationalYear]  # by period, then scheme
    units: list[tuple[str, str]]  # (code, name) of the units assessed, to open one's trend


@dataclass(frozen=True)
class Figure:
    """A figure the unit page may show: an indicator (its value) or a dimension (its share)."""

    id: str
    label: str
    label_en: str


@dataclass(frozen=True)
class UnitTrend:
    unit: Unit
    history: UnitHistory | None  # None: no published cycle assessed the unit
    cycles: dict[tuple[str, str], int]  # (period, scheme) of a year -> its cycle
    grades: dict[tuple[str, str], list[str]]  # (period, scheme) -> its grades, best first
    # (period, scheme) -> the English names of its grades, as that year's run recorded them: two
    # schemes may give one Chinese grade different English names (the same 较差 is not merged)
    grade_labels_en: dict[tuple[str, str], dict[str, str]]
    figures: list[Figure]  # what may be chosen
    chosen: list[str]


def published_runs(session: Session, actor: Actor) -> list[PublishedRun]:
    """Every published cycle's latest run, cut to ``actor``'s units; runs of which the actor
    sees no unit are left out."""
    require(actor, "results.view")
    found = []
    for cycle in published_cycles(session):
        stored, run = stored_runs(session, [cycle]), latest_run(session, cycle.id)
        if not stored or run is None:
            continue
        visible = within_scope(session, stored[0], actor)
        if not visible.units:
            continue
        facts = scheme_facts(run.manifest or {})
        found.append(
            PublishedRun(
                cycle=cycle,
                run=dataclasses.replace(visible, label=_labelled(visible, facts["labels_en"])),
                hidden=len(stored[0].units) - len(visible.units),
                grade_labels_en=(facts["grading"] or {}).get("labels_en") or {},
            )
        )
    return found


def _labelled(run: PeriodRun, labels_en: dict[str, str]):
    """The run's label function with the English labels recorded when the run was imported
    (the stored run keeps only the Chinese ones)."""
    chinese = run.label

    def label(name: str, lang: str) -> str:
        if lang == "en" and labels_en.get(name):
            return labels_en[name]
        return chinese(name, "zh")

    return label


def item_counts(session: Session, actor: Actor, cycle_ids: Sequence[int]) -> dict[int, ItemCount]:
    """Each cycle's rectification items at units ``actor`` sees: opened, and closed by now."""
    rows = session.execute(
        select(Rectification.cycle_id, Rectification.status, Unit)
        .join(Unit, Unit.code == Rectification.unit_code)
        .where(Rectification.cycle_id.in_(list(cycle_ids)))
    ).all()
    opened, closed = Counter(), Counter()
    for cycle_id, status, unit in rows:
        if actor.sees_unit(unit):
            opened[cycle_id] += 1
            closed[cycle_id] += status == CLOSED
    return {cycle: ItemCount(opened[cycle], closed[cycle]) for cycle in cycle_ids}


def national_trend(session: Session, actor: Actor) -> NationalTrend:
    """The picture of each published cycle over the units ``actor`` sees, by period."""
    runs = published_runs(session, actor)
    counts = item_counts(session, actor, [r.cycle.id for r in runs])
    names = {code: entry.get("name") or code for r in runs for code, entry in r.run.units.items()}
    years = [
        NationalYear(
            cycle_id=r.cycle.id,
            summary=national_picture(r.run),
            grade_labels_en=r.grade_labels_en,
            items=counts[r.cycle.id],
            hidden=r.hidden,
        )
        for r in runs
    ]
    return NationalTrend(years, sorted(names.items()))


def unit_figures(runs: Sequence[PublishedRun], unit: str) -> list[Figure]:
    """What the unit page offers to follow: each run's top-level dimensions, then its
    indicators, first seen first."""
    figures: dict[str, Figure] = {}
    for published in runs:
        entry = published.run.units.get(unit)
        if entry is None:
            continue
        for name in [*top_dimensions(published.run), *(entry.get("indicators") or {})]:
            if name not in figures:
                zh = published.run.label(name, "zh")
                figures[name] = Figure(name, zh, published.run.label(name, "en"))
    return list(figures.values())


def unit_trend(
    session: Session, actor: Actor, unit_code: str, indicators: Sequence[str] = ()
) -> UnitTrend:
    """``unit_code`` across the published cycles: score, grade, rank, the chosen figures (its
    top-level dimensions by default) and its rectification items, each year by its cycle."""
    require(actor, "results.view")
    unit = session.get(Unit, unit_code)
    if unit is None:
        raise NotFound(text(f"没有单位 {unit_code}", f"no unit {unit_code}"))
    require_unit(actor, unit)
    indicators = list(dict.fromkeys(indicators))  # a figure chosen twice is shown once
    runs = [r for r in published_runs(session, actor) if unit_code in r.run.units]
    figures = unit_figures(runs, unit_code)
    unknown = [name for name in indicators if name not in {f.id for f in figures}]
    if unknown:
        raise Invalid(
            text(
                f"{'、'.join(unknown)} 不是 {unit.name} 历年考核结果中的指标或维度",
                f"{', '.join(unknown)} is no indicator or dimension of {unit.name}'s results",
            )
        )
    labels_en = {(r.cycle.period, r.cycle.scheme): r.grade_labels_en for r in runs}
    if not runs:
        return UnitTrend(unit, None, {}, {}, labels_en, figures, list(indicators))
    history = unit_history([r.run for r in runs], unit_code, indicators)
    attach_rectifications(history, stored_items(session, unit_code, [r.cycle for r in runs]))
    return UnitTrend(
        unit=unit,
        history=history,
        cycles={(r.cycle.period, r.cycle.scheme): r.cycle.id for r in runs},
        grades={(r.cycle.period, r.cycle.scheme): r.run.grades for r in runs},
        grade_labels_en=labels_en,
        figures=figures,
        chosen=[c.id for c in history.columns],
    )


def column_label(column: HistoryColumn) -> str:
    return text(column.label, column.label_en or column.label)


def closed_count(items: Sequence[dict]) -> int:
    """How many of a year's items (``UnitYear.rectifications``) are closed by now."""
    return sum(item["status"] == CLOSED for item in items)
