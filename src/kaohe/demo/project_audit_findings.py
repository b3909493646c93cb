"""The demo's project audit findings (项目审计问题), as an audit office hands them in.

The funds demo audits its projects (``funds/audit/rectifications.csv``: cost indicators not
adjusted, reported data inconsistent with the checks, incomplete files). An audit report states
each finding with the amount concerned; here that is the project's budget (万元 in the project
list, yuan in the findings). The file is written in an office's layout — Chinese headers, the
kind by its Chinese label — so that the demo ledger opens it through the same reader and kinds
as ``kaohe outcomes open-audit``. Nothing is drawn at random: the findings follow from the funds
demo, which is deterministic by seed.
"""

from __future__ import annotations

from pathlib import Path

from ..funds.tables import read_table
from ..outcomes.project_findings import load_kinds
from .csv_files import write_csv

FINDINGS_FILE = "project_audit_findings.csv"
HEADER = ["问题编号", "项目编号", "项目名称", "单位代码", "单位名称", "问题类型", "涉及金额（元）",
          "问题描述", "责任单位", "整改期限"]  # fmt: skip


def write_project_audit_findings(data: Path) -> Path | None:
    """Write ``data/funds/project_audit_findings.csv`` from the funds demo's audit; None when
    the data set has no funds audit."""
    funds = Path(data) / "funds"
    audit = funds / "audit" / "rectifications.csv"
    if not audit.is_file():
        return None
    budgets = {
        row.text("project_id"): row.number("budget")
        for row in read_table(funds / "projects.csv", {}, ["project_id", "budget"]).rows
    }
    names = {
        row.text("unit"): row.text("name")
        for row in read_table(Path(data) / "units.csv", {}, ["unit", "name"]).rows
    }
    kinds = load_kinds()
    columns = ["finding_id", "rule", "project_id", "project_name", "unit", "detail", "owner",
               "deadline"]  # fmt: skip
    rows = []
    for row in read_table(audit, {}, columns).rows:
        kind = kinds.resolve(row.text("rule"))
        if kind is None:  # a funds audit rule the ledger has no kind for: not an audit finding
            continue
        budget = budgets.get(row.text("project_id"))
        rows.append(
            [
                row.text("finding_id"),
                row.text("project_id"),
                row.text("project_name"),
                row.text("unit"),
                names.get(row.text("unit"), ""),
                kinds.kinds[kind].label,
                "" if budget is None else round(budget * 10_000),
                row.text("detail"),
                row.text("owner"),
                row.text("deadline"),
            ]
        )
    path = funds / FINDINGS_FILE
    write_csv(path, HEADER, rows)
    return path
