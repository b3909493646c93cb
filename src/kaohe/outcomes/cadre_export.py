"""The hand-off to the evaluation of leading cadres (领导班子和领导干部考核): per unit of a run,
what the result says about its leadership.

The assessment results are a factor in evaluating a unit's leading group and leading cadres
(policy.md §1). What that evaluation needs is not the whole run but, per unit: the grade and
score, the reasons behind them — the vetoes that applied, the deductions, the indicators that
fell short (below their target, or short of full points where the scheme sets no target) — with
their labels, never ids, and how the unit stands on rectification: its open, overdue and closed
items in the outcomes ledger, of every scheme, with each item's title and status.

Reasons are read from the run's ``explain.json`` and labelled from the scheme the run kept;
rectification from the ledger's state as of a date. Texts are in the user's language (the
official labels are Chinese; English where the scheme gives it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import text
from ..run.opened import open_run
from .export import write_rows
from .lifecycle import STATUSES, UNRESOLVED, Item, LedgerState

# (key, Chinese header, English header)
HEADERS = (
    ("unit", "代码", "unit"),
    ("name", "考核对象", "name"),
    ("scheme", "考核办法", "scheme"),
    ("period", "考核年度", "period"),
    ("grade", "等次", "grade"),
    ("score", "得分", "score"),
    ("status", "结果状态", "result status"),
    ("vetoes", "一票否决", "vetoes"),
    ("deductions", "扣分事项", "deductions"),
    ("shortfalls", "未达目标的指标", "indicators short of target"),
    ("open", "未销号事项", "open items"),
    ("overdue", "逾期事项", "overdue items"),
    ("closed", "已销号事项", "closed items"),
    ("items", "问题与整改事项", "findings and rectifications"),
)
RESULT_STATUSES = {"graded": ("已评定", "graded"), "withheld": ("暂缓评定", "withheld")}
WIDE = {"vetoes": 28, "deductions": 32, "shortfalls": 44, "items": 60, "name": 16}


@dataclass(frozen=True)
class CadreRow:
    values: dict[str, Any]

    def cells(self) -> list[Any]:
        return [self.values[key] for key, _, _ in HEADERS]


def headers() -> list[str]:
    return [text(zh, en) for _, zh, en in HEADERS]


def _number(value: float, unit_of_measure: str | None) -> str:
    if unit_of_measure == "%":
        return f"{value:.1%}"
    suffix = f" {unit_of_measure}" if unit_of_measure else ""
    return f"{value:,.4g}{suffix}"


def _short_of_target(info: dict[str, Any]) -> bool | None:
    """Below its target (the direction says which side); None when it has no target."""
    target, value = info.get("target"), info.get("value")
    if target is None:
        return None
    if info.get("direction") == "lower":
        return value > target
    return value < target


def _shortfalls(result: dict[str, Any], labels: dict[str, tuple[str, str]]) -> list[str]:
    found = []
    for ident, info in sorted((result.get("indicators") or {}).items()):
        value = info.get("value")
        if value is None:
            continue  # no data: the result's status says what that means
        zh, en = labels.get(ident, (info.get("label") or ident, info.get("label") or ident))
        measure = info.get("unit_of_measure")
        short = _short_of_target(info)
        if short:
            target = _number(info["target"], measure)
            found.append(
                text(
                    f"{zh}：{_number(value, measure)}（目标 {target}）",
                    f"{en}: {_number(value, measure)} (target {target})",
                )
            )
        elif short is None and (info.get("normalized") or 0) < 1:
            share = info.get("normalized") or 0
            found.append(
                text(
                    f"{zh}：{_number(value, measure)}（得分率 {share:.0%}）",
                    f"{en}: {_number(value, measure)} ({share:.0%} of the points)",
                )
            )
    return found


def _joined(parts: list[str]) -> str | None:
    return text("；", "; ").join(parts) or None


def _standing(item: Item, day: dt.date) -> str:
    """closed, overdue (past its deadline, marked or not) or open."""
    if item.status not in UNRESOLVED:
        return "closed"
    if item.status in ("overdue", "escalated") or item.overdue_on(day):
        return "overdue"
    return "open"


def _item_line(item: Item, day: dt.date) -> str:
    zh, en = STATUSES[item.status]
    late = item.days_overdue(day)
    return text(
        f"{item.title}（{zh}，期限 {item.deadline}" + (f"，逾期 {late} 天" if late else "") + "）",
        f"{item.title} ({en}, due {item.deadline}"
        + (f", {late} days overdue" if late else "")
        + ")",
    )


def cadre_rows(run_dir: Path, state: LedgerState, day: dt.date) -> list[CadreRow]:
    """One row per unit of the run, by unit code."""
    run = open_run(Path(run_dir))
    model = run.scheme.model
    explain, manifest = run.explanation, run.manifest
    scheme = explain.get("scheme") or {}
    period = str(manifest.get("period") or "")
    indicator_labels = {
        ident: (ind.label or ident, ind.label_en or ind.label or ident)
        for ident, ind in model.indicators.items()
    }
    deduction_labels = {
        a.id: (a.label or a.id, a.label_en or a.label or a.id) for a in model.adjustments.items
    }
    veto_reasons = {v.id: (v.reason, v.reason_en or v.reason) for v in model.vetoes}
    grades_en = model.grading.labels_en
    by_unit: dict[str, list[Item]] = {}
    for item in sorted(state.items.values(), key=lambda i: (i.deadline, i.id)):
        by_unit.setdefault(item.unit, []).append(item)
    rows = []
    for unit, result in sorted((explain.get("units") or {}).items()):
        grade = result.get("grade")
        vetoes = []
        for veto in result.get("vetoes") or []:
            zh, en = veto_reasons.get(veto.get("id"), (veto.get("reason"),) * 2)
            vetoes.append(text(zh or veto.get("id"), en or veto.get("id")))
        deductions = []
        for adjustment in result.get("adjustments") or []:
            if adjustment.get("kind") != "deduction" or not adjustment.get("points"):
                continue
            ident = adjustment.get("id")
            label = adjustment.get("label") or ident
            zh, en = deduction_labels.get(ident, (label, label))
            points = abs(float(adjustment["points"]))
            deductions.append(text(f"{zh} −{points:g} 分", f"{en} −{points:g} points"))
        items = by_unit.get(unit, [])
        standing = [_standing(item, day) for item in items]
        status = result.get("status") or ""
        rows.append(
            CadreRow(
                {
                    "unit": unit,
                    "name": result.get("name") or unit,
                    "scheme": text(
                        scheme.get("title") or scheme.get("id", ""),
                        model.title_en or scheme.get("title") or scheme.get("id", ""),
                    ),
                    "period": period,
                    "grade": text(grade, grades_en.get(grade, grade)) if grade else None,
                    "score": None if result.get("score") is None else round(result["score"], 2),
                    "status": text(*RESULT_STATUSES.get(status, (status, status))),
                    "vetoes": _joined(vetoes),
                    "deductions": _joined(deductions),
                    "shortfalls": _joined(_shortfalls(result, indicator_labels)),
                    "open": standing.count("open"),
                    "overdue": standing.count("overdue"),
                    "closed": standing.count("closed"),
                    "items": _joined([_item_line(item, day) for item in items]),
                }
            )
        )
    return rows


def write_cadre_export(run_dir: Path, state: LedgerState, path: Path, day: dt.date) -> int:
    """Write the hand-off as .xlsx or .csv (by ``path``'s suffix); return the units written."""
    rows = cadre_rows(run_dir, state, day)
    widths = {j: WIDE[key] for j, (key, _, _) in enumerate(HEADERS) if key in WIDE}
    write_rows(
        path,
        headers(),
        [row.cells() for row in rows],
        text("领导班子考核", "leadership evaluation"),
        widths,
    )
    return len(rows)
