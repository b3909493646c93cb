"""Helpers for the funds tests: small project submissions written as real files, and the CLI.

Every test writes the files a user would hand in (CSV or Excel) under ``tmp_path`` and runs the
real gate, library, monitoring, evaluation, allocation and audit code over them. Nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.files import write_csv

from kaohe.funds.gate import check_submission, load_gate_rules, read_submission
from kaohe.funds.library import Library, admit

PROJECT_HEADER = (
    "project_id",
    "name",
    "unit",
    "project_type",
    "budget",
    "start_date",
    "end_date",
    "owner",
)
TARGET_HEADER = (
    "project_id",
    "indicator_id",
    "category",
    "name",
    "target",
    "unit_of_measure",
    "direction",
)
REPORT_HEADER = ("project_id", "as_of", "item", "value")
VALUE_HEADER = ("project_id", "item", "value")


def project(pid: str, unit: str = "110101", **fields: Any) -> list[Any]:
    """A complete project row: budget 100 (万元), 2019-01-01 to 2019-12-31 (364 days)."""
    values = {
        "project_id": pid,
        "name": f"{pid} 花椒种植基地建设项目",
        "unit": unit,
        "project_type": "基础设施",
        "budget": 100,
        "start_date": "2019-01-01",
        "end_date": "2019-12-31",
        "owner": "县农业农村局",
        **fields,
    }
    return [values[c] for c in PROJECT_HEADER]


def targets(pid: str, skip: Sequence[str] = ()) -> list[list[Any]]:
    """A complete target table: quantity 100 亩, cost 1 万元/亩 (at most), social 200 人,
    satisfaction 90 %."""
    rows = [
        [pid, "Q1", "数量指标", "新建基地", 100, "亩", "≥"],
        [pid, "C1", "成本指标", "每亩成本", 1, "万元/亩", "≤"],
        [pid, "B1", "社会效益指标", "受益人口", 200, "人", "≥"],
        [pid, "S1", "满意度指标", "受益群众满意度", 90, "%", "≥"],
    ]
    return [r for r in rows if r[1] not in skip]


def submission(root: Path, projects: list[list[Any]], target_rows: list[list[Any]]):
    projects_csv = write_csv(root / "projects.csv", PROJECT_HEADER, projects)
    targets_csv = write_csv(root / "targets.csv", TARGET_HEADER, target_rows)
    return projects_csv, targets_csv


def library_with(root: Path, *pids: str, unit: str = "110101") -> Library:
    """A library holding complete projects ``pids`` (admitted through the real gate)."""
    projects_csv, targets_csv = submission(
        root / "in", [project(p, unit) for p in pids], [r for p in pids for r in targets(p)]
    )
    library = Library.open(root / "library", create=True)
    checked = check_submission(*read_submission(projects_csv, targets_csv), load_gate_rules().model)
    result = admit(library, checked, at="2019-01-10T00:00:00+08:00")
    assert sorted(result.admitted) == sorted(pids)
    return library


# A small factor-method allocation formula (funds/allocation.py), shared by the allocation
# and CLI tests.
ALLOCATION_FORMULA = """\
id: allocation-test
title: 测试分配公式
policy_source: tests
parameters:
  weight_performance: {value: 0.2, status: open}
level: county
total: 1000
sources:
  need: {columns: {poor: number, income: number}}
need_factors:
  poor: {label: 贫困人口, source: need, expr: "sum(poor)", weight: 0.6}
  income: {label: 收入, source: need, expr: "avg(income)", transform: inverse, weight: 0.2}
performance: {label: 绩效, column: final_score, baseline: 60, weight: $weight_performance}
"""
