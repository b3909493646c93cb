"""``kaohe template``: Excel templates from source schemas (Chinese headers, drop-downs, number
formats, an instructions sheet), prefilled from a data directory; and the web's templates of its
collected sources, written by the same code, unchanged."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from tests.support.data import UNITS, UNITS_HEADER
from tests.support.files import write_csv

from kaohe.data.schemas import load_schema
from kaohe.i18n import use_language
from kaohe.workflow.collection import catalog, template

HOUSEHOLDS_HEADER = [
    "unit", "household_id", "size", "income_per_capita", "income_last_year", "food_clothing_ok",
    "education_ok", "medical_ok", "housing_ok", "water_ok", "status", "labour_capacity", "period",
]  # fmt: skip
HOUSEHOLDS = [
    ["130224", "H1", "4", "5200.5", "4800", "true", "true", "true", "true", "false", "已脱贫户",
     "true", "2019"],
    ["130529", "H2", "3", "3100", "", "true", "false", "true", "true", "true", "在册贫困户",
     "false", "2019"],
    ["140221", "H3", "2", "2900", "2800", "true", "true", "true", "true", "true", "在册贫困户",
     "true", "2019"],
    ["130224", "H4", "5", "6100", "5900", "true", "true", "true", "true", "true", "已脱贫户",
     "true", "2018"],
]  # fmt: skip

RATES_SCHEMA = """\
source: rates
version: 1
label: 兜底保障情况
label_en: Social assistance
unit: {column: unit, kinds: [region], levels: [county]}
one_row_per_unit: true
columns:
  unit: {type: text, required: true, label: 县级行政区划代码, label_en: county code}
  coverage: {type: number, unit_of_measure: "%", min: 0, max: 1, label: 兜底覆盖率, label_en: coverage}
  checked_on: {type: date, label: 核查日期, label_en: checked on}
  signed_on: {type: date, format: "%Y/%m/%d", label: 签字日期, label_en: signed on}
