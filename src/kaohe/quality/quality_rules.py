"""The quality rules file: which detectors run, on what, with which thresholds and severities.

Thresholds are data (quality.yaml), with their sources cited and open values marked, never
constants in code. Expressions (populations, metrics, conditions) are parsed and checked against
the columns they may read when the file loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ..errors import Problem, SchemeError
from ..expr import ExprError, Expression, ExprKind, parse
from ..scheme.documents import bundled_file
from ..scheme.yaml_lines import line_of
from ..verify.verification_rules import Model, Severity, read_rules_file, source_scope

Levels = list[str]


class Detector(Model):
    enabled: bool = True
    label: str
    label_en: str | None = None
    note: str | None = None


class ResidentIds(Detector):
    # known: the first six digits are a GB/T 2260 code (any year); at_birth_year: valid in the
    # birth year (stdnum's full check; IDs issued after a county was renamed then fail); off.
    birth_place: Literal["known", "at_birth_year", "off"] = "known"
    severity: Severity = "一般"
    examples: int = Field(default=3, ge=0)


class DuplicateIds(Detector):
    severity: dict[
        Literal["within_household", "across_households", "across_counties", "across_provinces"],
        Severity,
    ]
    examples: int = Field(default=3, ge=0)


class Bounds(Model):
    min: float | None = None
    max: float | None = None
    status: Literal["confirmed", "seed", "open"] = "open"
    note: str | None = None


class ImplausibleRecords(Detector):
    age: Bounds
    household_size: Bounds
    income: Bounds  # income per capita, yuan per year
    income_jump: Bounds  # this year's income over last year's
    severity: Severity = "一般"
    examples: int = Field(default=3, ge=0)


class Bunching(Detector):
    source: Literal["households"] = "households"
    column: str = "income_per_capita"
    population: str  # row condition: the exited households
    bin_width: float = Field(gt=0)  # as a share of the poverty line
    window_bins: int = Field(default=2, ge=1)  # bins just above the line under test
    fit_bins: int = Field(default=20, ge=3)  # bins above the window that fit the smooth density
    degree: int = Field(default=2, ge=0)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_households: int = Field(default=200, ge=1)
    levels: Levels
    severity: Severity = "严重"


class MoneyTarget(Model):
    source: str
    column: str
    level: str
    where: str = "true"


class Benford(Detector):
    targets: list[MoneyTarget]
    tests: list[Literal["first", "first_two"]] = Field(
        default_factory=lambda: ["first", "first_two"]
    )
    min_value: float = 10.0  # Nigrini: values below 10 are left out
    min_count: int = Field(default=300, ge=1)
    min_orders_of_magnitude: float = 2.0  # Benford needs data spanning orders of magnitude
    mad_bands: dict[str, list[tuple[float | None, str]]]  # test → [[upper bound, band], …]
    nonconformity_severity: Severity = "一般"
    marginal_severity: Severity = "提示"


class DigitTarget(Model):
    source: str
    column: str
    level: str
    where: str = "true"
    min_value: float = 10.0


class Whipple(Model):
    label: str
    source: str = "persons"
    column: str = "age"
    level: str = "county"
    min_count: int = Field(default=100, ge=1)
    bands: list[tuple[float | None, str]]  # [[upper bound (exclusive), category], …]
    report_from: float  # an index at or above this is a finding
    severity: Severity = "提示"


class DigitHeaping(Detector):
    targets: list[DigitTarget]
    whipple: Whipple | None = None
    alpha: float = Field(default=0.001, gt=0, lt=1)
    min_count: int = Field(default=100, ge=10)
    severity: Severity = "提示"


class Metric(Model):
    label: str
    source: str
    expr: str
    bounds: Bounds | None = None


class Outliers(Detector):
    level: str
    metrics: dict[str, Metric]
    zscore: float = Field(default=3.0, gt=0)
    modified_zscore: float = Field(default=3.5, gt=0)
    min_units: int = Field(default=5, ge=3)
    severity: Severity = "提示"
    bounds_severity: Severity = "一般"


class UnitCompare(Model):
    label: str
    left: dict[str, str]  # {source, expr}
    right: dict[str, str]
    relation: Literal["equal", "at_most"]  # left = right / left ≤ right
    tolerance: float = Field(default=0.0, ge=0)  # relative to the right side
    severity: Severity = "一般"


class KeyMatch(Model):
    label: str
    left: str  # source whose rows are checked
    right: str  # source joined on household_id (columns prefixed <right>_)
    when: str  # row condition that is a finding
    severity: Severity = "一般"


class CrossSource(Detector):
    unit_compare: dict[str, UnitCompare] = Field(default_factory=dict)
    key_match: dict[str, KeyMatch] = Field(default_factory=dict)


class EligibilityFlags(Detector):
    level: str = "county"


class QualityRules(Model):
    id: str
    title: str
    policy_source: str
    resident_ids: ResidentIds
    duplicate_ids: DuplicateIds
    implausible_records: ImplausibleRecords
    bunching: Bunching
    benford: Benford
    digit_heaping: DigitHeaping
    outliers: Outliers
    cross_source: CrossSource
    eligibility_flags: EligibilityFlags


@dataclass(frozen=True)
class LoadedQuality:
    model: QualityRules
    file: str
    sha256: str
    expressions: dict[tuple, Expression]


def bundled() -> Path:
    return bundled_file("quality/rules", "quality")


def load_quality_rules(path: Path | None = None) -> LoadedQuality:
    """Read and check a quality rules file (default: the bundled one)."""
    path = Path(path) if path else bundled()
    model, doc, file, digest = read_rules_file(path, QualityRules)
    problems: list[Problem] = []
    expressions: dict[tuple, Expression] = {}

    def check(where: tuple, expr: str, scope: list[str], kind: ExprKind) -> None:
        try:
            expressions[where] = parse(expr, scope, kind)
        except ExprError as error:
            problems.append(Problem(file, line_of(doc, where), str(error)))

    def known(where: tuple, source: str) -> bool:
        if source_scope(source):
            return True
        problems.append(Problem(file, line_of(doc, where), f"unknown source {source}"))
        return False

    check(
        ("bunching", "population"),
        model.bunching.population,
        source_scope(model.bunching.source),
        ExprKind.ROW,
    )
    for section, targets in (
        ("benford", model.benford.targets),
        ("digit_heaping", model.digit_heaping.targets),
    ):
        for i, target in enumerate(targets):
            if known((section, "targets", i, "source"), target.source):
                scope = source_scope(target.source)
                check((section, "targets", i, "where"), target.where, scope, ExprKind.ROW)
                check((section, "targets", i, "column"), target.column, scope, ExprKind.ROW)
    for name, metric in model.outliers.metrics.items():
        if known(("outliers", "metrics", name, "source"), metric.source):
            where = ("outliers", "metrics", name, "expr")
            check(where, metric.expr, source_scope(metric.source), ExprKind.AGGREGATE)
    for name, item in model.cross_source.unit_compare.items():
        for side in ("left", "right"):
            spec: dict[str, Any] = getattr(item, side)
            where = ("cross_source", "unit_compare", name, side)
            if set(spec) != {"source", "expr"}:
                problems.append(Problem(file, line_of(doc, where), "write {source: …, expr: …}"))
                continue
            if known(where, spec["source"]):
                check(
                    (*where, "expr"), spec["expr"], source_scope(spec["source"]), ExprKind.AGGREGATE
                )
    for name, item in model.cross_source.key_match.items():
        where = ("cross_source", "key_match", name)
        if known((*where, "left"), item.left) and known((*where, "right"), item.right):
            scope = source_scope(item.left) + [
                f"{item.right}_{c}" for c in source_scope(item.right)
            ]
            check((*where, "when"), item.when, scope, ExprKind.ROW)
    if problems:
        raise SchemeError(problems)
    return LoadedQuality(model, file, digest, expressions)
