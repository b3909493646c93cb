"""Year-end evaluation (年终评价): a project's score from the achievement of its targets.

The self-evaluation (自评) is the project's own year-end values: the budget executed and the actual
value of every indicator of its target table. The score (``rules/evaluation.yaml``) gives budget
execution and each indicator group their points, each indicator an equal share of its group's,
scaled by achievement. The finance department's spot checks (``spot_checks``) give verified values
for a sample of projects; the same scoring on them is the verified score, and where a project was
checked the verified score prevails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import DataError
from ..i18n import text
from .fund_rules import LoadedRules, RulesHeader, RulesModel, load_rules
from .library import LibraryState
from .monitoring import item_and_value, library_project
from .tables import Table
from .targets import BUDGET_ITEM, Project, framework

VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号",),
    "item": ("指标编号", "指标", "indicator_id", "indicator"),
    "value": ("实际完成值", "完成值", "实际值", "核查值", "数值", "actual", "verified"),
}
SELF_SHEETS = ("self_evaluation", "自评", "年度自评")
CHECK_SHEETS = ("spot_checks", "抽查", "核查")


class Points(RulesModel):
    budget: float = Field(ge=0)
    groups: dict[str, float]


class SpotCheckRules(RulesModel):
    min_share: float = Field(ge=0, le=1)
    stratum: str | None = "unit"


class EvaluationRules(RulesHeader):
    points: Points
    achievement_cap: float = Field(default=1.0, gt=0)
    spot_checks: SpotCheckRules
    material_difference: float = Field(default=5, ge=0)
    grades: list[tuple[float | None, str]]

    def grade(self, score: float | None) -> str | None:
        if score is None:
            return None
        for cut, name in self.grades:
            if cut is None or score >= cut:
                return name
        return None


def load_evaluation_rules(rules: str | Path = "evaluation", overrides: dict | None = None):
    loaded: LoadedRules[EvaluationRules] = load_rules(rules, EvaluationRules, overrides)
    return loaded


@dataclass
class IndicatorScore:
    indicator_id: str
    name: str
    category: str
    group: str
    target: float | None
    direction: str | None
    actual: float | None
    achievement: float
    points: float
    max_points: float


@dataclass
class Score:
    """One scoring of a project on one set of values (self-reported or verified)."""

    total: float
    budget_rate: float | None
    budget_points: float
    group_rates: dict[str, float]
    indicators: list[IndicatorScore]
    missing: list[str]  # items with no value (scored 0)


def score_project(project: Project, values: dict[str, float], rules: EvaluationRules) -> Score:
    """Score ``project`` on ``values`` (item → year-end value)."""
    frame = framework()
    by_group: dict[str, list] = {}
    for target in project.targets:
        by_group.setdefault(frame.categories[target.category].group, []).append(target)
    present = {g: p for g, p in rules.points.groups.items() if by_group.get(g)}
    nominal = rules.points.budget + sum(rules.points.groups.values())
    available = rules.points.budget + sum(present.values())
    scale = nominal / available if available > 0 else 0.0
    missing = []
    executed = values.get(BUDGET_ITEM)
    if executed is None:
        missing.append(BUDGET_ITEM)
        budget_rate = None
    else:
        budget_rate = executed / project.budget if project.budget > 0 else None
    budget_max = rules.points.budget * scale
    budget_points = budget_max * min(max(budget_rate or 0.0, 0.0), 1.0)
    indicators = []
    rates: dict[str, float] = {}
    for group, points in present.items():
        targets = by_group[group]
        each = points * scale / len(targets)
        shares = []
        for target in targets:
            actual = values.get(target.indicator_id)
            if actual is None:
                missing.append(target.indicator_id)
            share = target.achievement(actual, rules.achievement_cap)
            shares.append(min(share, 1.0))
            indicators.append(
                IndicatorScore(
                    target.indicator_id,
                    target.name,
                    target.category,
                    group,
                    target.value,
                    target.direction,
                    actual,
                    share,
                    each * share,
                    each,
                )
            )
        rates[group] = sum(shares) / len(shares)
    total = budget_points + sum(i.points for i in indicators)
    return Score(round(total, 4), budget_rate, budget_points, rates, indicators, missing)


@dataclass
class ProjectEvaluation:
    project: Project
    self_values: dict[str, float] | None
    verified_values: dict[str, float] | None  # the checked items only
    self_score: Score | None
    verified_score: Score | None
    grade: str | None

    @property
    def checked(self) -> bool:
        return self.verified_score is not None

    @property
    def final(self) -> Score | None:
        return self.verified_score if self.verified_score is not None else self.self_score

    @property
    def difference(self) -> float | None:
        if self.verified_score is None or self.self_score is None:
            return None
        return round(self.verified_score.total - self.self_score.total, 4)

    def final_values(self) -> dict[str, float]:
        return {**(self.self_values or {}), **(self.verified_values or {})}


@dataclass
class Evaluation:
    projects: list[ProjectEvaluation]
    rules: LoadedRules[EvaluationRules]
    coverage: dict[str, Any]
    not_evaluated: list[str] = field(default_factory=list)
    preliminary: bool = False


def read_values(
    table: Table, state: LibraryState, what: tuple[str, str]
) -> dict[str, dict[str, float]]:
    """A table of (project, item, value) rows checked against the library; all problems at once."""
    problems: list[str] = []
    values: dict[str, dict[str, float]] = {}
    seen: dict[tuple[str, str], Any] = {}
    for row in table.rows:
        project = library_project(
            row, state, problems, where=(f"{what[0]}中的", f" of the {what[1]}")
        )
        if project is None:
            continue
        pid = project.project_id
        read = item_and_value(row, project, problems)
        if read is None:
            continue
        item, value = read
        if (pid, item) in seen:
            problems.append(
                text(
                    f"{row.place}：项目 {pid} 的 {item} 重复（首次出现在 {seen[pid, item]}）",
                    f"{row.place}: project {pid}, item {item} appears again "
                    f"(first at {seen[pid, item]})",
                )
            )
            continue
        seen[pid, item] = row.place
        values.setdefault(pid, {})[item] = value
    if problems:
        raise DataError("\n".join(problems))
    return values


def evaluate(
    state: LibraryState,
    self_values: dict[str, dict[str, float]],
    check_values: dict[str, dict[str, float]],
    rules: LoadedRules[EvaluationRules],
    preliminary: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Score every project of the library; raise ``DataError`` when the checks fall short.
    ``progress`` is called with the projects done and the projects in all after each one.

    The spot checks must cover the drawn sample (when one was drawn with ``kaohe funds sample``)
    and at least ``spot_checks.min_share`` of the evaluated projects, unless ``preliminary``.
    """
    model = rules.model
    results = []
    not_evaluated = []
    for done, pid in enumerate(sorted(state.projects), start=1):
        own = self_values.get(pid)
        checked = check_values.get(pid)
        if own is None and checked is None:
            not_evaluated.append(pid)
        else:
            results.append(_evaluate_project(state.projects[pid], own, checked, model))
        if progress is not None:
            progress(done, len(state.projects))
    coverage = _coverage(state, results, model, preliminary)
    return Evaluation(results, rules, coverage, not_evaluated, preliminary)


