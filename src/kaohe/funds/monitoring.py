"""Execution monitoring (执行跟踪, "dual monitoring"): progress reports and the flags they raise.

A progress report says, for a project on a date, the budget executed so far (the item
``budget_executed``, 万元, cumulative) and each target's progress (cumulative actual values, by
indicator id or name). Two kinds of deviation raise a flag (``rules/monitoring.yaml``): budget
execution lagging time progress, and a target deviating from its expected path (outputs: target ×
time progress) or level (cost, quality) by more than a threshold. Each flag asks the project for a
correction and stays open in the library until answered (``kaohe funds answer``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ..errors import DataError, UsageError
from ..expr import suggest
from ..i18n import language, text
from .fund_rules import LoadedRules, RulesHeader, RulesModel, load_rules
from .library import Flag, Library, LibraryState
from .tables import Row, Table
from .targets import BUDGET_ITEM, Project

REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号",),
    "as_of": ("报告日期", "截止日期", "date"),
    "item": ("指标编号", "指标", "项目", "indicator_id", "indicator"),
    "value": ("累计完成值", "完成值", "实际值", "数值", "actual"),
}
REPORT_SHEETS = ("progress", "进度", "执行进度", "监控")


class BudgetRule(RulesModel):
    label: str
    label_en: str | None = None
    threshold: float = Field(ge=0)


class TargetRule(RulesModel):
    id: str
    label: str
    label_en: str | None = None
    categories: list[str]
    compare: Literal["path", "level"]
    threshold: float = Field(ge=0)


class MonitoringRules(RulesHeader):
    budget: BudgetRule | None = None
    targets: list[TargetRule] = []


def load_monitoring_rules(rules: str | Path = "monitoring", overrides: dict | None = None):
    loaded: LoadedRules[MonitoringRules] = load_rules(rules, MonitoringRules, overrides)
    return loaded


@dataclass
class MonitorResult:
    recorded: list[tuple[str, dt.date]] = field(default_factory=list)
    revised: list[tuple[str, dt.date]] = field(default_factory=list)
    unchanged: list[tuple[str, dt.date]] = field(default_factory=list)
    raised: list[Flag] = field(default_factory=list)


def read_reports(table: Table, state: LibraryState) -> dict[tuple[str, dt.date], dict[str, float]]:
    """Check a report table against the library; all problems at once, each with its place."""
    problems: list[str] = []
    reports: dict[tuple[str, dt.date], dict[str, float]] = {}
    seen: dict[tuple[str, dt.date, str], Any] = {}
    for row in table.rows:
        project = library_project(
            row, state, problems, why=("（未入库的项目不能报告进度）", " (only admitted projects report progress)")
        )  # fmt: skip
        if project is None:
            continue
        pid = project.project_id
        day = row.date("as_of")
        if day is None:
            problems.append(
                text(
                    f"{row.cell('as_of')}：{row.get('as_of')!r} 不是日期（YYYY-MM-DD）",
                    f"{row.cell('as_of')}: {row.get('as_of')!r} is not a date (YYYY-MM-DD)",
                )
            )
            continue
        read = item_and_value(row, project, problems)
        if read is None:
            continue
        item, value = read
        key = (pid, day, item)
        if key in seen:
            problems.append(
                text(
                    f"{row.place}：项目 {pid} 在 {day} 的 {item} 重复（首次出现在 {seen[key]}）",
                    f"{row.place}: project {pid}, {day}, {item} appears again (first at {seen[key]})",
                )
            )
            continue
        seen[key] = row.place
        reports.setdefault((pid, day), {})[item] = value
    if problems:
        raise DataError("\n".join(problems))
    return reports


def resolve_item(project: Project, written: str) -> str | None:
    """The item a report row means: ``budget_executed``, an indicator id, or an indicator name."""
    if written in (BUDGET_ITEM, "预算执行数", "预算执行"):
        return BUDGET_ITEM
    for target in project.targets:
        if written == target.indicator_id:
            return target.indicator_id
    named = [t.indicator_id for t in project.targets if t.name == written]
    return named[0] if len(named) == 1 else None


def library_project(
    row: Row,
    state: LibraryState,
    problems: list[str],
    where: tuple[str, str] = ("", ""),
    why: tuple[str, str] = ("", ""),
) -> Project | None:
    """The library's project a row names; None, with the problem added, if it has none.
    ``where`` and ``why`` (Chinese, English) say which table and what the rule is."""
    pid = row.text("project_id")
    project = state.projects.get(pid)
    if project is None:
        problems.append(
            text(
                f"{row.cell('project_id')}：{where[0]}项目 {pid!r} 不在项目库中{why[0]}",
                f"{row.cell('project_id')}: project {pid!r}{where[1]} is not in the library{why[1]}",
            )
        )
    return project


def item_and_value(row: Row, project: Project, problems: list[str]) -> tuple[str, float] | None:
    """A row's item (by ``resolve_item``) and value; None, with the problem added, if either is
    not usable."""
    item = resolve_item(project, row.text("item"))
    if item is None:
        known = [BUDGET_ITEM, *(t.indicator_id for t in project.targets)]
        problems.append(
            text(
                f"{row.cell('item')}：项目 {project.project_id} 没有指标 {row.text('item')!r}；"
                f"可填：{'、'.join(known)}（或指标名称）",
                f"{row.cell('item')}: project {project.project_id} has no item "
                f"{row.text('item')!r}; use one of {', '.join(known)} (or an indicator's name)",
            )
        )
        return None
    value = row.number("value")
    if value is None:
        problems.append(
            text(
                f"{row.cell('value')}：{row.get('value')!r} 不是数值",
                f"{row.cell('value')}: {row.get('value')!r} is not a number",
            )
        )
        return None
    return item, value


def check_report(
    project: Project, as_of: dt.date, values: dict[str, float], rules: MonitoringRules
) -> list[dict[str, Any]]:
    """The flags one report raises, as ``flag_raised`` event data (without duplicates check)."""
    flags: list[dict[str, Any]] = []
    progress = project.time_progress(as_of)
    if rules.budget is not None and BUDGET_ITEM in values and project.budget > 0:
        executed = values[BUDGET_ITEM] / project.budget
        lag = progress - executed
        if lag > rules.budget.threshold:
            flags.append(
                _flag(
                    project,
                    as_of,
                    "budget_lag",
                    None,
                    progress,
                    executed,
                    lag,
                    rules.budget.threshold,
                    lambda t: t(
                        f"{rules.budget.label}：时间进度 {progress:.0%}，预算执行 {executed:.0%}"
                        f"（{values[BUDGET_ITEM]:g}/{project.budget:g} 万元），落后 {lag:.0%}，"
                        f"超过容忍度 {rules.budget.threshold:.0%}；请说明原因并提出纠偏措施",
                        f"{rules.budget.label_en or rules.budget.label}: time {progress:.0%}, "
                        f"budget executed {executed:.0%} ({values[BUDGET_ITEM]:g} of "
                        f"{project.budget:g} 10k yuan), {lag:.0%} behind, beyond "
                        f"{rules.budget.threshold:.0%}; explain and give the correction",
                    ),
                )
            )
    for rule in rules.targets:
        for target in project.targets:
            if target.category not in rule.categories or target.value is None:
                continue
            actual = values.get(target.indicator_id)
            if actual is None:
                continue
            flag = _target_deviation(project, as_of, progress, rule, target, actual)
            if flag is not None:
                flags.append(flag)
    return flags


def _target_deviation(project, as_of, progress, rule: TargetRule, target, actual: float):
    goal = target.value
    path = rule.compare == "path" and target.direction == "higher" and goal > 0
    if path:
        expected = goal * progress
        deviation = progress - actual / goal
    else:
        expected = goal
        if goal == 0:
            return None
        ratio = actual / goal
        deviation = ratio - 1 if target.direction == "lower" else 1 - ratio
    if deviation <= rule.threshold:
        return None
    label = rule.label

    def message(t) -> str:
        return t(
            f"{label}：指标“{target.name}”目标 {goal:g}{target.unit_of_measure}，"
            f"{'按时间进度应达到' if path else '目标值'} {expected:g}，实际 {actual:g}，"
            f"偏离 {deviation:.0%}，超过容忍度 {rule.threshold:.0%}；请说明原因并提出纠偏措施",
            f"{rule.label_en or label}: indicator '{target.name}' target {goal:g} "
            f"{target.unit_of_measure}, {'expected by now' if path else 'target'} {expected:g}, "
            f"actual {actual:g}, off by {deviation:.0%}, beyond {rule.threshold:.0%}; "
            "explain and give the correction",
        )

    return _flag(
        project,
        as_of,
        rule.id,
        target.indicator_id,
        expected,
        actual,
        deviation,
        rule.threshold,
        message,
    )


def _flag(project, as_of, rule, item, expected, actual, deviation, threshold, message):
    flag_id = f"{project.project_id}/{as_of.isoformat()}/{rule}" + (f"/{item}" if item else "")
    return {
        "flag_id": flag_id,
        "project_id": project.project_id,
        "unit": project.unit,
        "rule": rule,
        "item": item,
        "as_of": as_of.isoformat(),
        "expected": round(float(expected), 6),
        "actual": round(float(actual), 6),
        "deviation": round(float(deviation), 6),
        "threshold": threshold,
        "message": _both(message),
    }


def _both(message) -> dict[str, str]:
    """The message in both languages: the log keeps both so either can be shown later."""
    return {"zh": message(lambda zh, en: zh), "en": message(lambda zh, en: en)}


def monitor(
    library: Library, table: Table, rules: MonitoringRules, at: str | None = None
) -> MonitorResult:
    """Record the reports of ``table`` and raise the flags they call for, in one batch."""
    state = library.state()
    reports = read_reports(table, state)
    result = MonitorResult()
    events: list[tuple[str, dict[str, Any]]] = []
    for (pid, day), values in sorted(reports.items()):
        earlier = state.reports.get(pid, {}).get(day)
        if earlier is not None and earlier.values == values:
            result.unchanged.append((pid, day))
            continue
        (result.revised if earlier is not None else result.recorded).append((pid, day))
        events.append(
            (
                "progress_reported",
                {"project_id": pid, "as_of": day.isoformat(), "values": values},
            )
        )
        for data in check_report(state.projects[pid], day, values, rules):
            if data["flag_id"] in state.flags:
                continue
            events.append(("flag_raised", data))
    library.append(events, at)
    after = library.state()
    result.raised = [after.flags[data["flag_id"]] for kind, data in events if kind == "flag_raised"]
    return result


def answer(
    library: Library, answers: list[tuple[str, str, str]], at: str | None = None
) -> list[Flag]:
    """Record the corrections projects give for flags (纠偏): ``(flag_id, by, note)`` each, all
    or none; each answered flag is closed."""
    state = library.state()
    problems = []
    for flag_id, by, note in answers:
        flag = state.flags.get(flag_id)
        if flag is None:
            problems.append(
                text(f"项目库中没有预警 {flag_id}", f"no flag {flag_id} in the library")
                + suggest(flag_id, state.flags)
            )
        elif flag.status != "open":
            problems.append(
                text(
                    f"预警 {flag_id} 已于 {flag.answer['at']} 由 {flag.answer['by']} 答复",
                    f"flag {flag_id} was answered on {flag.answer['at']} by {flag.answer['by']}",
                )
            )
        elif not by.strip() or not note.strip():
            problems.append(
                text(
                    f"预警 {flag_id}：答复须写明答复人（--by）和纠偏措施（--note）",
                    f"flag {flag_id}: an answer needs who answers (--by) and the correction "
                    "(--note)",
                )
            )
    if len({a[0] for a in answers}) != len(answers):
        problems.append(text("同一预警答复了两次", "a flag is answered twice"))
    if problems:
        raise UsageError("\n".join(problems))
    library.append(
        [("flag_answered", {"flag_id": f, "by": by, "note": note}) for f, by, note in answers], at
    )
    flags = library.state().flags
    return [flags[f] for f, _, _ in answers]


def flag_message(flag: Flag) -> str:
    return flag.message["en"] if language() == "en" else flag.message["zh"]
