"""Monitoring rules (防返贫监测规则) as data: who is monitored, when risk is eliminated.

A rules file declares parameters (with how sure we are of each), per-province and per-year
thresholds, the three monitored groups, the conditions for eliminating risk and the condition for
a return to poverty. Conditions are SQL expressions over one household's facts (``FACTS``) and
the parameters, checked with the scheme expression language when the file loads; problems are
reported as ``FILE:LINE: message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ..errors import Problem, SchemeError
from ..expr import ExprError, Expression, ExprKind, parse, suggest
from ..i18n import text
from ..scheme.documents import Kind, bundled_files, load_document
from ..scheme.model import Identifier, Model, Parameter
from ..scheme.yaml_lines import line_of

# Per-household facts the engine computes (monitoring/facts.py); conditions may read these.
FACTS: dict[str, str] = {
    "registry_status": "text",  # 已脱贫户 (left poverty, in the registry) or 一般农户
    "size": "integer",
    "labour_capacity": "boolean",
    "food_clothing_ok": "boolean",
    "education_ok": "boolean",
    "medical_ok": "boolean",
    "housing_ok": "boolean",
    "water_ok": "boolean",
    "guarantees_ok": "boolean",  # all five above
    "income_per_capita": "number",  # latest income check on or before the as-of date
    "household_income": "number",  # income_per_capita × size
    "months_above_line": "integer",  # months since income last rose above the monitoring line
    "events": "integer",  # risk events within the window
    "event_expense": "number",  # their out-of-pocket expenses
    "income_loss": "number",  # their income losses (yuan per year)
    "unresolved_expense": "number",  # expenses of events not resolved by the as-of date
    "identified": "boolean",  # in the monitoring records by the as-of date
    "elimination_recorded": "boolean",  # the records mark the risk as eliminated
    "assistance_measures": "integer",  # distinct assistance measures started
    "monitoring_line": "number",
}
# Parameters the engine itself reads (the rest only appear in conditions).
REQUIRED_PARAMETERS = (
    "national_line",
    "line_factor",
    "min_line_factor",
    "event_window_months",
)

# The parameter a public-notice step of the elimination procedure is held to (days).
NOTICE_PARAMETER = "min_notice_days"


class Condition(Model):
    id: Identifier
    label: str
    label_en: str | None = None
    when: str


class Outcome(Model):
    label: str
    label_en: str | None = None
    when: str


class ProcedureStep(Model):
    """A step of the risk-elimination procedure (风险消除程序), in the order the rules list them."""

    id: Identifier
    label: str
    label_en: str | None = None
    status: Literal["confirmed", "seed", "open"] = "confirmed"
    # the step's result is posted publicly: its record says when the notice ended, and the
    # notice lasts at least the parameter ``min_notice_days``
    public_notice: bool = False


class RulesModel(Model):
    id: str
    title: str
    title_en: str | None = None
    version: str
    policy_source: str
    parameters: dict[Identifier, Parameter]
    thresholds: list[dict[str, Any]] = Field(default_factory=list)
    groups: list[Condition]
    elimination: list[Condition]
    returned_to_poverty: Outcome
    elimination_procedure: list[ProcedureStep] = Field(default_factory=list)


@dataclass(frozen=True)
class MonitoringRules:
    """A checked rules file: the model, its parameters and parsed conditions."""

    model: RulesModel
    file: str
    sha256: str
    groups: list[Expression]
    elimination: list[Expression]
    returned: Expression

    @property
    def id(self) -> str:
        return self.model.id

    def thresholds(self, year: int, provinces: list[str]) -> dict[str, dict[str, float]]:
        """Every parameter's value per province for ``year``: defaults, then rows for every
        province ("*"), then rows for the province; ``monitoring_line`` defaults to
        line_factor × national_line."""
        defaults = {name: p.value for name, p in self.model.parameters.items()}
        result = {}
        for province in provinces:
            values = dict(defaults)
            for scope in ("*", province):
                for row in self.model.thresholds:
                    if str(row["province"]) == scope and int(row["year"]) == year:
                        values.update(
                            {k: v for k, v in row.items() if k not in ("province", "year")}
                        )
            values.setdefault("monitoring_line", values["line_factor"] * values["national_line"])
            result[province] = {k: float(v) for k, v in values.items()}
        return result


MONITORING_RULES = Kind(
    folder="monitoring/rules",
    noun=("监测规则", "monitoring rules"),
    bundled=("内置规则", "bundled rules"),
    mapping=None,
)


def bundled_rules() -> dict[str, Path]:
    return bundled_files(MONITORING_RULES.folder)


DEFAULT_RULES = "national-2021"


def load_rules(name_or_path: str = DEFAULT_RULES) -> MonitoringRules:
    """Load and check a rules file (or bundled rules by id); raise ``SchemeError`` if unusable."""
    # thresholds are read per province by the engine, not written as $name references
    document = load_document(name_or_path, RulesModel, MONITORING_RULES, substitute=False)
    model, doc, file = document.model, document.doc, document.file
    problems = []

    def problem(path: tuple, message: str) -> None:
        problems.append(Problem(file, line_of(doc, path), message))

    for name in REQUIRED_PARAMETERS:
        if name not in model.parameters:
            problem(
                ("parameters",),
                text(
                    f"缺少参数 {name}（引擎需要它）",
                    f"missing parameter {name} (the engine needs it)",
                ),
            )
    names = set(model.parameters)
    _check_thresholds(model, names, problem)
    scope = set(FACTS) | names
    for name in names & set(FACTS):
        problem(
            ("parameters", name),
            text(
                f"参数名 {name} 与住户事实重名，请换一个名称",
                f"parameter {name} has the name of a household fact; choose another",
            ),
        )

    def checked(source: str, path: tuple) -> Expression | None:
        try:
            return parse(source, scope, ExprKind.ROW)
        except ExprError as error:
            problem(path, str(error))
            return None

    groups = [checked(g.when, ("groups", i, "when")) for i, g in enumerate(model.groups)]
    elimination = [
        checked(c.when, ("elimination", i, "when")) for i, c in enumerate(model.elimination)
    ]
    returned = checked(model.returned_to_poverty.when, ("returned_to_poverty", "when"))
    if any(step.public_notice for step in model.elimination_procedure) and (
        NOTICE_PARAMETER not in model.parameters
    ):
        problem(
            ("elimination_procedure",),
            text(
                f"有公示步骤，须声明参数 {NOTICE_PARAMETER}（公示最短天数）",
                f"a step has a public notice: declare the parameter {NOTICE_PARAMETER} "
                "(the shortest notice, in days)",
            ),
        )
    for section, items in (
        ("groups", model.groups),
        ("elimination", model.elimination),
        ("elimination_procedure", model.elimination_procedure),
    ):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problem(
                    (section, i, "id"),
                    text(f"id {item.id} 重复", f"the id {item.id} appears twice"),
                )
            seen.add(item.id)
    if problems:
        raise SchemeError(problems)
    return MonitoringRules(
        model=model,
        file=file,
        sha256=document.sha256,
        groups=groups,  # type: ignore[arg-type]
        elimination=elimination,  # type: ignore[arg-type]
        returned=returned,  # type: ignore[arg-type]
    )


def _check_thresholds(model: RulesModel, names: set[str], problem) -> None:
    """Rows name a province and a year and set known parameters; a provincial monitoring line may
    not be below min_line_factor × the national line of that year (policy.md §7)."""
    settable = names | {"monitoring_line"}
    national: dict[int, float] = {}
    for i, row in enumerate(model.thresholds):
        path = ("thresholds", i)
        if "province" not in row or "year" not in row:
            problem(path, text("每行须写 province 和 year", "each row needs a province and a year"))
            continue
        try:
            year = int(row["year"])
        except (TypeError, ValueError):
            problem((*path, "year"), text("year 应为年份", "year should be a year"))
            continue
        for key, value in row.items():
            if key in ("province", "year"):
                continue
            if key not in settable:
                problem(
                    (*path, key),
                    text(f"未声明的参数 {key}", f"undeclared parameter {key}")
                    + suggest(key, settable),
                )
            elif not isinstance(value, int | float) or isinstance(value, bool):
                problem((*path, key), text(f"{key} 应为数值", f"{key} should be a number"))
        if str(row["province"]) == "*" and isinstance(row.get("national_line"), int | float):
            national[year] = float(row["national_line"])
    default_national = model.parameters.get("national_line")
    minimum = model.parameters.get("min_line_factor")
    if default_national is None or minimum is None:
        return
    for i, row in enumerate(model.thresholds):
        line = row.get("monitoring_line")
        if not isinstance(line, int | float) or "year" not in row:
            continue
        try:
            year = int(row["year"])
        except (TypeError, ValueError):
            continue
        base = float(row.get("national_line", national.get(year, default_national.value)))
        floor = float(minimum.value) * base
        if line < floor:
            problem(
                ("thresholds", i, "monitoring_line"),
                text(
                    f"监测线 {line:g} 低于国家扶贫标准 {base:g} 的 {minimum.value:g} 倍（{floor:g}）",
                    f"monitoring line {line:g} is below {minimum.value:g} × the national line "
                    f"{base:g} ({floor:g})",
                ),
            )