"""


def _book(path: Path):
    return load_workbook(path)


def _validations(sheet) -> dict[str, tuple]:
    """First cell of each validated range -> (type, operator, formula1, formula2)."""
    return {
        str(dv.sqref).split(":")[0]: (dv.type, dv.operator, dv.formula1, dv.formula2)
        for dv in sheet.data_validations.dataValidation
    }


def _column(sheet, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(f"no column {header!r} in {[c.value for c in sheet[1]]}")


def _rows(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=2) if row[0].value]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    write_csv(folder / "units.csv", UNITS_HEADER, UNITS)
    write_csv(folder / "households.csv", HOUSEHOLDS_HEADER, HOUSEHOLDS)
    return folder


def test_one_sheet_per_source_with_chinese_headers_drop_downs_and_formats(kaohe, tmp_path):
    out = tmp_path / "t.xlsx"
    run = kaohe("template", "households", "projects", "--out", out, lang="zh")
    assert run.exit_code == 0, run.stderr
    assert str(out) in run.stdout
    book = _book(out)
    assert book.sheetnames == ["建档立卡户", "扶贫项目库", "说明"]  # data first: import reads it

    households = book["建档立卡户"]
    schema = load_schema("households").model
    assert [c.value for c in households[1]] == [c.label for c in schema.columns.values()]
    lists = _validations(households)
    status = _column(households, "户状态")
    assert lists[f"{status}2"] == ("list", None, '"在册贫困户,已脱贫户"', None)
    assert lists[f"{_column(households, '不愁吃、不愁穿')}2"][2] == '"是,否"'
    size = _column(households, "家庭人口数")
    assert lists[f"{size}2"] == ("whole", "between", "1", "30")
    income = _column(households, "人均纯收入（元/年）")
    assert households.column_dimensions[size].number_format == "0"
    # six decimals shown: a sheet saved as CSV keeps what it shows
    assert households.column_dimensions[income].number_format == "0.0#####"
    assert households.column_dimensions[status].number_format == "@"  # codes stay text

    projects = book["扶贫项目库"]
    assert projects.column_dimensions[_column(projects, "开工日期")].number_format == "yyyy-mm-dd"
    kinds = _validations(projects)[f"{_column(projects, '项目类型')}2"]
    assert kinds[2].startswith('"产业发展,就业扶贫')

    notes = [[c for c in row if c is not None] for row in book["说明"].iter_rows(values_only=True)]
    flat = [str(c) for row in notes for c in row]
    for label in ("户状态", "家庭人口数", "项目类型", "开工日期"):
        assert label in flat
    status_row = next(row for row in notes if "户状态" in row)
    assert "必填" in status_row and "在册贫困户、已脱贫户" in status_row
    size_row = next(row for row in notes if "家庭人口数" in row)
    assert "整数" in size_row and any("1" in str(c) and "30" in str(c) for c in size_row)


def test_percent_and_date_columns_of_a_schema_file(kaohe, tmp_path):
    schema = tmp_path / "rates.yaml"
    schema.write_text(RATES_SCHEMA, encoding="utf-8")
    out = tmp_path / "rates.xlsx"
    run = kaohe("template", schema, "--out", out, lang="zh")
    assert run.exit_code == 0, run.stderr
    sheet = _book(out)["兜底保障情况"]
    coverage = _column(sheet, "兜底覆盖率")
    assert sheet.column_dimensions[coverage].number_format == "0.00%"
    assert _validations(sheet)[f"{coverage}2"] == ("decimal", "between", "0", "1")
    assert sheet.column_dimensions[_column(sheet, "核查日期")].number_format == "yyyy-mm-dd"
    # a declared format is typed as text: Excel would turn 2019/01/05 into an ISO date
    assert sheet.column_dimensions[_column(sheet, "签字日期")].number_format == "@"
    flat = [str(c) for row in _book(out)["说明"].iter_rows(values_only=True) for c in row if c]
    assert any("百分比" in c for c in flat) and any("%Y/%m/%d" in c for c in flat)


def test_english_headers_with_lang_en(kaohe, tmp_path):
    out = tmp_path / "t.xlsx"
    run = kaohe("template", "households", "--out", out, lang="en")
    assert run.exit_code == 0, run.stderr
    book = _book(out)
    assert book.sheetnames == ["households", "Instructions"]  # as a data directory finds it
    header = [c.value for c in book["households"][1]]
    assert header[:3] == ["county code", "household ID", "household size"]


def test_prefill_writes_the_rows_of_the_unit_from_the_data_directory(kaohe, tmp_path, data_dir):
    out = tmp_path / "t.xlsx"
    run = kaohe(
        "template", "households", "--out", out, "--prefill", "--data", data_dir,
        "--unit", "130224", lang="zh",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    sheet = _book(out)["建档立卡户"]
    rows = _rows(sheet)
    assert [r[:2] for r in rows] == [["130224", "H1"], ["130224", "H4"]]
    first = rows[0]
    assert first[2] == 4 and first[3] == 5200.5  # typed: numbers are numbers
    assert first[5:10] == ["是", "是", "是", "是", "否"]
    assert first[10] == "已脱贫户"

    # a province: the rows of every unit below it; one period with --period
    run = kaohe(
        "template", "households", "--out", out, "--prefill", "--data", data_dir,
        "--unit", "130000", "--period", "2019", lang="zh",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    rows = _rows(_book(out)["建档立卡户"])
    assert [r[:2] for r in rows] == [["130224", "H1"], ["130529", "H2"]]
    assert rows[1][4] is None  # an empty value stays empty


def test_prefill_of_a_one_row_per_unit_source_lists_every_unit(kaohe, tmp_path, data_dir):
    schema = tmp_path / "rates.yaml"
    schema.write_text(RATES_SCHEMA, encoding="utf-8")
    write_csv(data_dir / "rates.csv", ["unit", "coverage"], [["130529", "0.125"]])
    out = tmp_path / "t.xlsx"
    run = kaohe(
        "template", schema, "--out", out, "--prefill", "--data", data_dir, "--unit", "130000",
        lang="zh",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    sheet = _book(out)["兜底保障情况"]
    assert [r[:2] for r in _rows(sheet)] == [["130224", None], ["130529", 0.125]]
    assert sheet["B3"].number_format == "0.00%"
    unit_list = _validations(sheet)["A2"]  # the units of the source's level below 130000
    assert unit_list[:3] == ("list", None, '"130224,130529"')


def test_a_source_the_data_directory_lacks_is_written_unfilled(kaohe, tmp_path, data_dir):
    schema = tmp_path / "rates.yaml"
    schema.write_text(RATES_SCHEMA, encoding="utf-8")
    out = tmp_path / "t.xlsx"
    run = kaohe(
        "template", "households", schema, "--out", out, "--prefill", "--data", data_dir,
        "--unit", "130224",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "no file for source rates" in run.stdout
    book = _book(out)
    assert len(_rows(book["households"])) == 2
    assert _rows(book["rates"]) == [["130224", None, None, None]]


def test_a_prefilled_template_imports_as_it_is(kaohe, tmp_path, data_dir):
    write_csv(
        data_dir / "monitoring_survey.csv",
        ["unit", "rural_population", "income_per_capita", "poor_county", "exit_planned",
         "exited", "period"],
        [["130224", "1000", "9000.5", "是", "否", "true", "2019"],
         ["130529", "800", "7000", "否", "否", "false", "2019"]],
    )  # fmt: skip
    out = tmp_path / "t.xlsx"
    run = kaohe(
        "template", "monitoring_survey", "--out", out, "--prefill", "--data", data_dir,
        "--unit", "130000", "--period", "2019", lang="zh",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    store = tmp_path / "store"
    assert kaohe("import", "units", data_dir / "units.csv", "--store", store).exit_code == 0
    imported = kaohe("import", "monitoring_survey", out, "--store", store)
    assert imported.exit_code == 0, imported.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchsource"], "nosuchsource"),
        (["households", "--prefill", "--data", "{data}", "--unit", "999999"], "999999"),
        (["households", "--prefill", "--unit", "130224"], "--data"),
        (["households", "--unit", "130224"], "--prefill"),
    ],
)
def test_unknown_sources_and_units_are_usage_errors(kaohe, tmp_path, data_dir, args, message):
    out = tmp_path / "t.xlsx"
    run = kaohe("template", *[a.format(data=data_dir) for a in args], "--out", out)
    assert run.exit_code == 2
    assert message in run.stderr
    assert not out.exists()


def test_a_value_that_does_not_fit_its_column_is_refused_not_prefilled(kaohe, tmp_path, data_dir):
    write_csv(
        data_dir / "households.csv",
        HOUSEHOLDS_HEADER,
        [["130224", "H1", "four", *HOUSEHOLDS[0][3:]]],
    )
    out = tmp_path / "t.xlsx"
    run = kaohe(
        "template", "households", "--out", out, "--prefill", "--data", data_dir,
        "--unit", "130224",
    )  # fmt: skip
    assert run.exit_code == 2
    assert "households.csv:line 2" in run.stderr and "'four'" in run.stderr
    assert not out.exists()


# --- the web's templates, now written by kaohe.data.templates ----------------------------------

UNITS_OF_SCOPE = [
    SimpleNamespace(code="130102", name="长安区"),
    SimpleNamespace(code="130104", name="桥西区"),
]


def _web_template(source_id: str):
    source = catalog()[source_id]
    values = {("130102", source.columns[0].id): 5}
    with use_language("zh"):  # as the web answers by default
        return load_workbook(io.BytesIO(template(source, UNITS_OF_SCOPE, values, 1)))


def test_the_web_template_of_a_per_unit_source_is_unchanged():
    book = _web_template("monitoring_survey")
    assert book.sheetnames == ["数据", "_units", "说明"]
    assert book["_units"].sheet_state == "hidden"
    sheet = book["数据"]
    assert [c.value for c in sheet[1]] == [
        "单位代码", "单位名称", "农村人口（人）", "农村居民人均可支配收入（元）",
        "上年农村居民人均可支配收入（元）", "是否贫困县", "是否计划本年退出", "是否已退出",
    ]  # fmt: skip
    assert _rows(sheet) == [
        ["130102", "长安区", 5, None, None, None, None, None],
        ["130104", "桥西区", None, None, None, None, None, None],
    ]
    validations = {
        str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2, dv.error)
        for dv in sheet.data_validations.dataValidation
    }
    assert validations == {
        "A2:A3": ("list", None, "=_units!$A$1:$A$2", None, "单位代码不在您的范围内"),
        "C2:C3": ("whole", "greaterThanOrEqual", "0", None, "农村人口（人）：取值不符合要求"),
        "D2:D3": ("decimal", "greaterThanOrEqual", "0", None,
                  "农村居民人均可支配收入（元）：取值不符合要求"),
        "E2:E3": ("decimal", "greaterThanOrEqual", "0", None,
                  "上年农村居民人均可支配收入（元）：取值不符合要求"),
        "F2:F3": ("list", None, '"是,否"', None, "是否贫困县：取值不符合要求"),
        "G2:G3": ("list", None, '"是,否"', None, "是否计划本年退出：取值不符合要求"),
        "H2:H3": ("list", None, '"是,否"', None, "是否已退出：取值不符合要求"),
    }  # fmt: skip
    assert sheet.freeze_panes == "C2"
    assert [r for r in book["_units"].iter_rows(values_only=True)] == [
        ("130102", "长安区"), ("130104", "桥西区"),
    ]  # fmt: skip
    notes = list(book["说明"].iter_rows(values_only=True))
    assert notes[0][:2] == ("农村贫困监测调查", "Rural poverty monitoring survey")
    assert notes[1][:2] == ("已为您预填的字段", 1)
    # and now, as every template, what each column means
    assert any("是否计划本年退出" in row for row in notes)


def test_the_web_template_of_a_list_source_is_unchanged():
    sheet = _web_template("findings")["数据"]
    assert [c.value for c in sheet[1]] == [
        "单位代码",
        "单位名称",
        "问题类型",
        "问题数量（件）",
        "问题来源",
    ]
    assert _rows(sheet) == []
    validations = {
        str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2)
        for dv in sheet.data_validations.dataValidation
    }
    assert validations == {
        "A2:A201": ("list", None, "=_units!$A$1:$A$2", None),
        "C2:C201": ("list", None, '"弄虚作假,挪用资金,违反禁止性规定,档案不全"', None),
        "D2:D201": ("whole", "greaterThanOrEqual", "0", None),
        "E2:E201": ("list", None, '"审计,巡视,督查,媒体暗访,第三方评估,考核核查"', None),
    }
