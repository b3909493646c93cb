"""The effect of a scheme change, unit by unit: the same data graded by an old and a new scheme.

Both schemes run through the ordinary engine (``kaohe.run.assess``) over the same data and
period; the results are matched by unit code. Grades of two schemes may use different words, so
a grade's movement compares tiers by position (the best grade of each scheme is tier 1).
"""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scheme import LoadedScheme, load_scheme
from .assess import assess
from .result import RunResult
from .results_table import result_rows

COLUMNS = (
    "unit",
    "name",
    "old_score",
    "old_grade",
    "old_rank",
    "new_score",
    "new_grade",
    "new_rank",
    "score_change",
    "tier_change",
    "rank_change",
    "movement",
)
MOVEMENTS = ("up", "down", "same", "only_old", "only_new", "ungraded")


@dataclass(frozen=True)
class UnitMovement:
    """One unit under both schemes; positive changes are improvements."""

    unit: str
    name: str
    old_score: float | None
    old_grade: str | None
    old_rank: int | None
    new_score: float | None
    new_grade: str | None
    new_rank: int | None
    score_change: float | None
    tier_change: int | None  # old tier - new tier: +1 = one grade better
    rank_change: int | None  # old rank - new rank: +3 = three places higher
    movement: str  # one of MOVEMENTS

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


@dataclass
class Comparison:
    old: RunResult
    new: RunResult
    units: list[UnitMovement]
    transitions: Counter = field(default_factory=Counter)  # (old grade, new grade) -> units

    def counts(self) -> Counter:
        return Counter(unit.movement for unit in self.units)


def _tier(grade: str | None, grades: Sequence[str]) -> int | None:
    return list(grades).index(grade) + 1 if grade in grades else None


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def grade_movement(old: dict | None, new: dict | None, old_s: LoadedScheme, new_s: LoadedScheme):
    """(tier change, rank change, movement) of one unit between two runs."""
    return movement_by_order(old, new, old_s.model.grading.grades, new_s.model.grading.grades)


def movement_by_order(
    old: dict | None, new: dict | None, old_grades: Sequence[str], new_grades: Sequence[str]
):
    """``grade_movement`` with each run's grades (best first) instead of its scheme."""
    if old is None:
        return None, None, "only_new"
    if new is None:
        return None, None, "only_old"
    old_tier, new_tier = _tier(old["grade"], old_grades), _tier(new["grade"], new_grades)
    rank_change = (
        old["rank"] - new["rank"] if old["rank"] is not None and new["rank"] is not None else None
    )
    if old_tier is None or new_tier is None:
        return None, rank_change, "ungraded"
    tier_change = old_tier - new_tier
    return (
        tier_change,
        rank_change,
        "up" if tier_change > 0 else "down" if tier_change < 0 else "same",
    )


def compare_runs(old: RunResult, new: RunResult) -> Comparison:
    """Match two runs' results by unit, best new rank first (units only in the old run last)."""
    before = {row["unit"]: row for row in result_rows(old.state)}
    after = {row["unit"]: row for row in result_rows(new.state)}
    order = [*after, *(unit for unit in before if unit not in after)]
    units = []
    transitions: Counter = Counter()
    for unit in order:
        a, b = before.get(unit), after.get(unit)
        tier_change, rank_change, movement = grade_movement(a, b, old.scheme, new.scheme)
        old_score = _number(a["score"]) if a else None
        new_score = _number(b["score"]) if b else None
        units.append(
            UnitMovement(
                unit=unit,
                name=(b or a)["name"],
                old_score=old_score,
                old_grade=a["grade"] if a else None,
                old_rank=a["rank"] if a else None,
                new_score=new_score,
                new_grade=b["grade"] if b else None,
                new_rank=b["rank"] if b else None,
                score_change=(
                    round(new_score - old_score, 6)
                    if old_score is not None and new_score is not None
                    else None
                ),
                tier_change=tier_change,
                rank_change=rank_change,
                movement=movement,
            )
        )
        if a and b:
            transitions[(a["grade"], b["grade"])] += 1
    return Comparison(old, new, units, transitions)


def compare_schemes(
    old: str | LoadedScheme,
    new: str | LoadedScheme,
    data: Path,
    period: str | None = None,
    out: Path | None = None,
    seed: int = 0,
) -> Comparison:
    """Run ``old`` and ``new`` over ``data`` and compare; with ``out``, write both runs
    (``out/old``, ``out/new``) and ``out/compare.csv``."""
    old_scheme = old if isinstance(old, LoadedScheme) else load_scheme(old)
    new_scheme = new if isinstance(new, LoadedScheme) else load_scheme(new)
    out = Path(out) if out is not None else None
    old_run = assess(old_scheme, data, out / "old" if out else None, period=period, seed=seed)
    new_run = assess(new_scheme, data, out / "new" if out else None, period=period, seed=seed)
    comparison = compare_runs(old_run, new_run)
    if out is not None:
        write_comparison(comparison, out / "compare.csv")
    return comparison


def write_comparison(comparison: Comparison, path: Path) -> None:
    """``compare.csv`` (UTF-8), written beside and renamed into place (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for unit in comparison.units:
            writer.writerow(["" if v is None else v for v in unit.as_row().values()])
    os.replace(partial, path)
