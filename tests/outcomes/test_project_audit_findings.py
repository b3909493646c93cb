"""Project-level audit findings (outcomes/project_findings.py) opened from a file into the ledger
and tracked to closure through the real command line."""

from __future__ import annotations

import csv

import openpyxl
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.outcomes.ledger import Ledger

HEADER = "项目编号,单位代码,问题类型,涉及金额（元）,问题描述\n"
ROWS = (
    "P001,1,成本未调整,120000,道路长度变更后单位成本未调整\n"
    "P002,1,data_inconsistent,35000,\n"  # the funds audit's rule id is an alias of 数据不实
    "P003,2,incomplete_files,,缺验收报告\n"  # no amount stated
)


def kaohe(*args):
    return CliRunner().invoke(app, ["--lang", "en", *args])


def findings(tmp_path, rows=ROWS):
    path = tmp_path / "audit.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_a_bad_kind_exits_2_naming_row_and_column(tmp_path):
    path = findings(tmp_path, ROWS + "P004,2,挪用,5000,\n")
    ledger = tmp_path / "ledger"
    result = kaohe("outcomes", "open-audit", str(path), "--ledger", str(ledger))
    assert result.exit_code == 2, result.output
    assert "audit.csv:line 5, column kind: '挪用' is not a kind of audit finding" in result.output
    assert "cost not adjusted (cost_not_adjusted)" in result.output  # what to use instead
    assert not (ledger / "events.jsonl").exists()  # nothing written


def test_a_bad_amount_names_its_cell(tmp_path):
    path = findings(tmp_path, "P001,1,数据不实,十万,\n")
    result = kaohe("outcomes", "open-audit", str(path), "--ledger", str(tmp_path / "l"))
    assert result.exit_code == 2
    assert "audit.csv:line 2, column amount_yuan: the amount '十万'" in result.output


def test_the_lifecycle_to_closure_and_overdue_by_date(tmp_path):
    ledger = str(tmp_path / "ledger")
    args = ("--ledger", ledger, "--date", "2021-03-01", "--days", "30")
    result = kaohe("outcomes", "open-audit", str(findings(tmp_path)), *args,
                   "--scheme", "fund-performance-2017", "--period", "2020")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "opened 3 project audit findings (0 already recorded)" in result.output
    again = kaohe("outcomes", "open-audit", str(findings(tmp_path)), *args)
    assert "opened 0 project audit findings (3 already recorded)" in again.output

    items = {i.project: i for i in Ledger(tmp_path / "ledger").state().items.values()}
    cost = items["P001"]
    assert (cost.kind, cost.problem, cost.amount_yuan, cost.unit) == (
        "finding", "cost_not_adjusted", 120000, "1",
    )  # fmt: skip
    assert (
        cost.title == "项目 P001：成本未调整——道路长度变更后单位成本未调整（涉及金额 120,000 元）"
    )
    assert str(cost.deadline) == "2021-03-31" and cost.basis == "audit:cost_not_adjusted"
    assert items["P002"].problem == "untrue_data" and items["P003"].amount_yuan is None

    # P001 is rectified in time; on 15 April the other two are past their deadline
    assert kaohe("outcomes", "submit", cost.id, "--evidence", "调整后的绩效目标表.pdf",
                 "--ledger", ledger).exit_code == 0  # fmt: skip
    assert kaohe("outcomes", "verify", cost.id, "--ledger", ledger).exit_code == 0
    swept = kaohe("outcomes", "sweep", "--ledger", ledger, "--as-of", "2021-04-15")
    assert "2 items marked overdue" in swept.output
    state = Ledger(tmp_path / "ledger").state()
    assert {i.project: i.status for i in state.items.values()} == {
        "P001": "closed", "P002": "overdue", "P003": "overdue",
    }  # fmt: skip
    assert (
        state.items[items["P002"].id].days_overdue(__import__("datetime").date(2021, 4, 15)) == 15
    )

    source = tmp_path / "rectifications.csv"
    kaohe("outcomes", "export-source", "--ledger", ledger, "--out", str(source),
          "--as-of", "2021-04-15")  # fmt: skip
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    assert sorted((r["project"], r["problem"], r["amount_yuan"], r["days_overdue"]) for r in rows) == [
        ("P002", "untrue_data", "35000.0", "15"),
        ("P003", "incomplete_files", "", "15"),
    ]  # fmt: skip
    xlsx = tmp_path / "ledger.xlsx"
    kaohe("outcomes", "export", "--ledger", ledger, "--out", str(xlsx), "--as-of", "2021-04-15")
    sheet = openpyxl.load_workbook(xlsx)["整改事项"]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["项目编号", "涉及金额（元）"]
    assert sorted((r[-2].value, r[-1].value) for r in sheet.iter_rows(min_row=2)) == [
        ("P001", 120000), ("P002", 35000), ("P003", None),
    ]  # fmt: skip


def test_an_office_workbook_with_a_title_row_is_read_and_located(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2020年度扶贫项目审计发现问题清单"])
    sheet.append(["项目编号", "单位代码", "问题类型", "涉及金额（元）"])
    sheet.append(["P001", "1", "数据不实", 8000])
    sheet.append(["P002", "1", "违规", 9000])
    path = tmp_path / "audit.xlsx"
    book.save(path)
    result = kaohe("outcomes", "open-audit", str(path), "--ledger", str(tmp_path / "l"))
    assert result.exit_code == 2
    assert "audit.xlsx:row 4, column kind: '违规' is not a kind" in result.output
    sheet.delete_rows(4)
    book.save(path)
    result = kaohe("outcomes", "open-audit", str(path), "--ledger", str(tmp_path / "l"))
    assert "opened 1 project audit findings" in result.output, result.output
    (item,) = Ledger(tmp_path / "l").state().items.values()
    assert (item.project, item.problem, item.amount_yuan) == ("P001", "untrue_data", 8000)
