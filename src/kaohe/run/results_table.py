"""The results table: one row per assessed unit, best first, with every dimension and indicator."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..formatting import is_rate
from ..scheme.actions import describe
from ..scoring import ScoringState
from ..scoring.status import status_reasons

DECIMALS = 6  # written values are rounded so that results are byte-identical across runs


@dataclass(frozen=True)
class Column:
    name: str  # the machine name (CSV/Parquet header)
    label: str  # the Chinese label (Excel header)
    label_en: str
    kind: str  # "text", "number", "percent" (a ratio shown as %), "integer", "boolean"


class PeriodBefore(Protocol):
    """Last period's results set beside a run's rows (``run.previous.PreviousRun``).

    A protocol, so that writing a run's outputs need not import how a previous run is opened and
    compared: that goes through ``run.compare``, which runs assessments itself (an import cycle).
    """

    def columns(self) -> list[Column]: ...

    def extend(self, rows: list[dict[str, Any]]) -> None: ...

    def manifest_entry(self) -> dict[str, Any]: ...


def with_previous_columns(columns: list[Column], previous: PeriodBefore) -> list[Column]:
    """``columns`` with the previous period's placed after the rank (before the score's parts)."""
    at = next(i for i, c in enumerate(columns) if c.name == "base_score")
    return [*columns[:at], *previous.columns(), *columns[at:]]


def clean(value: Any) -> Any:
    """A plain Python value, rounded, with NaN as None."""
    if value is None:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(float(value), DECIMALS)
        return 0.0 if rounded == 0 else rounded  # no "-0.0"
    return value


def result_columns(state: ScoringState) -> list[Column]:
    scheme = state.scheme
    model = scheme.model
    columns = [
        Column("unit", "代码", "code", "text"),
        Column("name", "名称", "name", "text"),
        Column("status", "评定状态", "status", "text"),
        Column("completeness", "数据完整度", "completeness", "percent"),
        Column("score", "总分", "score", "number"),
        Column("grade", "等次", "grade", "text"),
        Column("rank", "排名", "rank", "integer"),
    ]
    if model.grading.peer_group:
        columns += [
            Column("peer_group", "同组", "peer group", "text"),
            Column("group_rank", "组内排名", "rank in group", "integer"),
        ]
    columns += [
        Column("base_score", "基础得分", "base score", "number"),
        Column("bonus", "加分", "bonus", "number"),
        Column("deduction", "减分", "deduction", "number"),
        Column("vetoed", "一票否决", "vetoed", "boolean"),
    ]
    for node in scheme.tree.dimensions:
        columns.append(Column(node.id, node.label or node.id, node.label_en or node.id, "number"))
    for name in model.indicators:
        if name in state.points:
            columns.append(Column(name, scheme.label(name), scheme.label(name, "en"), "number"))
    for name, indicator in model.indicators.items():
        columns.append(
            Column(
                f"{name}.value",
                f"{scheme.label(name)}（值）",
                f"{scheme.label(name, 'en')} (value)",
                "percent" if is_rate(indicator.unit_of_measure) else "number",
            )
        )
    for name in model.flags:
        columns.append(Column(name, scheme.label(name), scheme.label(name, "en"), "boolean"))
    columns.append(Column("outcomes", "结果应用", "outcomes", "text"))
    columns.append(Column("status_reasons", "不予评定原因", "why not graded", "text"))
    columns.append(Column("notes", "数据说明（缺失等）", "notes (missing data …)", "text"))
    return columns


def result_rows(state: ScoringState, lang: str = "zh") -> list[dict[str, Any]]:
    """Rows in rank order (ties by unit code), values cleaned for writing."""
    model = state.scheme.model
    peer = model.grading.peer_group
    rows = []
    for i, unit in enumerate(state.units):
        row: dict[str, Any] = {
            "unit": unit,
            "name": state.names[i],
            "status": state.values["status"][i],
            "completeness": state.values["completeness"][i],
            "score": state.values["score"][i],
            "grade": state.values["grade"][i],
            "rank": state.values["rank"][i],
        }
        if peer:
            row["peer_group"] = state.values[peer][i]
            row["group_rank"] = state.values["group_rank"][i]
        for name in ("base_score", "bonus", "deduction", "vetoed"):
            row[name] = state.values[name][i]
        for node in state.scheme.tree.dimensions:
            row[node.id] = state.points[node.id][i]
        for name in model.indicators:
            if name in state.points:
                row[name] = state.points[name][i]
        for name in model.indicators:
            row[f"{name}.value"] = state.values[name][i]
        for name in model.flags:
            row[name] = state.values[name][i]
        row["outcomes"] = "; ".join(
            describe(a["action"], {k: v for k, v in a.items() if k != "action"}, lang)
            for a in state.actions[i]
        )
        row["status_reasons"] = "; ".join(status_reasons(state, i))
        row["notes"] = "; ".join(state.notes[i])
        rows.append({key: clean(value) for key, value in row.items()})
    rows.sort(key=lambda r: (r["rank"] if r["rank"] is not None else math.inf, r["unit"]))
    for row in rows:
        if row["rank"] is not None:
            row["rank"] = int(row["rank"])
        if row.get("group_rank") is not None:
            row["group_rank"] = int(row["group_rank"])
    return rows
