"""The hand-off to the evaluation of leading cadres (outcomes/cadre_export.py): a tiny run and
ledger whose rows are checked by hand, in Chinese and in English, as .xlsx and .csv."""

from __future__ import annotations

import csv
import textwrap

import openpyxl
import pytest
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.outcomes.ledger import Ledger

SCHEME = """
id: cadre-test
title: 干部考核测试
title_en: Cadre test
version: "1"
policy_source: tests
assesses: {kind: region, level: county}
sources:
  facts: {columns: {x: number, y: number, z: number}}
measures:
  x: {source: facts, expr: "max(x)"}
  y: {source: facts, expr: "max(y)"}
  z: {source: facts, expr: "max(z)"}
indicators:
  coverage: {label: 覆盖率, label_en: Coverage, expr: "x / 100", unit_of_measure: "%",
             target: 0.9, score: {method: target, cap: 1.0}}
  days: {label: 天数, label_en: Days, expr: z, direction: lower, unit_of_measure: 天,
         score: {method: goalposts, min: 10, max: 50}}
tree: [coverage, days]
adjustments:
  items:
    - {id: misuse, label: 挪用资金, label_en: Misuse of funds, kind: deduction, points: "y * 2"}
vetoes:
  - {id: fraud, when: "y > 2", grade: 差, reason: 弄虚作假, reason_en: fabrication}
grading: {bands: [[80, 好], [null, 差]], labels_en: {好: good, 差: poor}}
outcomes:
  - when: "grade = '差'"
    actions: [{rectify: {days: 30}}]
"""


def kaohe(*args, lang="en"):
    return CliRunner().invoke(app, ["--lang", lang, *args])


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """甲 (1): 95 %, 10 days → 100, 好. 乙 (2): 72 % of a 90 % target → 0.8 × 50 = 40; 30 days
    halfway from 10 to 50 → 25; 65 − 2 (misuse) = 63 → 差. 丙 (3): 100 − 6 = 94 but y > 2 → 差."""
    root = tmp_path_factory.mktemp("cadre")
    data = root / "data"
    data.mkdir()
    (data / "units.csv").write_text(
        "unit,name,parent,level\n1,甲县,,county\n2,乙县,,county\n3,丙县,,county\n", "utf-8"
    )
    (data / "facts.csv").write_text("unit,x,y,z\n1,95,0,10\n2,72,1,30\n3,95,3,10\n", "utf-8")
    scheme = root / "scheme.yaml"
    scheme.write_text(textwrap.dedent(SCHEME).lstrip(), "utf-8")
    run = root / "run"
    result = kaohe("assess", "--scheme", str(scheme), "--data", str(data), "--out", str(run))
    assert result.exit_code == 0, result.output
    ledger = str(root / "ledger")
    assert kaohe("outcomes", "open", "--run", str(run), "--ledger", ledger,
                 "--date", "2020-03-01").exit_code == 0  # fmt: skip
    audit = root / "audit.csv"
    audit.write_text(
        "project_id,unit,kind,amount_yuan,deadline\nP9,1,档案不全,,2020-06-30\n", "utf-8"
    )
    assert kaohe("outcomes", "open-audit", str(audit), "--ledger", ledger).exit_code == 0
    # 乙 rectifies in time; 丙's two items are past their deadline on 15 April (not yet swept)
    state = Ledger(root / "ledger").state()
    (rectification,) = [i.id for i in state.items.values() if i.unit == "2"]
    kaohe("outcomes", "submit", rectification, "--evidence", "整改报告.pdf", "--ledger", ledger)
    kaohe("outcomes", "verify", rectification, "--ledger", ledger)
    return run, ledger, root


def export(case, name, lang):
    run, ledger, root = case
    out = root / name
    result = kaohe("outcomes", "cadre-export", str(run), "--ledger", ledger, "--out", str(out),
                   "--as-of", "2020-04-15", lang=lang)  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_rows_in_english(case):
    out = export(case, "cadre.csv", "en")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert list(rows[0])[:7] == [
        "unit", "name", "scheme", "period", "grade", "score", "result status",
    ]  # fmt: skip
    first, second, third = rows
    assert (first["grade"], first["score"], first["vetoes"], first["deductions"]) == (
        "good", "100.0", "", "",
    )  # fmt: skip
    assert first["indicators short of target"] == ""
    assert (first["open items"], first["overdue items"], first["closed items"]) == ("1", "0", "0")
    assert first["findings and rectifications"] == "项目 P9：档案不全 (open, due 2020-06-30)"

    assert (second["grade"], second["score"], second["scheme"]) == ("poor", "63.0", "Cadre test")
    assert second["deductions"] == "Misuse of funds −2 points"
    assert second["indicators short of target"] == (
        "Coverage: 72.0% (target 90.0%); Days: 30 天 (50% of the points)"
    )
    assert (second["open items"], second["overdue items"], second["closed items"]) == (
        "0",
        "0",
        "1",
    )
    assert "verified and closed" in second["findings and rectifications"]

    assert (third["grade"], third["score"], third["vetoes"]) == ("poor", "94.0", "fabrication")
    assert third["deductions"] == "Misuse of funds −6 points"
    assert (third["open items"], third["overdue items"], third["closed items"]) == ("0", "2", "0")
    assert third["findings and rectifications"].count("15 days overdue") == 2


def test_workbook_in_chinese(case):
    out = export(case, "cadre.xlsx", "zh")
    sheet = openpyxl.load_workbook(out)["领导班子考核"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "代码", "考核对象", "考核办法", "考核年度", "等次", "得分", "结果状态", "一票否决",
        "扣分事项", "未达目标的指标", "未销号事项", "逾期事项", "已销号事项", "问题与整改事项",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    second = {h: c.value for h, c in zip(header, sheet[3], strict=True)}
    assert (second["考核对象"], second["等次"], second["得分"], second["扣分事项"]) == (
        "乙县", "差", 63, "挪用资金 −2 分",
    )  # fmt: skip
    assert second["未达目标的指标"] == "覆盖率：72.0%（目标 90.0%）；天数：30 天（得分率 50%）"
    third = {h: c.value for h, c in zip(header, sheet[4], strict=True)}
    assert (third["一票否决"], third["逾期事项"]) == ("弄虚作假", 2)
    assert "逾期 15 天" in third["问题与整改事项"]
