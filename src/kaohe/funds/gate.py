"""The target gate (目标设定): may a project enter the project library?

A submission is a projects table and a targets table (two sheets of one workbook, or two CSV
files). Each project is checked against the declarative gate rules (``rules/gate.yaml``): required
fields, a numeric target with a unit for every indicator, and at least N quantified indicators of
each required kind. A project that fails is not admitted (不得入库), with every reason listed and
each reason naming the file, sheet, row and column to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from ..errors import Problem, SchemeError, UsageError
from ..i18n import text
from .fund_rules import LoadedRules, RulesHeader, RulesModel, load_rules
from .tables import EXCEL_SUFFIXES, Place, Row, Table, read_table, sheet_names
from .targets import BUDGET_ITEM, Framework, Project, Target, framework

PROJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "项目代码"),
    "name": ("项目名称",),
    "unit": ("所属县", "县级区划代码", "区划代码", "county"),
    "project_type": ("项目类型", "type"),
    "budget": ("预算金额", "预算金额（万元）", "预算（万元）", "budget_10k_yuan"),
    "start_date": ("计划开工日期", "开工日期", "开始日期", "start"),
    "end_date": ("计划完工日期", "完工日期", "完成日期", "end"),
    "owner": ("项目实施单位", "实施单位", "项目单位"),
}
TARGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "项目代码"),
    "indicator_id": ("指标编号", "indicator"),
    "category": ("指标类别", "二级指标"),
    "name": ("指标名称", "三级指标"),
    "target": ("目标值", "指标值", "年度指标值", "value"),
    "unit_of_measure": ("计量单位", "单位"),
    "direction": ("方向", "指标方向"),
}
PROJECT_SHEETS = ("projects", "项目", "项目信息", "项目库")
TARGET_SHEETS = ("targets", "绩效目标", "绩效目标表", "目标")


class FieldRule(RulesModel):
    field: str
    label: str
    label_en: str | None = None
    pattern: str | None = None
    positive: bool = False
    date: bool = False
    one_of: list[str] | None = None


class TargetRule(RulesModel):
    id: str
    label: str
    label_en: str | None = None
    categories: list[str]
    min: int = Field(default=1, ge=0)
    project_types: list[str] | None = None  # the rule applies only to these types


class GateRules(RulesHeader):
    fields: list[FieldRule]
    end_after_start: bool = True
    numeric_targets: bool = True
    unit_level: str | None = None
    targets: list[TargetRule]


@dataclass
class Decision:
    """The gate's verdict on one project row: admitted (with the project) or the reasons why not."""

    project_id: str
    place: Place
    project: Project | None
    reasons: list[str] = field(default_factory=list)

    @property
    def admitted(self) -> bool:
        return not self.reasons and self.project is not None


@dataclass
class Submission:
    """What a submitted file holds: a decision per project row, and target rows with no project."""

    files: list[str]
    decisions: list[Decision]
    orphans: list[str]  # problems not tied to a project row (targets of unknown projects)

    @property
    def admitted(self) -> list[Decision]:
        return [d for d in self.decisions if d.admitted]

    @property
    def rejected(self) -> list[Decision]:
        return [d for d in self.decisions if not d.admitted]


def load_gate_rules(rules: str | Path = "gate", overrides: dict | None = None):
    loaded: LoadedRules[GateRules] = load_rules(rules, GateRules, overrides)
    _check_categories(loaded, framework())
    return loaded


def _check_categories(loaded: LoadedRules[GateRules], frame: Framework) -> None:

    unknown = [
        (rule.id, c)
        for rule in loaded.model.targets
        for c in rule.categories
        if c not in frame.categories
    ]
    if unknown:
        raise SchemeError(
            [
                Problem(
                    loaded.file,
                    None,
                    text(
                        f"规则 {rid}：未知的指标类别 {c}（可选：{'、'.join(frame.categories)}）",
                        f"rule {rid}: unknown category {c} (use one of {', '.join(frame.categories)})",
                    ),
                )
                for rid, c in unknown
            ]
        )


