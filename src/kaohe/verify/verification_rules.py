"""The verification rules files: thresholds, estimate definitions, reconciliation items and
household eligibility rules, as YAML data with policy sources cited and open values marked.

Policy facts (错退率 < 2%, 认可度 ≥ 90%, the poverty line of each year …) live in these files, never
in code. Every expression is parsed and checked against the columns it may read when the file
loads; problems are reported together as ``FILE:LINE: message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import Problem, SchemeError, UsageError
from ..expr import ExprError, Expression, ExprKind, parse
from ..i18n import text
from ..scheme.documents import bundled_file, read_yaml, validate
from ..scheme.yaml_lines import line_of
from .inputs import OPTIONAL_COLUMNS, SOURCE_COLUMNS

Status = Literal["confirmed", "seed", "open"]
Severity = Literal["严重", "一般", "提示"]  # serious / moderate / notice
SEVERITIES: tuple[str, ...] = ("严重", "一般", "提示")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Value(Model):
    """A policy value with how sure we are of it (as in schemes: confirmed / seed / open)."""

    value: Any
    status: Status = "open"
    source: str | None = None
    note: str | None = None


class ByAttribute(Model):
    """A threshold that differs by a unit attribute (e.g. 3% instead of 2% in the west)."""

    column: str
    values: dict[str, float]


class Threshold(Model):
    """A bound a rate must respect: ``max`` (at most) or ``min`` (at least); ``strict`` for < / >."""

    max: float | None = None
    min: float | None = None
    strict: bool = False
    by_attribute: ByAttribute | None = None
    status: Status = "open"
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.max is None) == (self.min is None):
            raise ValueError("a threshold sets exactly one of 'max' or 'min'")
        return self

    @property
    def direction(self) -> Literal["max", "min"]:
        return "max" if self.max is not None else "min"

    def bound_for(self, attributes: dict[str, Any]) -> float:
        """The bound for a unit with these attributes (units.csv values, as text)."""
        bound = self.max if self.max is not None else self.min
        if self.by_attribute is not None:
            raw = attributes.get(self.by_attribute.column)
            key = "" if raw is None else str(raw).strip().lower()
            for value, override in self.by_attribute.values.items():
                if str(value).strip().lower() == key:
                    return override
        return float(bound)


class EstimateRule(Model):
    """A proportion estimated from the field-check sample: events among the domain's households."""

    label: str
    label_en: str | None = None
    definition: str | None = None
    source: str = "field_checks"
    domain: str  # row condition: which checked households the rate is about
    event: str  # row condition: which of them count
    threshold: Threshold | None = None


class Aggregate(Model):
    source: str
    expr: str


class RatioRule(Model):
    """A ratio of two registry/survey aggregates per unit (not sampled: no interval)."""

    label: str
    label_en: str | None = None
    definition: str | None = None
    numerator: Aggregate
    denominator: Aggregate
    threshold: Threshold | None = None


class ReconciliationRule(Model):
    """Claimed (self-reported) against verified, summed with design weights over checked rows."""

    label: str
    label_en: str | None = None
    claimed: str  # row expression: what the registry / self-report says for the household
    verified: str  # row expression: what the field check found
    where: str = "true"  # which checked households the item covers
    tolerance: float = Field(default=0.0, ge=0)  # relative gap tolerated per household
    needs: list[str] = Field(default_factory=list)  # sources joined by household_id


class VerificationRules(Model):
    id: str
    title: str
    title_en: str | None = None
    policy_source: str
    confidence: Value
    interval: Literal["wilson", "clopper_pearson"] = "wilson"
    finite_population_correction: bool = True
    estimates: dict[str, EstimateRule]
    ratios: dict[str, RatioRule] = Field(default_factory=dict)
    reconciliation: dict[str, ReconciliationRule] = Field(default_factory=dict)


class EligibilityRule(Model):
    label: str
    label_en: str | None = None
    category: Literal["错评", "错退", "漏评"]
    when: str
    severity: Severity = "一般"
    note: str | None = None


class EligibilityRules(Model):
    id: str
    title: str
    policy_source: str
    # The registry holds registered households only, so omission (漏评) cannot be seen in it;
    # a frame of all rural households with the same columns could be named here instead.
    source: Literal["households"] = "households"
    poverty_line: dict[str, Value]  # period → yuan per person per year
    parameters: dict[str, Value] = Field(default_factory=dict)
    derived: dict[str, str] = Field(default_factory=dict)  # named row expressions, in order
    rules: dict[str, EligibilityRule]


@dataclass(frozen=True)
class Loaded:
    """A checked rules file: the model, its parsed expressions, the file and its hash."""

    model: Any
    file: str
    sha256: str
    expressions: dict[tuple, Expression]


