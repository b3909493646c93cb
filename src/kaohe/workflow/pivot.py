"""Pivot tables (数据透视) over the platform's published cycles, within the actor's scope.

Each published cycle's latest run is read as ``run.history.PeriodRun`` (``workflow.history``,
the same rows ``kaohe history --store`` reads) with the formulas recorded when it was imported
(``platform_results.scheme_facts``) and each unit's level from the platform's units, and handed to
the pure ``run.pivot``: the table from the platform and the one from run directories are the
same. An actor sees only the units in its scope (``Actor.sees_unit``: a province its own subtree),
and the totals are computed over those units alone, so a total never reveals units the actor
may not see. ``actor=None`` is the command line's ``kaohe pivot --store`` (whoever can open the
database file sees every unit).

A measure's roll-up is inferred from its recorded expression (a count or a sum adds up); a
``rollup:`` declared in the scheme is not recorded with the run, so a measure declared
``recompute`` over a sum expression would be summed here (no bundled scheme declares one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..run.pivot import Formulas, Pivot, PivotFilter, PivotRun, formulas_from_texts, pivot
from ..store.models import Run, Unit
from .cycles import latest_run
from .history import published_cycles, stored_runs
from .platform_results import policy_term, scheme_facts
from .roles import Actor, require


def _indicator_order(tree: Sequence[dict]) -> list[str]:
    """The scheme's indicators in the order of its tree (stored JSON may sort its keys)."""
    children = {node["id"]: node.get("children") or [] for node in tree}
    order: list[str] = []

    def walk(name: str) -> None:
        for child in children.get(name, []):
            if child in children:
                walk(child)
            elif child not in order:
                order.append(child)

    for node in tree:
        if node.get("top"):
            walk(node["id"])
    return order


def stored_formulas(run: Run, units: dict) -> Formulas:
    facts = scheme_facts(run.manifest or {})
    attributes = {name for entry in units.values() for name in entry.get("attributes") or {}}
    return formulas_from_texts(
        indicator_expressions=facts["indicator_expressions"],
        measure_expressions={m: info["expr"] for m, info in facts["measure_sources"].items()},
        parameters=((run.manifest or {}).get("scheme") or {}).get("parameters") or {},
        attributes=attributes,
        order=_indicator_order(run.tree or []),
        measure_labels={
            m: (info.get("label") or m, info.get("label_en") or info.get("label") or m)
            for m, info in facts["measure_sources"].items()
        },
    )


def pivot_runs(
    session: Session, actor: Actor | None, schemes: Sequence[str] = ()
) -> list[PivotRun]:
    """Each published cycle's latest run, cut to the units ``actor`` sees."""
    if actor is not None:
        require(actor, "results.view")
    found = []
    for cycle in published_cycles(session, schemes):
        run = latest_run(session, cycle.id)
        stored = stored_runs(session, [cycle])
        if run is None or not stored:
            continue
        period_run = stored[0]
        units = {
            unit.code: unit
            for unit in session.scalars(select(Unit).where(Unit.code.in_(list(period_run.units))))
        }
        visible = {
            code: entry
            for code, entry in period_run.units.items()
            if code in units and (actor is None or actor.sees_unit(units[code]))
        }
        found.append(
            PivotRun(
                run=dataclasses.replace(period_run, units=visible),
                formulas=stored_formulas(run, period_run.units),
                levels={code: units[code].level for code in visible},
            )
        )
    return found


def grade_labeller(session: Session, schemes: Sequence[str] = ()) -> Callable[[str | None], str]:
    """The pivot page's grades (stored Chinese names, which its filter keeps as values) in the
    user's language, "poor (较差)" on an English page, by the English names the published
    cycles' latest runs recorded; where two schemes name a grade differently, the latest wins."""
    names: dict[str, str] = {}
    for cycle in published_cycles(session, schemes):  # by period: the latest last
        run = latest_run(session, cycle.id)
        if run is not None:
            grading = scheme_facts(run.manifest or {})["grading"] or {}
            names.update(grading.get("labels_en") or {})
    return lambda grade: policy_term(grade, names.get(grade)) if grade else ""


def store_pivot(session: Session, actor: Actor | None, chosen: PivotFilter) -> Pivot:
    """The pivot of the published cycles ``actor`` may see (see the module)."""
    return pivot(pivot_runs(session, actor), chosen)
