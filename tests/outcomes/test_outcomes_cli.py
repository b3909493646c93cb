"""Results application end to end through the real CLI: a run's outcomes become actions and
tracked items; the lifecycle moves through commands; Excel and next year's source are written,
and next year's scheme deducts for what is still overdue."""

from __future__ import annotations

import csv
import datetime as dt
import json
import textwrap

import openpyxl
import pytest
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.outcomes.from_run import run_entries
from kaohe.outcomes.ledger import Ledger

SCHEME = """
id: outcome-test
title: 结果应用测试
version: "1"
policy_source: tests
assesses: {kind: region, level: county}
parameters:
  reward: {value: 1000000, status: open}
  days: {value: 30, status: open}
sources:
  facts: {columns: {x: number, y: number}}
measures:
  x: {source: facts, expr: "max(x)"}
  y: {source: facts, expr: "max(y)"}
indicators:
  xi: {expr: x, score: {method: goalposts, min: 0, max: 100}}
flags:
  low_x: {label: x 偏低, when: "x < 50"}
tree: [xi]
vetoes:
  - {id: fraud, when: "y > 0", grade: 差, reason: 弄虚作假}
grading: {bands: [[80, 好], [null, 差]]}
outcomes:
  - when: "grade = '好'"
    actions: [{commend: {}}, {fiscal_reward: {amount_yuan: $reward}}]
  - when: "grade = '差'"
    actions: [{interview: {who: 主要负责同志}}, {rectify: {days: $days}}]
"""

NEXT_YEAR = """
id: next-year
title: 次年考核
version: "1"
policy_source: tests
assesses: {kind: region, level: county}
sources:
  facts: {columns: {x: number}}
  rectifications: {columns: {scheme: text, overdue: boolean}}
measures:
  x: {source: facts, expr: "max(x)"}
  overdue: {source: rectifications, expr: "count(*) filter (where overdue and scheme = 'outcome-test')"}
indicators:
  xi: {expr: x, score: {method: goalposts, min: 0, max: 100}}
tree: [xi]
adjustments:
  items:
    - {id: late, kind: deduction, points: "coalesce(overdue, 0) * 5"}
grading: {bands: [[80, 好], [null, 差]]}
"""