def _evaluate_project(
    project: Project,
    own: dict[str, float] | None,
    checked: dict[str, float] | None,
    model: EvaluationRules,
) -> ProjectEvaluation:
    """A project's self score, its verified score where checked (the checked values over its
    own), and its grade from the score that prevails."""
    self_score = score_project(project, own, model) if own is not None else None
    verified = None
    if checked is not None:
        verified = score_project(project, {**(own or {}), **checked}, model)
    final = verified if verified is not None else self_score
    return ProjectEvaluation(
        project, own, checked, self_score, verified, model.grade(final.total if final else None)
    )


def _coverage(state: LibraryState, results, model: EvaluationRules, preliminary: bool) -> dict:
    evaluated = len(results)
    checked = sum(1 for r in results if r.checked)
    share = checked / evaluated if evaluated else 0.0
    sampled = list(state.sample["projects"]) if state.sample else []
    done = {r.project.project_id for r in results if r.checked}
    unchecked = [pid for pid in sampled if pid not in done]
    coverage = {
        "evaluated": evaluated,
        "checked": checked,
        "share": round(share, 6),
        "min_share": model.spot_checks.min_share,
        "sample": len(sampled),
        "sample_unchecked": unchecked,
    }
    if preliminary or not evaluated:
        return coverage
    problems = []
    if unchecked:
        shown = "、".join(unchecked[:10]) + ("…" if len(unchecked) > 10 else "")
        problems.append(
            text(
                f"抽查样本中有 {len(unchecked)} 个项目没有核查结果：{shown}；"
                "请补齐抽查结果（或用 --preliminary 出具初步结果）",
                f"{len(unchecked)} sampled projects have no spot-check result: {shown}; "
                "add their checks (or use --preliminary for a preliminary result)",
            )
        )
    if share + 1e-12 < model.spot_checks.min_share:
        problems.append(
            text(
                f"财政部门抽查覆盖 {checked}/{evaluated} 个项目（{share:.1%}），"
                f"低于规定的 {model.spot_checks.min_share:.0%}；请先用 kaohe funds sample 抽取样本并核查",
                f"the spot checks cover {checked} of {evaluated} projects ({share:.1%}), below the "
                f"required {model.spot_checks.min_share:.0%}; draw a sample with "
                "kaohe funds sample and check it",
            )
        )
    if problems:
        raise DataError("\n".join(problems))
    return coverage


