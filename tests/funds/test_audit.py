"""Audit findings: each rule fires where an auditor would find the problem and not elsewhere, and
each finding opens a rectification item with owner, deadline and required evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.support.funds import VALUE_HEADER, library_with, write_csv

from kaohe.errors import DataError, SchemeError
from kaohe.funds.audit_checks import (
    FILE_COLUMNS,
    AuditInputs,
    audit,
    load_audit_rules,
    read_files,
)
from kaohe.funds.evaluation import VALUE_COLUMNS, read_values
from kaohe.funds.library import ADJUST_COLUMNS, ADJUST_REQUIRED, adjust
from kaohe.funds.tables import read_table

OPENED = dt.date(2020, 2, 1)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


def table_values(tmp_path, name, rows, state):
    path = write_csv(tmp_path / name, VALUE_HEADER, rows)
    return read_values(read_table(path, VALUE_COLUMNS, list(VALUE_COLUMNS)), state, ("表", "t"))


@pytest.fixture
def audited(tmp_path):
    library = library_with(tmp_path, "P1", "P2", "P3")
    adjustment = write_csv(
        tmp_path / "adjust.csv",
        ["project_id", "indicator_id", "target", "reason"],
        [["P2", "C1", 1.5, "变更批复"]],
    )
    adjust(library, read_table(adjustment, ADJUST_COLUMNS, ADJUST_REQUIRED))
    state = library.state()
    reported = table_values(
        tmp_path,
        "self.csv",
        [
            ["P1", "C1", 1.3],  # 30% above the cost target, no adjustment → finding
            ["P2", "C1", 1.5],  # 50% above the original target, but adjusted → none
            ["P3", "C1", 0.85],  # 15% below: within 20% → none
            ["P3", "budget_executed", 100],  # verified 90: 11% apart > 5% → finding
            ["P3", "Q1", 100],  # verified 98: 2% apart → none
        ],
        state,
    )
    verified = table_values(
        tmp_path, "checks.csv", [["P3", "budget_executed", 90], ["P3", "Q1", 98]], state
    )
    checklist = load_audit_rules().model.checklists["基础设施"]
    files = write_csv(
        tmp_path / "files.csv",
        ["project_id", "document"],
        [["P1", d] for d in checklist if d != "验收报告"]
        + [["P2", d] for d in checklist]
        + [["P3", d] for d in checklist],
    )
    held = read_files(read_table(files, FILE_COLUMNS, list(FILE_COLUMNS)), state)
    return audit(state, AuditInputs(reported, verified, held), load_audit_rules(), OPENED)


def test_each_rule_finds_what_an_auditor_would(audited):
    assert [(f.rule, f.project_id, f.items) for f in audited] == [
        ("cost_not_adjusted", "P1", ["C1"]),
        ("files_incomplete", "P1", ["验收报告"]),
        ("data_inconsistent", "P3", ["budget_executed"]),
    ]
    cost, files, data = audited
    assert (
        cost.detail["en"]
        == "'每亩成本' target 1 万元/亩, actual 1.3, +30% off, no adjustment recorded"
    )
    assert cost.detail["zh"] == "“每亩成本”目标 1万元/亩，实际 1.3，偏离 +30%，未记录目标调整"
    assert data.detail["en"] == "'budget executed' reported 100, verified 90 (11% apart)"
    assert files.detail["zh"] == "缺少：验收报告"


def test_each_finding_opens_a_rectification_item(audited):
    cost, files, data = audited
    assert (cost.owner, cost.opened_on, cost.deadline) == (
        "县农业农村局",
        OPENED,
        dt.date(2020, 4, 1),
    )
    assert data.deadline == files.deadline == dt.date(2020, 3, 2)
    assert cost.evidence_required == [
        "approved adjusted target table",
        "approval of the project change",
        "cost calculation",
    ]
    row = cost.row()
    assert row["finding_id"] == "cost_not_adjusted:P1" and row["status"] == "open"
    assert row["evidence_required"] == (
        "approved adjusted target table；approval of the project change；cost calculation"
    )
    assert cost.to_json()["evidence_required"] == cost.evidence_required


def test_thresholds_are_parameters(tmp_path):
    library = library_with(tmp_path, "P1")
    state = library.state()
    reported = table_values(tmp_path, "self.csv", [["P1", "C1", 1.3]], state)
    strict = audit(state, AuditInputs(reported, {}), load_audit_rules("audit"), OPENED)
    lenient = audit(
        state, AuditInputs(reported, {}), load_audit_rules("audit", {"cost_deviation": 0.5}), OPENED
    )
    assert [f.rule for f in strict] == ["cost_not_adjusted"] and lenient == []


def test_file_lists_for_unknown_projects_are_refused(tmp_path):
    library = library_with(tmp_path, "P1")
    files = write_csv(tmp_path / "files.csv", ["project_id", "document"], [["P8", "立项批复"]])
    with pytest.raises(DataError, match=r"files.csv:line 2, column project_id: project 'P8'"):
        read_files(read_table(files, FILE_COLUMNS, list(FILE_COLUMNS)), library.state())


def test_rules_files_are_checked(tmp_path):
    bad = tmp_path / "audit.yaml"
    bad.write_text(
        "id: x\ntitle: x\npolicy_source: x\nrules:\n"
        "  unknown_rule: {label: x, deadline_days: 1, evidence: [x]}\n"
        "  data_inconsistent: {label: x, deadline_days: 1, evidence: [x]}\n"
        "checklists: {产业发展: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemeError) as error:
        load_audit_rules(bad)
    lines = str(error.value).splitlines()
    assert any("unknown audit rule unknown_rule" in line for line in lines)
    assert any("rule data_inconsistent needs a threshold" in line for line in lines)
    assert any("checklists needs a default list" in line for line in lines)
