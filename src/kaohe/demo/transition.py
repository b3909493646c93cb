"""The transition from 2020 to 2021 for one province, end to end: its 2020 grade under the
provincial effectiveness scheme, the rectification items that run opened and what became of them
in 2021, its 2021 grade under the transition scheme (with the deduction for what was left
overdue), and how the two schemes differ. The demo prints it (``kaohe demo``) beside
``kaohe history`` for the province; README.md walks through it."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ..outcomes.ledger import Ledger
from ..scheme import bundled_schemes, load_scheme

OLD, NEW = "provincial-effectiveness-2016", "rural-revitalization-2021"
OLD_YEAR, NEW_YEAR = 2020, 2021
DEDUCTION = "overdue_rectifications"  # the transition scheme's deduction for overdue items


@dataclass(frozen=True)
class CarriedItem:
    title: str
    status: str  # where it stood at the end of 2021 (closed: not in 2021's source)
    overdue: bool  # past its deadline on 31 December 2021 with nothing accepted in time


@dataclass(frozen=True)
class Transition:
    unit: str
    name: str
    old_grade: str | None
    old_score: float | None
    old_rank: float | None
    items: list[CarriedItem]
    new_grade: str | None
    new_score: float | None
    new_rank: float | None
    counted: int  # overdue items of the provincial scheme the 2021 run counted (any year's)
    deduction: float  # points the overdue items cost in 2021 (0: none)
    shared: list[str]  # indicator ids in both schemes
    only_old: list[str]
    only_new: list[str]


def _units(runs: Path, year: int, scheme: str) -> dict:
    explain = runs / str(year) / scheme / "explain.json"
    return json.loads(explain.read_text(encoding="utf-8"))["units"]


def transition_of(runs: Path, ledger: Path, data_2021: Path) -> Transition | None:
    """The province whose 2020 problems weigh most in 2021 (most overdue items, then most
    items, then the lowest code), or None when the 2020 run opened nothing.

    The items are the ledger's (opened from the 2020 run); where each stood at the end of 2021
    is what the 2021 run read (``data_2021/rectifications.csv``): an item not in it was closed
    in 2021. The ledger's own state has moved on with the later years."""
    old, new = _units(runs, OLD_YEAR, OLD), _units(runs, NEW_YEAR, NEW)
    with (data_2021 / "rectifications.csv").open(encoding="utf-8") as handle:
        at_2021_end = {row["item"]: row for row in csv.DictReader(handle)}
    by_unit: dict[str, list[CarriedItem]] = {}
    for item in sorted(Ledger(ledger).state().items.values(), key=lambda i: i.id):
        if item.scheme == OLD and item.period == str(OLD_YEAR) and item.unit in new:
            row = at_2021_end.get(item.id)
            by_unit.setdefault(item.unit, []).append(
                CarriedItem(
                    item.title,
                    row["status"] if row else "closed",
                    row is not None and row["overdue"] == "true",
                )
            )
    if not by_unit:
        return None
    unit = min(by_unit, key=lambda u: (-sum(i.overdue for i in by_unit[u]), -len(by_unit[u]), u))
    before, after = old[unit], new[unit]
    deduction = sum(
        -float(a["points"]) for a in after.get("adjustments") or [] if a["id"] == DEDUCTION
    )
    old_ids, new_ids = (set(_scheme(s).indicators) for s in (OLD, NEW))
    return Transition(
        unit=unit,
        name=after.get("name") or before.get("name") or unit,
        old_grade=before.get("grade"),
        old_score=before.get("score"),
        old_rank=before.get("rank"),
        items=by_unit[unit],
        new_grade=after.get("grade"),
        new_score=after.get("score"),
        new_rank=after.get("rank"),
        counted=sum(
            1
            for row in at_2021_end.values()
            if row["unit"] == unit and row["scheme"] == OLD and row["overdue"] == "true"
        ),
        deduction=deduction,
        shared=sorted(old_ids & new_ids),
        only_old=sorted(old_ids - new_ids),
        only_new=sorted(new_ids - old_ids),
    )


def _scheme(name: str):
    return load_scheme(str(bundled_schemes()[name])).model