def read_submission(projects: Path, targets: Path | None = None) -> tuple[Table, Table]:
    """The projects and targets tables of a submission (a workbook, or two CSV files)."""
    projects = Path(projects)
    if projects.suffix.lower() in EXCEL_SUFFIXES and targets is None:
        names = sheet_names(projects) if projects.is_file() else []
        if not any(name in names for name in TARGET_SHEETS) and projects.is_file():
            raise UsageError(
                text(
                    f"{projects.name}：工作簿中应有项目表（{'/'.join(PROJECT_SHEETS)}）和绩效目标表"
                    f"（{'/'.join(TARGET_SHEETS)}）两个工作表；现有：{'、'.join(names)}",
                    f"{projects.name}: the workbook needs a projects sheet ({'/'.join(PROJECT_SHEETS)}) "
                    f"and a targets sheet ({'/'.join(TARGET_SHEETS)}); it has {', '.join(names)}",
                )
            )
        project_table = read_table(projects, PROJECT_COLUMNS, ["project_id"], PROJECT_SHEETS)
        target_table = read_table(projects, TARGET_COLUMNS, _TARGET_REQUIRED, TARGET_SHEETS)
        return project_table, target_table
    if targets is None:
        sibling = projects.with_name("targets.csv")
        if not sibling.is_file():
            raise UsageError(
                text(
                    f"请同时给出绩效目标表：kaohe funds admit {projects} TARGETS.csv"
                    "（或把项目和绩效目标放在同一个 Excel 的两个工作表中）",
                    f"give the targets table too: kaohe funds admit {projects} TARGETS.csv "
                    "(or put projects and targets in two sheets of one Excel workbook)",
                )
            )
        targets = sibling
    project_table = read_table(projects, PROJECT_COLUMNS, ["project_id"], PROJECT_SHEETS)
    target_table = read_table(targets, TARGET_COLUMNS, _TARGET_REQUIRED, TARGET_SHEETS)
    return project_table, target_table


_TARGET_REQUIRED = ("project_id", "category", "target")


def check_submission(
    projects: Table,
    targets: Table,
    rules: GateRules,
    known_units: dict[str, str] | None = None,
) -> Submission:
    """Decide every project of the submission. ``known_units``: code → level, from units.csv."""
    frame = framework()
    by_project: dict[str, list[Row]] = {}
    for row in targets.rows:
        by_project.setdefault(row.text("project_id"), []).append(row)
    seen: dict[str, Place] = {}
    decisions: list[Decision] = []
    for row in projects.rows:
        project_id = row.text("project_id")
        if not project_id:
            decisions.append(
                Decision(
                    "",
                    row.place,
                    None,
                    [_reason(row.cell("project_id"), "项目编号为空", "the project id is empty")],
                )
            )
            continue
        decision = _decide(row, by_project.get(project_id, []), rules, frame, known_units)
        if project_id in seen:
            decision.reasons.insert(
                0,
                _reason(
                    row.cell("project_id"),
                    f"项目编号 {project_id} 重复（首次出现在 {seen[project_id]}）",
                    f"project id {project_id} appears again (first at {seen[project_id]})",
                ),
            )
            decision.project = None
            for earlier in decisions:
                if earlier.project_id == project_id and earlier.admitted:
                    earlier.reasons.append(
                        _reason(
                            earlier.place,
                            f"项目编号 {project_id} 在 {row.place} 再次出现",
                            f"project id {project_id} appears again at {row.place}",
                        )
                    )
                    earlier.project = None
        else:
            seen[project_id] = row.place
        decisions.append(decision)
    orphans = [
        _reason(
            rows[0].cell("project_id"),
            f"绩效目标对应的项目 {pid or '（空）'} 不在项目表中（共 {len(rows)} 行）",
            f"targets of project {pid or '(empty)'} whose project is not in the projects table "
            f"({len(rows)} rows)",
        )
        for pid, rows in by_project.items()
        if pid not in seen
    ]
    return Submission([str(projects.place), str(targets.place)], decisions, orphans)


def _reason(place: Place, zh: str, en: str) -> str:
    return text(f"{place}：{zh}", f"{place}: {en}")