def kaohe(*args):
    return CliRunner().invoke(app, ["--lang", "en", *args])


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def run_dir(tmp_path):
    data = tmp_path / "data"
    write(
        data / "units.csv",
        "unit,name,parent,level\n1,甲县,,county\n2,乙县,,county\n3,丙县,,county\n",
    )
    # 甲 90 (好), 乙 40 (差, flag low_x), 丙 95 but y > 0 (veto → 差)
    write(data / "facts.csv", "unit,x,y\n1,90,0\n2,40,0\n3,95,2\n")
    scheme = write(tmp_path / "scheme.yaml", SCHEME)
    out = tmp_path / "run"
    result = kaohe("assess", "--scheme", str(scheme), "--data", str(data), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_a_run_becomes_actions_rectifications_and_findings(run_dir):
    entries = run_entries(run_dir, dt.date(2020, 3, 1))
    actions = [(d["unit"], d["action"], d["params"]) for k, d in entries if k == "action_issued"]
    assert actions == [
        ("1", "commend", {}),
        ("1", "fiscal_reward", {"amount_yuan": 1000000}),
        ("2", "interview", {"who": "主要负责同志"}),
        ("2", "rectify", {"days": 30}),
        ("3", "interview", {"who": "主要负责同志"}),
        ("3", "rectify", {"days": 30}),
    ]
    items = {
        (d["unit"], d["kind"], d["title"], d["deadline"]) for k, d in entries if k == "item_opened"
    }
    assert items == {
        ("2", "rectification", "结果应用测试：等次“差”，限期整改（x 偏低）", "2020-03-31"),
        ("2", "finding", "x 偏低", "2020-03-31"),
        ("3", "rectification", "结果应用测试：等次“差”，限期整改（弄虚作假）", "2020-03-31"),
        ("3", "finding", "弄虚作假", "2020-03-31"),
    }


def test_the_whole_cycle_through_the_command_line(run_dir, tmp_path):
    ledger = str(tmp_path / "ledger")
    result = kaohe(
        "outcomes", "open", "--run", str(run_dir), "--ledger", ledger, "--date", "2020-03-01"
    )
    assert result.exit_code == 0, result.output
    assert "recorded 6 actions, opened 2 rectifications and 2 findings (0 already" in result.output
    again = kaohe(
        "outcomes", "open", "--run", str(run_dir), "--ledger", ledger, "--date", "2020-03-01"
    )
    assert "recorded 0 actions" in again.output and "(10 already recorded)" in again.output

    state = Ledger(tmp_path / "ledger").state()
    by_title = {item.title: item.id for item in state.items.values()}
    fraud, low = by_title["弄虚作假"], by_title["x 偏低"]
    # 乙's finding is rectified in time; 丙's is not, and is escalated
    assert (
        kaohe("outcomes", "submit", low[:8], "--evidence", "报告.pdf", "--ledger", ledger).exit_code
        == 0
    )
    assert kaohe("outcomes", "verify", low, "--ledger", ledger).exit_code == 0
    refused = kaohe("outcomes", "verify", fraud, "--ledger", ledger)
    assert refused.exit_code == 2 and "cannot take verified" in refused.output
    swept = kaohe("outcomes", "sweep", "--ledger", ledger, "--as-of", "2020-04-15")
    assert "3 items marked overdue" in swept.output  # 丙's two items and 乙's rectification
    assert (
        kaohe("outcomes", "escalate", fraud, "--to", "纪检监察机关", "--ledger", ledger).exit_code
        == 0
    )

    listed = kaohe(
        "outcomes", "list", "--ledger", ledger, "--status", "overdue", "--as-of", "2020-04-15"
    )
    assert "2 items" in listed.output
    listed = kaohe("outcomes", "list", "--ledger", ledger, "--unit", "3", "--as-of", "2020-04-15")
    assert "escalated" in listed.output and "15" in listed.output  # 15 days overdue
    actions = kaohe("outcomes", "list", "--ledger", ledger, "--actions", "--unit", "1")
    assert "fiscal reward(amount_yuan=1000000)" in actions.output

    xlsx = tmp_path / "outcomes.xlsx"
    result = kaohe(
        "outcomes", "export", "--ledger", ledger, "--out", str(xlsx), "--as-of", "2020-04-15"
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(xlsx)
    sheet = book["整改事项"]
    assert [c.value for c in sheet[1]][:4] == ["代码", "考核对象", "类别", "问题或整改事项"]
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 5  # header + four items
    statuses = {row[8].value for row in sheet.iter_rows(min_row=2)}
    assert statuses == {"已验收销号", "逾期", "已升级处理"}
    assert book["结果应用"].max_row == 7 and book["结果应用"].freeze_panes == "A2"

    source = tmp_path / "next" / "rectifications.csv"
    result = kaohe("outcomes", "export-source", "--ledger", ledger, "--out", str(source),
                   "--as-of", "2020-12-31")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    assert sorted((r["unit"], r["status"], r["overdue"], r["days_overdue"]) for r in rows) == [
        ("2", "overdue", "true", "275"),
        ("3", "escalated", "true", "275"),
        ("3", "overdue", "true", "275"),
    ]
    assert kaohe("outcomes", "check", "--ledger", ledger).exit_code == 0

    # next year: 乙 has one overdue item, 丙 two → 5 and 10 points deducted
    write(
        tmp_path / "next" / "units.csv",
        "unit,name,parent,level\n1,甲县,,county\n2,乙县,,county\n3,丙县,,county\n",
    )
    write(tmp_path / "next" / "facts.csv", "unit,x\n1,90\n2,90\n3,90\n")
    scheme = write(tmp_path / "next.yaml", NEXT_YEAR)
    out = tmp_path / "next-run"
    result = kaohe(
        "assess", "--scheme", str(scheme), "--data", str(tmp_path / "next"), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    scores = {
        r["unit"]: float(r["score"])
        for r in csv.DictReader((out / "results.csv").open(encoding="utf-8"))
    }
    assert scores == {"1": 90.0, "2": 85.0, "3": 80.0}


def test_unknown_items_and_bad_dates_are_usage_errors(run_dir, tmp_path):
    ledger = str(tmp_path / "ledger")
    kaohe("outcomes", "open", "--run", str(run_dir), "--ledger", ledger, "--date", "2020-03-01")
    result = kaohe("outcomes", "submit", "zz-nothing", "--evidence", "x", "--ledger", ledger)
    assert result.exit_code == 2 and "no item zz-nothing" in result.output
    result = kaohe("outcomes", "sweep", "--ledger", ledger, "--as-of", "2020/04/15")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = kaohe("outcomes", "open", "--run", str(tmp_path / "nowhere"), "--ledger", ledger)
    assert result.exit_code == 2 and "explain.json" in result.output


def test_explain_json_is_what_is_read(run_dir):
    explain = json.loads((run_dir / "explain.json").read_text(encoding="utf-8"))
    assert explain["units"]["3"]["vetoes"][0]["id"] == "fraud"
