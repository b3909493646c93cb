"""``kaohe funds`` end to end through the real command line: admit → monitor → answer → sample →
evaluate → audit → allocate, with exit codes and messages in both languages."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tests.support.funds import ALLOCATION_FORMULA as FORMULA
from tests.support.funds import (
    REPORT_HEADER,
    VALUE_HEADER,
    project,
    submission,
    targets,
    write_csv,
)


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_whole_cycle(tmp_path, kaohe):
    lib = tmp_path / "library"
    projects_csv, targets_csv = submission(
        tmp_path,
        [project("P1", "110101"), project("P2", "110102"), project("P3", "110101", budget="")],
        targets("P1") + targets("P2") + targets("P3", skip=["C1"]),
    )
    # the gate: P3 is not admitted, every reason listed, exit 2
    admitted = kaohe("funds", "admit", projects_csv, targets_csv, "--library", lib)
    assert admitted.exit_code == 2
    assert "admitted 2 projects, 0 already in the library unchanged, 1 rejected" in admitted.stdout
    assert "projects.csv:line 4, column budget: the budget (10k yuan) is missing" in admitted.stderr
    assert "too few quantified cost indicator" in admitted.stderr
    # the same file again: nothing changes, P3 is still rejected
    again = kaohe("funds", "admit", projects_csv, "--library", lib)
    assert again.exit_code == 2 and "2 already in the library unchanged" in again.stdout

    report = write_csv(
        tmp_path / "july.csv",
        REPORT_HEADER,
        [["P1", "2019-07-01", "budget_executed", 30], ["P2", "2019-07-01", "budget_executed", 50]],
    )
    monitored = kaohe("funds", "monitor", report, "--library", lib)
    assert monitored.exit_code == 0, monitored.stderr
    assert "recorded 2 reports" in monitored.stdout and "1 new flags" in monitored.stdout
    assert "P1/2019-07-01/budget_lag" in monitored.stdout
    listed = kaohe("funds", "flags", "--library", lib)
    assert "1 flags, 1 awaiting an answer" in listed.stdout
    answered = kaohe(
        "funds",
        "answer",
        "P1/2019-07-01/budget_lag",
        "--by",
        "县农业农村局",
        "--note",
        "雨季停工，已调整计划",
        "--library",
        lib,
    )
    assert answered.exit_code == 0 and "answered" in answered.stdout
    assert "0 awaiting an answer" in kaohe("funds", "flags", "--library", lib).stdout

    sample = kaohe(
        "funds",
        "sample",
        "--library",
        lib,
        "--seed",
        11,
        "--rate",
        0.1,
        "--out",
        tmp_path / "sample.csv",
    )
    assert sample.exit_code == 0, sample.stderr
    sampled = [r["project_id"] for r in rows_of(tmp_path / "sample.csv")]
    assert sorted(sampled) == ["P1", "P2"]  # one per county: at least 10% of each
    redraw = kaohe("funds", "sample", "--library", lib, "--seed", 12)
    assert redraw.exit_code == 2 and "cannot be redrawn" in redraw.stderr

    full = [("budget_executed", 100), ("Q1", 100), ("C1", 1), ("B1", 200), ("S1", 90)]
    self_csv = write_csv(
        tmp_path / "self.csv",
        VALUE_HEADER,
        [[p, item, value] for p in ("P1", "P2") for item, value in full],
    )
    checks_csv = write_csv(
        tmp_path / "checks.csv", VALUE_HEADER, [["P1", "budget_executed", 80], ["P1", "Q1", 100]]
    )
    short = kaohe(
        "funds",
        "evaluate",
        "--self",
        self_csv,
        "--checks",
        checks_csv,
        "--library",
        lib,
        "--out",
        tmp_path / "eval",
    )
    assert short.exit_code == 2 and "sampled projects have no spot-check result: P2" in short.stderr
    assert not (tmp_path / "eval").exists()
    write_csv(
        checks_csv,
        VALUE_HEADER,
        [["P1", "budget_executed", 80], ["P1", "Q1", 100], ["P2", "budget_executed", 100]],
    )
    evaluated = kaohe(
        "funds",
        "evaluate",
        "--self",
        self_csv,
        "--checks",
        checks_csv,
        "--library",
        lib,
        "--out",
        tmp_path / "eval",
    )
    assert evaluated.exit_code == 0, evaluated.stderr
    scores = {r["project_id"]: r for r in rows_of(tmp_path / "eval" / "project_scores.csv")}
    assert scores["P1"]["self_score"] == "100.0" and scores["P1"]["final_score"] == "98.0"
    assert scores["P1"]["difference"] == "-2.0" and scores["P1"]["checked"] == "true"
    detail = json.loads((tmp_path / "eval" / "evaluation.json").read_text(encoding="utf-8"))
    assert detail["coverage"]["checked"] == 2 and detail["rules"]["id"] == "evaluation-default"
    # the run record: what the result was computed from and with, and what it holds
    manifest = json.loads((tmp_path / "eval" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "funds evaluate"
    assert manifest["rules"]["id"] == "evaluation-default" and manifest["rules"]["sha256"]
    assert {(i["role"], Path(i["file"]).name) for i in manifest["inputs"]} == {
        ("self_evaluation", "self.csv"),
        ("checks", "checks.csv"),
    }
    assert sorted(manifest["outputs"]) == [
        "evaluation.json",
        "project_scores.csv",
        "unit_scores.csv",
    ]
    assert (
        manifest["outputs"]["unit_scores.csv"]
        == hashlib.sha256((tmp_path / "eval" / "unit_scores.csv").read_bytes()).hexdigest()
    )

    audited = kaohe(
        "funds",
        "audit",
        "--self",
        self_csv,
        "--checks",
        checks_csv,
        "--library",
        lib,
        "--out",
        tmp_path / "audit",
        "--on",
        "2020-02-01",
    )
    assert audited.exit_code == 0, audited.stderr
    findings = rows_of(tmp_path / "audit" / "rectifications.csv")
    assert [(f["rule"], f["project_id"], f["deadline"], f["owner"]) for f in findings] == [
        ("data_inconsistent", "P1", "2020-03-02", "县农业农村局")
    ]
    assert "(no --files given: project files were not checked)" in audited.stdout
    stored = json.loads((tmp_path / "audit" / "rectifications.json").read_text(encoding="utf-8"))
    assert stored["findings"][0]["evidence_required"][0] == "corrected self-evaluation"

    data = tmp_path / "data"
    write_csv(
        data / "units.csv",
        ["unit", "name", "parent", "level"],
        [
            ["P", "省", "", "province"],
            ["110101", "甲县", "P", "county"],
            ["110102", "乙县", "P", "county"],
        ],
    )
    write_csv(
        data / "need.csv",
        ["unit", "poor", "income"],
        [["110101", 100, 5000], ["110102", 100, 5000]],
    )
    formula = tmp_path / "formula.yaml"
    formula.write_text(FORMULA, encoding="utf-8")
    allocated = kaohe(
        "funds",
        "allocate",
        "--data",
        data,
        "--formula",
        formula,
        "--scores",
        tmp_path / "eval" / "unit_scores.csv",
        "--out",
        tmp_path / "alloc",
        "--total",
        200,
    )
    assert allocated.exit_code == 0, allocated.stderr
    amounts = {r["unit"]: r for r in rows_of(tmp_path / "alloc" / "allocation.csv")}
    # equal need; performance above 60: A 38 (98), B 40 (100) → B gets a little more
    a, b = amounts["110101"], amounts["110102"]
    assert float(a["allocation"]) + float(b["allocation"]) == 200.0
    # without performance: 100 each; with it: 200 × (.8 × .5 + .2 × 38/78) = 99.49 for A
    assert (a["allocation"], b["allocation"]) == ("99.49", "100.51")
    assert (a["allocation_without_performance"], a["performance_effect"]) == ("100.0", "-0.51")

    events = (lib / "events.jsonl").read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["kind"] for line in events]
    assert kinds.count("project_rejected") == 2 and kinds.count("flag_answered") == 1


def test_messages_are_chinese_by_default(tmp_path, kaohe):
    projects_csv, targets_csv = submission(tmp_path, [project("P1")], targets("P1", skip=["S1"]))
    result = kaohe(
        "funds", "admit", projects_csv, targets_csv, "--library", tmp_path / "l", lang=None
    )
    assert result.exit_code == 2
    assert "不得入库" in result.stderr
    assert "projects.csv:第 2 行：量化的满意度指标不足：需要至少 1 个（满意度指标），现有 0 个" in (
        result.stderr
    )


def test_usage_errors_exit_2_with_a_clear_message(tmp_path, kaohe):
    missing = kaohe("funds", "monitor", tmp_path / "r.csv", "--library", tmp_path / "nolib")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    report = write_csv(tmp_path / "r.csv", REPORT_HEADER, [])
    nolib = kaohe("funds", "monitor", report, "--library", tmp_path / "nolib")
    assert nolib.exit_code == 2 and "is not a project library" in nolib.stderr
    rules = kaohe("funds", "admit", report, "--rules", "gat", "--library", tmp_path / "l")
    assert rules.exit_code == 2 and "did you mean gate" in rules.stderr


def test_the_console_script_runs_the_gate(tmp_path):
    projects_csv, targets_csv = submission(tmp_path, [project("P1")], targets("P1"))
    script = Path(sys.executable).with_name("kaohe")
    done = subprocess.run(
        [
            str(script),
            "--lang",
            "en",
            "funds",
            "admit",
            str(projects_csv),
            str(targets_csv),
            "--library",
            str(tmp_path / "lib"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "admitted 1 projects" in done.stdout


def test_reports_and_checks_in_excel(tmp_path, kaohe):
    from openpyxl import Workbook

    projects_csv, targets_csv = submission(tmp_path, [project("P1")], targets("P1"))
    lib = tmp_path / "lib"
    assert kaohe("funds", "admit", projects_csv, targets_csv, "--library", lib).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.title = "进度"
    sheet.append(["项目编号", "报告日期", "指标编号", "累计完成值"])
    sheet.append(["P1", "2019-07-01", "budget_executed", 10])
    sheet.append(["P1", "2019-07-01", "Q1", "很多"])
    path = tmp_path / "进度.xlsx"
    book.save(path)
    bad = kaohe("funds", "monitor", path, "--library", lib)
    assert bad.exit_code == 2
    assert "进度.xlsx[进度]:line 3, column value (D): '很多' is not a number" in bad.stderr
    sheet["D3"] = 20
    book.save(path)
    good = kaohe("funds", "monitor", path, "--library", lib)
    assert good.exit_code == 0 and "2 new flags" in good.stdout