def _decide(
    row: Row,
    target_rows: list[Row],
    rules: GateRules,
    frame: Framework,
    known_units: dict[str, str] | None,
) -> Decision:
    reasons: list[str] = []
    values: dict[str, object] = {}
    for spec in rules.fields:
        raw = row.get(spec.field)
        cell = row.cell(spec.field)
        label = text(spec.label, spec.label_en or spec.label)
        if raw is None or row.text(spec.field) == "":
            reasons.append(_reason(cell, f"缺少{spec.label}", f"the {label} is missing"))
            continue
        if spec.positive:
            amount = row.number(spec.field)
            if amount is None or amount <= 0:
                reasons.append(
                    _reason(
                        cell,
                        f"{spec.label}应为正数，而不是 {raw!r}",
                        f"the {label} must be a positive number, not {raw!r}",
                    )
                )
                continue
            values[spec.field] = amount
        elif spec.date:
            day = row.date(spec.field)
            if day is None:
                reasons.append(
                    _reason(
                        cell,
                        f"{spec.label} {raw!r} 不是日期（YYYY-MM-DD）",
                        f"the {label} {raw!r} is not a date (YYYY-MM-DD)",
                    )
                )
                continue
            values[spec.field] = day
        else:
            value = row.text(spec.field)
            if spec.pattern and not re.fullmatch(spec.pattern, value):
                reasons.append(
                    _reason(
                        cell,
                        f"{spec.label} {value!r} 格式不对（应匹配 {spec.pattern}）",
                        f"the {label} {value!r} has the wrong form (expected {spec.pattern})",
                    )
                )
                continue
            if spec.one_of and value not in spec.one_of:
                reasons.append(
                    _reason(
                        cell,
                        f"{spec.label} {value!r} 不在可选范围内：{'、'.join(spec.one_of)}",
                        f"the {label} {value!r} is not one of: {', '.join(spec.one_of)}",
                    )
                )
                continue
            values[spec.field] = value
    _structural(row, rules, values, reasons)
    unit = values.get("unit")
    if known_units is not None and isinstance(unit, str):
        level = known_units.get(unit)
        if level is None:
            reasons.append(
                _reason(
                    row.cell("unit"),
                    f"所属县 {unit} 不在 units.csv 中",
                    f"county {unit} is not in units.csv",
                )
            )
        elif rules.unit_level and level != rules.unit_level:
            reasons.append(
                _reason(
                    row.cell("unit"),
                    f"{unit} 的层级是 {level}，项目应挂在 {rules.unit_level} 级",
                    f"{unit} is at level {level}; projects belong to a {rules.unit_level}",
                )
            )
    start, end = values.get("start_date"), values.get("end_date")
    if rules.end_after_start and start is not None and end is not None and end < start:
        reasons.append(
            _reason(
                row.cell("end_date"),
                f"计划完工日期 {end} 早于开工日期 {start}",
                f"the planned completion {end} is before the start {start}",
            )
        )
    targets, target_reasons = _targets(target_rows, rules, frame)
    reasons += target_reasons
    project_type = str(values.get("project_type") or row.text("project_type"))
    if not target_rows:
        reasons.append(
            _reason(
                row.place,
                "没有绩效目标表（绩效目标表中没有该项目的指标）",
                "no performance target table (the targets table has no rows for this project)",
            )
        )
    for rule in rules.targets:
        if rule.project_types is not None and project_type not in rule.project_types:
            continue
        found = [t for t in targets if t.category in rule.categories and t.quantified]
        if len(found) < rule.min:
            kinds = "、".join(frame.categories[c].label for c in rule.categories)
            reasons.append(
                _reason(
                    row.place,
                    f"量化的{rule.label}不足：需要至少 {rule.min} 个（{kinds}），现有 {len(found)} 个",
                    f"too few quantified {rule.label_en or rule.label}: at least {rule.min} needed "
                    f"({', '.join(frame.label(c) for c in rule.categories)}), found {len(found)}",
                )
            )
    project = None
    if not reasons:
        extra = {
            k: row.text(k) for k in row.values if k not in PROJECT_COLUMNS and row.text(k) != ""
        }
        project = Project(
            project_id=row.text("project_id"),
            name=str(values.get("name", row.text("name"))),
            unit=str(values.get("unit", row.text("unit"))),
            project_type=project_type,
            budget=float(values.get("budget") or 0.0),  # type: ignore[arg-type]
            start_date=values["start_date"],  # type: ignore[arg-type]
            end_date=values["end_date"],  # type: ignore[arg-type]
            owner=str(values.get("owner", row.text("owner"))),
            targets=tuple(targets),
            extra=extra,
        )
    return Decision(row.text("project_id"), row.place, project, reasons)