RULES_FOLDER = "verify/rules"


def bundled(name: str) -> Path:
    return bundled_file(RULES_FOLDER, name)


def read_rules_file(path: Path, model_type) -> tuple[Any, Any, str, str]:
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"规则文件 {path} 不存在", f"the rules file {path} does not exist"))
    doc, file, sha256 = read_yaml(
        path, ("规则文件应是一个 YAML 映射", "a rules file must be a mapping")
    )
    return validate(model_type, doc, file), doc, file, sha256


def source_scope(source: str) -> list[str]:
    return [*SOURCE_COLUMNS.get(source, {}), *OPTIONAL_COLUMNS.get(source, {})]


def _checked(problems, file, doc, path, source, scope, kind, out) -> None:
    try:
        out[path] = parse(source, scope, kind)
    except ExprError as error:
        problems.append(Problem(file, line_of(doc, path), str(error)))


def load_verification_rules(path: Path | None = None) -> Loaded:
    """Read and check a verification rules file (default: the bundled one)."""
    path = Path(path) if path else bundled("verification.yaml")
    model, doc, file, digest = read_rules_file(path, VerificationRules)
    problems: list[Problem] = []
    expressions: dict[tuple, Expression] = {}
    confidence = model.confidence.value
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        problems.append(
            Problem(
                file,
                line_of(doc, ("confidence",)),
                text("置信水平应在 0 与 1 之间", "confidence must lie between 0 and 1"),
            )
        )
    for name, rule in model.estimates.items():
        if rule.source not in SOURCE_COLUMNS:
            problems.append(
                Problem(
                    file,
                    line_of(doc, ("estimates", name, "source")),
                    text(f"未知数据源 {rule.source}", f"unknown source {rule.source}"),
                )
            )
            continue
        scope = source_scope(rule.source)
        for part in ("domain", "event"):
            value = getattr(rule, part)
            _checked(
                problems, file, doc, ("estimates", name, part), value, scope, ExprKind.ROW,
                expressions,
            )  # fmt: skip
    for name, rule in model.ratios.items():
        for part in ("numerator", "denominator"):
            aggregate = getattr(rule, part)
            where = ("ratios", name, part, "expr")
            if aggregate.source not in SOURCE_COLUMNS:
                problems.append(
                    Problem(
                        file,
                        line_of(doc, ("ratios", name, part, "source")),
                        text(
                            f"未知数据源 {aggregate.source}", f"unknown source {aggregate.source}"
                        ),
                    )
                )
                continue
            scope = source_scope(aggregate.source)
            _checked(
                problems, file, doc, where, aggregate.expr, scope, ExprKind.AGGREGATE, expressions
            )
    for name, rule in model.reconciliation.items():
        scope = source_scope("field_checks")
        for source in rule.needs:
            scope += [f"{source}_{c}" for c in source_scope(source)]
        for part in ("claimed", "verified", "where"):
            where = ("reconciliation", name, part)
            value = getattr(rule, part)
            _checked(problems, file, doc, where, value, scope, ExprKind.ROW, expressions)
    if problems:
        raise SchemeError(problems)
    return Loaded(model, file, digest, expressions)


def load_eligibility_rules(path: Path | None = None) -> Loaded:
    """Read and check a household eligibility rules file (default: the bundled one)."""
    path = Path(path) if path else bundled("eligibility.yaml")
    model, doc, file, digest = read_rules_file(path, EligibilityRules)
    problems: list[Problem] = []
    expressions: dict[tuple, Expression] = {}
    constants = ["poverty_line", *model.parameters]
    for name, value in model.parameters.items():
        if not isinstance(value.value, int | float) or isinstance(value.value, bool):
            problems.append(
                Problem(
                    file,
                    line_of(doc, ("parameters", name, "value")),
                    text(f"参数 {name} 应是数值", f"parameter {name} must be a number"),
                )
            )
    for period, value in model.poverty_line.items():
        if not isinstance(value.value, int | float) or value.value <= 0:
            problems.append(
                Problem(
                    file,
                    line_of(doc, ("poverty_line", period, "value")),
                    text("贫困线应是正数（元/人·年）", "a poverty line must be a positive number"),
                )
            )
    scope = [*source_scope(model.source), *constants]
    for name, expr in model.derived.items():
        _checked(problems, file, doc, ("derived", name), expr, scope, ExprKind.ROW, expressions)
        scope = [*scope, name]  # later expressions may use earlier derived names
    for name, rule in model.rules.items():
        where = ("rules", name, "when")
        _checked(problems, file, doc, where, rule.when, scope, ExprKind.ROW, expressions)
    if problems:
        raise SchemeError(problems)
    return Loaded(model, file, digest, expressions)