PROJECT_SCORE_COLUMNS = (
    "project_id",
    "unit",
    "name",
    "project_type",
    "budget",
    "budget_executed",
    "self_score",
    "verified_score",
    "difference",
    "final_score",
    "grade",
    "checked",
    "output_rate",
    "benefit_rate",
    "satisfaction_rate",
    "targets",
    "targets_met",
    "tasks_achieved",
)


def project_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    """One row per evaluated project (the ``project_scores.csv`` columns)."""
    rows = []
    for result in evaluation.projects:
        final = result.final
        values = result.final_values()
        outputs = [i for i in final.indicators if i.group == "output"]
        rows.append(
            {
                "project_id": result.project.project_id,
                "unit": result.project.unit,
                "name": result.project.name,
                "project_type": result.project.project_type,
                "budget": result.project.budget,
                "budget_executed": values.get(BUDGET_ITEM),
                "self_score": _round(result.self_score.total if result.self_score else None),
                "verified_score": _round(
                    result.verified_score.total if result.verified_score else None
                ),
                "difference": _round(result.difference),
                "final_score": _round(final.total),
                "grade": result.grade,
                "checked": result.checked,
                "output_rate": _round(final.group_rates.get("output")),
                "benefit_rate": _round(final.group_rates.get("benefit")),
                "satisfaction_rate": _round(final.group_rates.get("satisfaction")),
                "targets": len(final.indicators),
                "targets_met": sum(1 for i in final.indicators if i.achievement >= 1.0),
                "tasks_achieved": bool(outputs) and all(i.achievement >= 1.0 for i in outputs),
            }
        )
    return rows


UNIT_SCORE_COLUMNS = (
    "unit",
    "projects",
    "checked",
    "budget",
    "self_score",
    "final_score",
    "mean_difference",
)


def unit_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Per county: budget-weighted mean scores (the performance factor of the allocation)."""
    by_unit: dict[str, list[ProjectEvaluation]] = {}
    for result in evaluation.projects:
        by_unit.setdefault(result.project.unit, []).append(result)
    rows = []
    for unit in sorted(by_unit):
        results = by_unit[unit]
        budget = sum(r.project.budget for r in results)
        own = [r for r in results if r.self_score is not None]
        own_budget = sum(r.project.budget for r in own)
        differences = [r.difference for r in results if r.difference is not None]
        rows.append(
            {
                "unit": unit,
                "projects": len(results),
                "checked": sum(1 for r in results if r.checked),
                "budget": round(budget, 4),
                "self_score": _round(
                    sum(r.project.budget * r.self_score.total for r in own) / own_budget
                    if own_budget
                    else None
                ),
                "final_score": _round(
                    sum(r.project.budget * r.final.total for r in results) / budget
                    if budget
                    else None
                ),
                "mean_difference": _round(
                    sum(differences) / len(differences) if differences else None
                ),
            }
        )
    return rows


def detail(evaluation: Evaluation, created: dt.datetime | None = None) -> dict[str, Any]:
    """The evaluation as JSON: every project's scores indicator by indicator, and the coverage."""
    from dataclasses import asdict

    projects = {}
    for result in evaluation.projects:
        projects[result.project.project_id] = {
            "unit": result.project.unit,
            "grade": result.grade,
            "checked": result.checked,
            "difference": result.difference,
            "self": asdict(result.self_score) if result.self_score else None,
            "verified": asdict(result.verified_score) if result.verified_score else None,
            "verified_values": result.verified_values,
        }
    material = [
        {"project_id": r.project.project_id, "difference": r.difference}
        for r in evaluation.projects
        if r.difference is not None
        and abs(r.difference) >= evaluation.rules.model.material_difference
    ]
    return {
        "rules": evaluation.rules.describe(),
        "preliminary": evaluation.preliminary,
        "coverage": evaluation.coverage,
        "not_evaluated": evaluation.not_evaluated,
        "material_differences": material,
        "projects": projects,
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
