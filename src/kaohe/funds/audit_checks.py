"""Audit rules (问题导向): what audits of project funds found, caught before the auditors come.

Three rules (``rules/audit.yaml``), each from an audit in practice:
- ``cost_not_adjusted``: the actual unit cost (verified where checked, else reported) deviates from
  the admitted cost target by more than a threshold, and the library records no adjustment of that
  indicator — the project changed but its cost indicator was not adjusted;
- ``data_inconsistent``: a checked project's reported year-end values differ from the verified ones
  by more than a tolerance;
- ``files_incomplete``: documents the project type's checklist requires are missing from the file.
Every finding (问题) opens a rectification item (整改): who must act, by when, with what evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import DataError, Problem, SchemeError
from ..i18n import text
from .fund_rules import LoadedRules, RulesHeader, RulesModel, load_rules
from .library import LibraryState
from .tables import Table
from .targets import BUDGET_ITEM, Project

FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号",),
    "document": ("档案资料", "文件名称", "资料名称"),
}
RULE_IDS = ("cost_not_adjusted", "data_inconsistent", "files_incomplete")


class AuditRule(RulesModel):
    label: str
    label_en: str | None = None
    threshold: float | None = Field(default=None, ge=0)
    categories: list[str] = []
    owner: str = "owner"
    deadline_days: int = Field(ge=0)
    evidence: list[str]
    evidence_en: list[str] | None = None


class AuditRules(RulesHeader):
    rules: dict[str, AuditRule]
    checklists: dict[str, list[str]]


def load_audit_rules(rules: str | Path = "audit", overrides: dict | None = None):
    loaded: LoadedRules[AuditRules] = load_rules(rules, AuditRules, overrides)
    unknown = [r for r in loaded.model.rules if r not in RULE_IDS]
    missing_threshold = [
        r
        for r in ("cost_not_adjusted", "data_inconsistent")
        if r in loaded.model.rules and loaded.model.rules[r].threshold is None
    ]
    problems = [
        Problem(
            loaded.file,
            None,
            text(
                f"未知的审计规则 {r}（可用：{'、'.join(RULE_IDS)}）",
                f"unknown audit rule {r} (available: {', '.join(RULE_IDS)})",
            ),
        )
        for r in unknown
    ] + [
        Problem(loaded.file, None, text(f"规则 {r} 需要 threshold", f"rule {r} needs a threshold"))
        for r in missing_threshold
    ]
    if "default" not in loaded.model.checklists:
        problems.append(
            Problem(
                loaded.file,
                None,
                text("checklists 需要 default 清单", "checklists needs a default list"),
            )
        )
    if problems:
        raise SchemeError(problems)
    return loaded


@dataclass
class Finding:
    """A finding and the rectification item it opens."""

    finding_id: str
    rule: str
    label: str
    project_id: str
    project_name: str
    unit: str
    items: list[str]
    detail: dict[str, str]  # zh / en
    owner: str
    opened_on: dt.date
    deadline: dt.date
    evidence_required: list[str]
    status: str = "open"

    def row(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "rule": self.rule,
            "label": self.label,
            "project_id": self.project_id,
            "project_name": self.project_name,
            "unit": self.unit,
            "items": "；".join(self.items),
            "detail": self.detail["zh"],
            "detail_en": self.detail["en"],
            "owner": self.owner,
            "opened_on": self.opened_on.isoformat(),
            "deadline": self.deadline.isoformat(),
            "evidence_required": "；".join(self.evidence_required),
            "status": self.status,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.row(), "items": self.items, "evidence_required": self.evidence_required}


FINDING_COLUMNS = tuple(
    Finding("", "", "", "", "", "", [], {"zh": "", "en": ""}, "", dt.date.min, dt.date.min, [])
    .row()
    .keys()
)


@dataclass
class AuditInputs:
    self_values: dict[str, dict[str, float]]
    check_values: dict[str, dict[str, float]]
    files: dict[str, set[str]] | None = None  # project → documents held; None: not audited
    skipped: list[str] = field(default_factory=list)


def read_files(table: Table, state: LibraryState) -> dict[str, set[str]]:
    problems = []
    held: dict[str, set[str]] = {pid: set() for pid in state.projects}
    for row in table.rows:
        pid = row.text("project_id")
        if pid not in state.projects:
            problems.append(
                text(
                    f"{row.cell('project_id')}：项目 {pid!r} 不在项目库中",
                    f"{row.cell('project_id')}: project {pid!r} is not in the library",
                )
            )
            continue
        if row.text("document"):
            held[pid].add(row.text("document"))
    if problems:
        raise DataError("\n".join(problems))
    return held


def audit(
    state: LibraryState,
    inputs: AuditInputs,
    rules: LoadedRules[AuditRules],
    opened_on: dt.date,
) -> list[Finding]:
    """Every finding, in project order then rule order."""
    model = rules.model
    findings: list[Finding] = []
    for pid in sorted(state.projects):
        project = state.projects[pid]
        original = state.original[pid]
        reported = inputs.self_values.get(pid, {})
        verified = inputs.check_values.get(pid, {})
        actual = {**reported, **verified}
        adjusted = {a.indicator_id for a in state.adjustments.get(pid, [])}
        for rule_id, rule in model.rules.items():
            found = None
            if rule_id == "cost_not_adjusted":
                found = _cost(original, actual, adjusted, rule)
            elif rule_id == "data_inconsistent":
                found = _inconsistent(project, reported, verified, rule)
            elif rule_id == "files_incomplete" and inputs.files is not None:
                required = model.checklists.get(project.project_type, model.checklists["default"])
                found = _files(required, inputs.files.get(pid, set()))
            if found is None:
                continue
            items, detail = found
            findings.append(
                Finding(
                    finding_id=f"{rule_id}:{pid}",
                    rule=rule_id,
                    label=text(rule.label, rule.label_en or rule.label),
                    project_id=pid,
                    project_name=project.name,
                    unit=project.unit,
                    items=items,
                    detail=detail,
                    owner=_owner(project, rule.owner),
                    opened_on=opened_on,
                    deadline=opened_on + dt.timedelta(days=rule.deadline_days),
                    evidence_required=list(
                        text(rule.evidence, rule.evidence_en or rule.evidence)  # type: ignore[arg-type]
                    ),
                )
            )
    return findings


def _owner(project: Project, field_name: str) -> str:
    if field_name == "owner":
        return project.owner
    return str(getattr(project, field_name, None) or project.extra.get(field_name) or project.owner)


def _cost(original: Project, actual: dict[str, float], adjusted: set[str], rule: AuditRule):
    items, zh, en = [], [], []
    for target in original.targets:
        if target.category not in rule.categories or not target.value:
            continue
        value = actual.get(target.indicator_id)
        if value is None or target.indicator_id in adjusted:
            continue
        deviation = value / target.value - 1
        if abs(deviation) > (rule.threshold or 0):
            items.append(target.indicator_id)
            zh.append(
                f"“{target.name}”目标 {target.value:g}{target.unit_of_measure}，实际 {value:g}，"
                f"偏离 {deviation:+.0%}，未记录目标调整"
            )
            en.append(
                f"'{target.name}' target {target.value:g} {target.unit_of_measure}, actual "
                f"{value:g}, {deviation:+.0%} off, no adjustment recorded"
            )
    if not items:
        return None
    return items, {"zh": "；".join(zh), "en": "; ".join(en)}


def _inconsistent(project: Project, reported, verified, rule: AuditRule):
    items, zh, en = [], [], []
    for item, checked in sorted(verified.items()):
        claimed = reported.get(item)
        if claimed is None:
            continue
        gap = abs(claimed - checked) / abs(checked) if checked else (1.0 if claimed else 0.0)
        if gap > (rule.threshold or 0):
            target = project.target(item)
            name = target.name if target else ("预算执行数" if item == BUDGET_ITEM else item)
            name_en = (
                target.name if target else ("budget executed" if item == BUDGET_ITEM else item)
            )
            items.append(item)
            zh.append(f"“{name}”报送 {claimed:g}，核查 {checked:g}（相差 {gap:.0%}）")
            en.append(f"'{name_en}' reported {claimed:g}, verified {checked:g} ({gap:.0%} apart)")
    if not items:
        return None
    return items, {"zh": "；".join(zh), "en": "; ".join(en)}


def _files(required: list[str], held: set[str]):
    missing = [doc for doc in required if doc not in held]
    if not missing:
        return None
    return missing, {
        "zh": "缺少：" + "、".join(missing),
        "en": "missing: " + ", ".join(missing),
    }
