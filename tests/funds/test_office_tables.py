"""The funds commands read an office's files as they come, through the one reader of Kaohe
(``kaohe.data.readers.prepare``): a workbook with a title row, two-row Chinese headers and a 合计
row, a GBK CSV of the same layout, ``1,234``, and every value that does not fit named by file,
row and column."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from tests.support.funds import (
    library_with,
    project,
    submission,
    targets,
    write_csv,
)

from kaohe.errors import DataError
from kaohe.funds.gate import PROJECT_COLUMNS, PROJECT_SHEETS, TARGET_COLUMNS
from kaohe.funds.library import Library
from kaohe.funds.monitoring import REPORT_COLUMNS
from kaohe.funds.tables import read_table

TITLE = "附件1：XX县2019年扶贫项目库入库项目申报表"
# Two header rows as offices merge them: 项目编号 spans both rows (the lower cell is empty),
# 资金 is merged over the budget and 计划工期 over the two planned dates.
PROJECT_UPPER = [
    "项目编号",
    "项目名称",
    "所属县",
    "项目类型",
    "资金",
    "计划工期",
    None,
    "项目实施单位",
]
PROJECT_LOWER = [None, None, None, None, "预算金额（万元）", "计划开工日期", "计划完工日期", None]
TARGET_UPPER = ["项目编号", "绩效指标", None, None, None, None, None]
TARGET_LOWER = [None, "指标编号", "指标类别", "指标名称", "年度指标值", "计量单位", "指标方向"]

# P2's budget, 1,234 万元, is written with a thousands separator in the office's files.
CLEAN_PROJECTS = [project("P1"), project("P2", "110102", budget=1234)]
CLEAN_TARGETS = targets("P1") + targets("P2")


def office_projects(budget_p2="1,234"):
    rows = [r[:] for r in CLEAN_PROJECTS]
    rows[1][4] = budget_p2
    return rows


def total_row(rows):
    return ["合计", None, None, None, sum(float(str(r[4]).replace(",", "")) for r in rows)]


def office_workbook(path: Path, budget_p2="1,234") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "项目"
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(PROJECT_UPPER)
    sheet.append(PROJECT_LOWER)
    for column in "ABCDH":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("F3:G3")
    for row in office_projects(budget_p2):
        # the planned dates as date cells, as a spreadsheet stores dates typed into it
        sheet.append(row[:5] + [dt.date.fromisoformat(d) for d in row[5:7]] + row[7:])
    sheet.append(total_row(office_projects()))
    goals = book.create_sheet("绩效目标表")
    goals.append([TITLE.replace("申报表", "绩效目标表")])
    goals.append(TARGET_UPPER)
    goals.append(TARGET_LOWER)
    goals.merge_cells("A2:A3")
    goals.merge_cells("B2:G2")
    for row in CLEAN_TARGETS:
        goals.append(row)
    book.save(path)
    return path


def office_csv(folder: Path, budget_p2="1,234", encoding="gbk") -> tuple[Path, Path]:
    """The same layout exported as CSV by a Chinese spreadsheet on Windows: GBK, CRLF line
    breaks, every line as wide as the widest, title lines, two header lines, a 合计 line."""
    folder.mkdir(parents=True, exist_ok=True)
    projects = exported(
        folder / "项目.csv",
        [
            [TITLE],
            [],
            PROJECT_UPPER,
            PROJECT_LOWER,
            *office_projects(budget_p2),
            total_row(office_projects()),
        ],
        encoding,
    )
    goals = exported(
        folder / "绩效目标表.csv",
        [[TITLE.replace("申报表", "绩效目标表")], TARGET_UPPER, TARGET_LOWER, *CLEAN_TARGETS],
        encoding,
    )
    return projects, goals


def exported(path: Path, rows: list[list], encoding: str) -> Path:
    width = max(len(row) for row in rows)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerows(["" if v is None else v for v in padded(row, width)] for row in rows)
    return path


def padded(row: list, width: int) -> list:
    """A row as a spreadsheet exports it: as many fields as the widest row has."""
    return list(row) + [None] * (width - len(row))


def admitted(kaohe, library: Path, *files: Path):
    result = kaohe("funds", "admit", *files, "--library", library)
    assert result.exit_code == 0, result.stderr
    assert "admitted 2 projects, 0 already in the library unchanged, 0 rejected" in result.stdout
    return Library.open(library).state().projects


@pytest.fixture
def clean(tmp_path, kaohe):
    files = submission(tmp_path / "clean", CLEAN_PROJECTS, CLEAN_TARGETS)
    projects = admitted(kaohe, tmp_path / "clean-library", *files)
    assert projects["P2"].budget == 1234.0
    return projects


def test_an_office_workbook_is_admitted_as_the_clean_csv_is(tmp_path, kaohe, clean):
    workbook = office_workbook(tmp_path / "项目库.xlsx")
    assert admitted(kaohe, tmp_path / "library", workbook) == clean


def test_a_gbk_csv_of_the_same_layout_is_admitted_as_the_clean_csv_is(tmp_path, kaohe, clean):
    files = office_csv(tmp_path / "gbk")
    assert files[0].read_bytes().decode("gbk").startswith(TITLE)
    assert admitted(kaohe, tmp_path / "library", *files) == clean


def test_the_reader_says_where_the_header_is_and_which_rows_are_totals(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
    table = read_table(
        office_workbook(tmp_path / "项目库.xlsx"), PROJECT_COLUMNS, ["project_id"], PROJECT_SHEETS
    )
    assert [row.text("project_id") for row in table.rows] == ["P1", "P2"]
    assert [row.place.line for row in table.rows] == [5, 6]
    assert table.notices == [
        "项目库.xlsx[项目]: the header ends on row 4; the title rows above are not data",
        "项目库.xlsx[项目]: rows 7 are totals (合计/小计) and were left out",
    ]
    assert [row.number("budget") for row in table.rows] == [100.0, 1234.0]
    assert [row.date("start_date") for row in table.rows] == [dt.date(2019, 1, 1)] * 2


def test_a_budget_that_does_not_fit_names_the_sheet_row_and_column(tmp_path, kaohe):
    workbook = office_workbook(tmp_path / "项目库.xlsx", budget_p2="1,23")
    result = kaohe("funds", "admit", workbook, "--library", tmp_path / "library")
    assert result.exit_code == 2
    assert "admitted 1 projects, 0 already in the library unchanged, 1 rejected" in result.stdout
    assert (
        "项目库.xlsx[项目]:line 6, column budget (E): the budget (10k yuan) must be a positive "
        "number, not '1,23'" in result.stderr
    )


def test_a_budget_that_does_not_fit_names_the_csv_line_and_column(tmp_path, kaohe):
    files = office_csv(tmp_path / "gbk", budget_p2="12.5%")
    result = kaohe("funds", "admit", *files, "--library", tmp_path / "library", lang=None)
    assert result.exit_code == 2
    assert "项目.csv:第 6 行，列 budget：预算金额（万元）应为正数，而不是 '12.5%'" in result.stderr


def test_report_values_are_read_by_the_strict_casts(tmp_path, kaohe):
    library_with(tmp_path, "P1")
    book = Workbook()
    sheet = book.active
    sheet.title = "进度"
    sheet.append(["附件3：项目执行进度报告"])
    sheet.append(["项目编号", "报告日期", "指标编号", "累计完成值"])
    sheet.append(["P1", dt.date(2019, 7, 1), "budget_executed", "３０"])  # full-width digits
    sheet.append(["P1", "2019-07-01", "Q1", "1,0"])
    sheet.append(["P1", "2019/07/01", "C1", 1])
    path = tmp_path / "进度.xlsx"
    book.save(path)
    bad = kaohe("funds", "monitor", path, "--library", tmp_path / "library")
    assert bad.exit_code == 2
    assert "进度.xlsx[进度]:line 4, column value (D): '1,0' is not a number" in bad.stderr
    assert (
        "进度.xlsx[进度]:line 5, column as_of (B): '2019/07/01' is not a date (YYYY-MM-DD)"
        in bad.stderr
    )
    sheet["D4"] = "1,234"
    sheet["B5"] = "2019-07-01"
    book.save(path)
    good = kaohe("funds", "monitor", path, "--library", tmp_path / "library")
    assert good.exit_code == 0, good.stderr
    reports = Library.open(tmp_path / "library").state().reports["P1"]
    assert reports[dt.date(2019, 7, 1)].values == {"budget_executed": 30.0, "Q1": 1234.0, "C1": 1.0}


def test_a_parquet_report_is_read_too(tmp_path):
    path = tmp_path / "report.parquet"
    pq.write_table(
        pa.table(
            {
                "project_id": ["P1", "P1"],
                "as_of": [dt.date(2019, 7, 1), dt.date(2019, 7, 1)],
                "item": ["budget_executed", "Q1"],
                "value": [30.0, float("nan")],
            }
        ),
        path,
    )
    table = read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS))
    assert [row.date("as_of") for row in table.rows] == [dt.date(2019, 7, 1)] * 2
    assert [row.number("value") for row in table.rows] == [30.0, None]  # a stored NaN is none


def test_target_values_as_target_tables_write_them(tmp_path):
    written = ["90", "≥95%", "<= 12", "1,200", "９５％", "显著提高", "", "1e3", ">=1,23"]
    path = write_csv(
        tmp_path / "targets.csv",
        ["project_id", "category", "target"],
        [["P1", "数量指标", value] for value in written],
    )
    table = read_table(path, TARGET_COLUMNS, ["project_id", "category", "target"])
    assert [row.target_value("target") for row in table.rows] == [
        (90.0, None, False),
        (95.0, "higher", True),
        (12.0, "lower", False),
        (1200.0, None, False),
        (95.0, None, True),
        (None, None, False),
        (None, None, False),
        (None, None, False),
        (None, "higher", False),
    ]


def test_a_report_with_a_title_line_in_a_utf8_csv_with_lf_line_breaks(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
    path = write_csv(
        tmp_path / "report.csv",
        ["附件3：项目执行进度报告", "", "", ""],
        [["项目编号", "报告日期", "指标", "累计完成值"], ["P1", "2019-07-01", "Q1", "1,234"]],
    )
    table = read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS))
    (row,) = table.rows
    assert (row.text("item"), row.number("value")) == ("Q1", 1234.0)
    assert str(row.cell("value")) == "report.csv:line 3, column value"


def test_a_ragged_line_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
    path = tmp_path / "report.csv"
    path.write_text(
        "project_id,as_of,item,value\nP1,2019-07-01,Q1,1\nP1,2019-07-01\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"^report.csv:line 3: 2 values, but the header has 4"):
        read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS))
