"""The target gate: which projects enter the library, and every reason why not, with its place."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from tests.support.funds import (
    PROJECT_HEADER,
    TARGET_HEADER,
    project,
    submission,
    targets,
    write_csv,
)

from kaohe.errors import DataError, SchemeError, UsageError
from kaohe.funds.gate import check_submission, load_gate_rules, read_submission


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


def decide(tmp_path, projects, target_rows, rules="gate", overrides=None, units=None):
    files = submission(tmp_path, projects, target_rows)
    loaded = load_gate_rules(rules, overrides)
    return check_submission(*read_submission(*files), loaded.model, units)


def test_a_complete_project_is_admitted_with_its_targets(tmp_path):
    result = decide(tmp_path, [project("P1")], targets("P1"))
    (decision,) = result.decisions
    assert decision.admitted and decision.reasons == []
    admitted = decision.project
    assert (admitted.budget, admitted.unit, admitted.owner) == (100.0, "110101", "县农业农村局")
    cost = admitted.target("C1")
    assert (cost.category, cost.value, cost.unit_of_measure, cost.direction) == (
        "cost",
        1.0,
        "万元/亩",
        "lower",
    )
    assert [t.category for t in admitted.targets] == ["quantity", "cost", "social", "satisfaction"]


@pytest.mark.parametrize(
    ("missing", "kind"),
    [("Q1", "quantity"), ("C1", "cost"), ("B1", "benefit"), ("S1", "satisfaction")],
)
def test_each_required_kind_of_indicator_is_checked(tmp_path, missing, kind):
    result = decide(tmp_path, [project("P1")], targets("P1", skip=[missing]))
    (decision,) = result.decisions
    assert not decision.admitted
    assert decision.reasons == [
        f"projects.csv:line 2: too few quantified {kind} indicator: at least 1 needed "
        + {
            "quantity": "(quantity)",
            "cost": "(cost)",
            "benefit": "(economic benefit, social benefit, ecological benefit, sustainability)",
            "satisfaction": "(satisfaction)",
        }[kind]
        + ", found 0"
    ]


def test_every_reason_is_listed_with_file_row_and_column(tmp_path):
    rows = targets("P2")
    rows[0][4] = "显著提高"  # not a number
    rows[3][5] = ""  # satisfaction without a unit of measure
    result = decide(
        tmp_path,
        [project("P1"), project("P2", budget="", owner="", unit="11010")],
        targets("P1") + rows,
    )
    first, second = result.decisions
    assert first.admitted
    assert second.reasons == [
        "projects.csv:line 3, column unit: the county code '11010' has the wrong form "
        "(expected ^[0-9]{6}$)",
        "projects.csv:line 3, column budget: the budget (10k yuan) is missing",
        "projects.csv:line 3, column owner: the implementing unit is missing",
        "targets.csv:line 6, column target: indicator '新建基地': the target '显著提高' is not a "
        "number; targets must be quantified",
        "targets.csv:line 9, column unit_of_measure: indicator '受益群众满意度' has no unit of measure",
        "projects.csv:line 3: too few quantified quantity indicator: at least 1 needed "
        "(quantity), found 0",
        "projects.csv:line 3: too few quantified satisfaction indicator: at least 1 needed "
        "(satisfaction), found 0",
    ]


def test_a_project_without_any_target_table_is_rejected(tmp_path):
    result = decide(tmp_path, [project("P1")], targets("P9"))
    (decision,) = result.decisions
    assert decision.reasons[0] == (
        "projects.csv:line 2: no performance target table (the targets table has no rows for "
        "this project)"
    )
    assert result.orphans == [
        "targets.csv:line 2, column project_id: targets of project P9 whose project is not in "
        "the projects table (4 rows)"
    ]


def test_duplicate_project_ids_reject_every_copy(tmp_path):
    result = decide(tmp_path, [project("P1"), project("P1")], targets("P1"))
    assert [d.admitted for d in result.decisions] == [False, False]
    assert "appears again at projects.csv:line 3" in result.decisions[0].reasons[-1]
    assert result.decisions[1].reasons[0].startswith("projects.csv:line 3, column project_id:")


def test_dates_must_be_in_order_and_types_known(tmp_path):
    result = decide(
        tmp_path,
        [project("P1", end_date="2018-12-31", project_type="修路")],
        targets("P1"),
    )
    reasons = result.decisions[0].reasons
    assert any("column project_type: the project type '修路' is not one of" in r for r in reasons)
    assert (
        "projects.csv:line 2, column end_date: the planned completion 2018-12-31 is before the "
        "start 2019-01-01" in reasons
    )


def test_industry_projects_also_need_an_economic_benefit(tmp_path):
    result = decide(tmp_path, [project("P1", project_type="产业发展")], targets("P1"))
    assert result.decisions[0].reasons == [
        "projects.csv:line 2: too few quantified economic benefit of an industry project: at "
        "least 1 needed (economic benefit), found 0"
    ]


def test_parameters_change_the_rules_without_editing_the_file(tmp_path):
    result = decide(tmp_path, [project("P1")], targets("P1"), overrides={"min_quantity": 2})
    assert "at least 2 needed (quantity), found 1" in result.decisions[0].reasons[0]
    with pytest.raises(SchemeError, match="no such parameter"):
        load_gate_rules("gate", {"min_quantty": 2})


def test_counties_are_checked_against_units_when_given(tmp_path):
    result = decide(
        tmp_path,
        [project("P1", unit="110101"), project("P2", unit="110000"), project("P3", unit="999999")],
        targets("P1") + targets("P2") + targets("P3"),
        units={"110101": "county", "110000": "province"},
    )
    assert [d.admitted for d in result.decisions] == [True, False, False]
    assert result.decisions[1].reasons == [
        "projects.csv:line 3, column unit: 110000 is at level province; projects belong to a county"
    ]
    assert result.decisions[2].reasons == [
        "projects.csv:line 4, column unit: county 999999 is not in units.csv"
    ]


def test_a_workbook_with_chinese_headers_and_directions_in_values(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "项目"
    sheet.append(
        [
            "项目编号",
            "项目名称",
            "所属县",
            "项目类型",
            "预算金额",
            "计划开工日期",
            "计划完工日期",
            "项目实施单位",
        ]
    )
    sheet.append(["P1", "道路硬化", "110101", "基础设施", 80, "2019-03-01", "2019-11-30", "交通局"])
    targets_sheet = book.create_sheet("绩效目标表")
    targets_sheet.append(["项目编号", "指标类别", "指标名称", "年度指标值", "计量单位"])
    targets_sheet.append(["P1", "数量", "硬化道路", 8, "公里"])
    targets_sheet.append(["P1", "成本", "每公里造价", "≤10", "万元/公里"])
    targets_sheet.append(["P1", "社会效益", "受益人口", ">=1500", "人"])
    targets_sheet.append(["P1", "服务对象满意度", "满意度", "≥95%", None])
    targets_sheet.append(["P2", "数量", "硬化道路", "若干", "公里"])
    path = tmp_path / "申报.xlsx"
    book.save(path)
    result = check_submission(*read_submission(path), load_gate_rules().model)
    (decision,) = result.decisions
    assert decision.admitted
    satisfaction = decision.project.target("T4")
    assert (satisfaction.value, satisfaction.unit_of_measure, satisfaction.direction) == (
        95.0,
        "%",
        "higher",
    )
    assert decision.project.target("T2").direction == "lower"
    assert result.orphans == [
        "申报.xlsx[绩效目标表]:line 6, column project_id (A): targets of project P2 whose project "
        "is not in the projects table (1 rows)"
    ]


def test_a_workbook_without_a_targets_sheet_is_a_usage_error(tmp_path):
    book = Workbook()
    book.active.title = "projects"
    book.active.append(PROJECT_HEADER)
    path = tmp_path / "only.xlsx"
    book.save(path)
    with pytest.raises(UsageError, match="needs a projects sheet"):
        read_submission(path)


def test_missing_columns_name_the_file_and_what_it_has(tmp_path):
    write_csv(tmp_path / "projects.csv", PROJECT_HEADER, [])
    write_csv(tmp_path / "targets.csv", ["project_id", "name"], [])
    with pytest.raises(DataError, match=r"targets.csv: missing columns category.*target"):
        read_submission(tmp_path / "projects.csv")
    write_csv(tmp_path / "t2.csv", TARGET_HEADER, [])
    assert read_submission(tmp_path / "projects.csv", tmp_path / "t2.csv")[1].rows == []


def test_gb18030_csv_from_a_chinese_spreadsheet_is_read(tmp_path):
    files = submission(tmp_path, [project("P1")], targets("P1"))
    raw = files[1].read_text(encoding="utf-8")
    files[1].write_bytes(raw.encode("gb18030"))
    result = check_submission(*read_submission(*files), load_gate_rules().model)
    assert result.decisions[0].admitted
    assert result.decisions[0].project.target("S1").name == "受益群众满意度"


def test_what_the_library_needs_is_checked_even_if_the_rules_omit_it(tmp_path):
    lax = tmp_path / "lax.yaml"
    lax.write_text(
        "id: lax\ntitle: 宽松规则\npolicy_source: tests\nfields: []\ntargets: []\n",
        encoding="utf-8",
    )
    result = decide(
        tmp_path, [project("P1", budget="", start_date="soon")], targets("P1"), rules=lax
    )
    assert result.decisions[0].reasons == [
        "projects.csv:line 2, column budget: the library needs the budget (10k yuan), not None",
        "projects.csv:line 2, column start_date: the library needs the planned start, not 'soon'",
    ]
