"""The performance target table (绩效目标表) and the project that carries it.

A target is one row of the table: an indicator of a category (quantity, cost, economic benefit,
satisfaction …) with a quantified value, a unit of measure and a direction (at least / at most).
The framework of categories and groups is data (``rules/targets.yaml``), read by ``framework()``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import Field

from ..i18n import text
from .fund_rules import RulesHeader, RulesModel, load_rules

BUDGET_ITEM = (
    "budget_executed"  # the item of a report that is the budget executed (万元), not a target
)


class Group(RulesModel):
    label: str
    label_en: str | None = None


class Category(RulesModel):
    group: str
    label: str
    label_en: str | None = None
    aliases: list[str] = Field(default_factory=list)
    default_direction: str | None = None


class Direction(RulesModel):
    label: str
    label_en: str | None = None
    aliases: list[str] = Field(default_factory=list)


class Framework(RulesHeader):
    """The categories a target table may use, their groups, and the directions."""

    groups: dict[str, Group]
    categories: dict[str, Category]
    directions: dict[str, Direction]
    default_direction: str = "higher"

    def default_direction_of(self, category: str) -> str:
        return self.categories[category].default_direction or self.default_direction

    def category_of(self, raw: str) -> str | None:
        """The category id for what a spreadsheet wrote (id, Chinese label or alias)."""
        wanted = raw.strip().lower()
        for cid, category in self.categories.items():
            names = [cid, category.label, category.label_en or "", *category.aliases]
            if wanted in (name.lower() for name in names if name):
                return cid
        return None

    def direction_of(self, raw: str) -> str | None:
        wanted = raw.strip().lower()
        for did, direction in self.directions.items():
            if wanted in (name.lower() for name in [did, direction.label, *direction.aliases]):
                return did
        return None

    def label(self, category: str) -> str:
        item = self.categories[category]
        return text(item.label, item.label_en or item.label)

    def group_label(self, group: str) -> str:
        item = self.groups[group]
        return text(item.label, item.label_en or item.label)


@functools.cache
def framework() -> Framework:
    """The bundled target-table framework."""
    return load_rules("targets", Framework).model


@dataclass(frozen=True)
class Target:
    """One indicator of a project's target table."""

    indicator_id: str
    category: str  # a Framework category id
    name: str
    value: float | None
    unit_of_measure: str
    direction: str | None  # a Framework direction id

    @property
    def quantified(self) -> bool:
        """A number, a unit of measure and a direction: what the gate counts."""
        return self.value is not None and bool(self.unit_of_measure) and self.direction is not None

    def achievement(self, actual: float | None, cap: float = 1.0) -> float:
        """Share of the target achieved, 0 to ``cap``: actual/target (at least) or target/actual."""
        if actual is None or self.value is None:
            return 0.0
        target = self.value
        if self.direction == "lower":
            share = cap if actual <= target or actual <= 0 else max(target, 0.0) / actual
        elif target <= 0:
            share = cap if actual >= target else 0.0
        else:
            share = actual / target
        return float(min(max(share, 0.0), cap))

    def met(self, actual: float | None) -> bool:
        return self.achievement(actual) >= 1.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(**data)


@dataclass(frozen=True)
class Project:
    """A project as the library holds it: its facts and its current target table."""

    project_id: str
    name: str
    unit: str  # the county's code (GB/T 2260)
    project_type: str
    budget: float  # 万元
    start_date: dt.date
    end_date: dt.date
    owner: str
    targets: tuple[Target, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # other columns the file carried

    def target(self, indicator_id: str) -> Target | None:
        for item in self.targets:
            if item.indicator_id == indicator_id:
                return item
        return None

    def with_target(self, new: Target) -> Project:
        targets = tuple(new if t.indicator_id == new.indicator_id else t for t in self.targets)
        return Project(**{**self.__dict__, "targets": targets})

    def time_progress(self, on: dt.date) -> float:
        """Share of the planned duration elapsed on ``on`` (0 before the start, 1 after the end)."""
        days = (self.end_date - self.start_date).days
        if days <= 0:
            return 1.0 if on >= self.end_date else 0.0
        return min(max((on - self.start_date).days / days, 0.0), 1.0)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "targets"}
        data["start_date"] = self.start_date.isoformat()
        data["end_date"] = self.end_date.isoformat()
        data["targets"] = [t.to_json() for t in self.targets]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Project:
        values = dict(data)
        values["start_date"] = dt.date.fromisoformat(values["start_date"])
        values["end_date"] = dt.date.fromisoformat(values["end_date"])
        values["targets"] = tuple(Target.from_json(t) for t in values.get("targets", ()))
        return cls(**values)