# What the library itself needs of every project, whatever the gate rules ask: monitoring compares
# budget execution with the time elapsed between the planned dates.
_NEEDED = {
    "budget": ("预算金额（万元）", "the budget (10k yuan)"),
    "start_date": ("计划开工日期", "the planned start"),
    "end_date": ("计划完工日期", "the planned completion"),
}


def _structural(row: Row, rules: GateRules, values: dict, reasons: list[str]) -> None:
    ruled = {spec.field for spec in rules.fields}
    for name, (zh, en) in _NEEDED.items():
        if name in ruled:
            continue
        parsed = row.number(name) if name == "budget" else row.date(name)
        if parsed is None or (name == "budget" and parsed <= 0):
            reasons.append(
                _reason(
                    row.cell(name),
                    f"项目库需要{zh}，而不是 {row.get(name)!r}",
                    f"the library needs {en}, not {row.get(name)!r}",
                )
            )
        else:
            values[name] = parsed


def _targets(rows: Iterable[Row], rules: GateRules, frame: Framework):
    targets: list[Target] = []
    reasons: list[str] = []
    ids: dict[str, Place] = {}
    for n, row in enumerate(rows, start=1):
        indicator_id = row.text("indicator_id") or f"T{n}"
        name = row.text("name") or indicator_id
        if indicator_id == BUDGET_ITEM:
            reasons.append(
                _reason(
                    row.cell("indicator_id"),
                    f"指标编号 {BUDGET_ITEM} 是保留字（预算执行数），请换一个",
                    f"the indicator id {BUDGET_ITEM} is reserved (budget executed); choose another",
                )
            )
        if indicator_id in ids:
            reasons.append(
                _reason(
                    row.cell("indicator_id"),
                    f"指标编号 {indicator_id} 在本项目中重复（首次出现在 {ids[indicator_id]}）",
                    f"indicator id {indicator_id} repeats within the project "
                    f"(first at {ids[indicator_id]})",
                )
            )
        ids.setdefault(indicator_id, row.place)
        category = frame.category_of(row.text("category"))
        if category is None:
            reasons.append(
                _reason(
                    row.cell("category"),
                    f"指标“{name}”的类别 {row.text('category')!r} 不认识；可选："
                    + "、".join(c.label for c in frame.categories.values()),
                    f"indicator '{name}': unknown category {row.text('category')!r}; use one of "
                    + ", ".join(frame.label(c) for c in frame.categories),
                )
            )
            continue
        value, written_direction, percent = row.target_value("target")
        unit_of_measure = row.text("unit_of_measure") or ("%" if percent else "")
        direction = None
        if row.text("direction"):
            direction = frame.direction_of(row.text("direction"))
            if direction is None:
                reasons.append(
                    _reason(
                        row.cell("direction"),
                        f"指标“{name}”的方向 {row.text('direction')!r} 不认识；可选：≥ 或 ≤",
                        f"indicator '{name}': unknown direction {row.text('direction')!r}; "
                        "use ≥ or ≤",
                    )
                )
                continue
        direction = direction or written_direction or frame.default_direction_of(category)
        if rules.numeric_targets:
            if value is None:
                shown = row.get("target")
                reasons.append(
                    _reason(
                        row.cell("target"),
                        f"指标“{name}”的目标值 {shown!r} 不是数值；绩效目标须量化"
                        if shown is not None
                        else f"指标“{name}”没有目标值；绩效目标须量化",
                        f"indicator '{name}': the target {shown!r} is not a number; "
                        "targets must be quantified"
                        if shown is not None
                        else f"indicator '{name}' has no target value; targets must be quantified",
                    )
                )
            if not unit_of_measure:
                reasons.append(
                    _reason(
                        row.cell("unit_of_measure"),
                        f"指标“{name}”缺少计量单位",
                        f"indicator '{name}' has no unit of measure",
                    )
                )
        targets.append(Target(indicator_id, category, name, value, unit_of_measure, direction))
    return targets, reasons
