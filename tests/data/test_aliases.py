"""Headers by name, label or alias: the bundled schemas' aliases (表头别名).

A file's header names a column by its id, label, English label or one of its aliases, compared
after normalization (``kaohe.data.headers``). The bundled aliases come from Kaohe's own workbooks
(known) and from what the registry's, the statistics bureau's and the finance departments' tables
are assumed to say; docs/data.md lists every one with where it comes from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.data.headers import header_index, match_headers, normalize_header
from kaohe.data.schemas import bundled_schemas, load_schema
from kaohe.errors import SchemeError
from kaohe.workflow import verification_sheet
from kaohe.workflow.collection import UNIT_HEADERS, catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"
SECTION = "## Headers: ids, labels and aliases (表头)"
BASES = ("known (Kaohe)", "term known", "assumed")


def _columns(source: str) -> dict:
    return load_schema(source).model.columns


def _named(headers: list[str], source: str) -> dict[str, str]:
    """Header → the column it names, for the headers that name one."""
    return {headers[i]: column for i, column in match_headers(headers, _columns(source)).items()}


@pytest.mark.parametrize("source", sorted(bundled_schemas()))
def test_every_bundled_schema_loads_and_no_header_names_two_columns(source):
    columns = _columns(source)  # loading runs header_index: a header naming two columns fails
    index = header_index(columns)
    for column_id, column in columns.items():
        own = [column_id, column.label, column.label_en]
        for alias in column.aliases:
            assert normalize_header(alias), f"{source}.{column_id}: empty alias"
            assert normalize_header(alias) not in {normalize_header(n) for n in own if n}, (
                f"{source}.{column_id}: alias {alias!r} repeats the column's own name"
            )
            assert index[normalize_header(alias)] == column_id


def test_a_registry_household_export_names_its_columns():
    headers = [
        "序号", "县(区)", "行政区划代码", "户编号", "户主姓名", "户主身份证号", "人数",
        "贫困户属性", "识别标准", "是否脱贫", "脱贫年度", "人均纯收入", "上年人均纯收入",
        "不愁吃不愁穿", "义务教育保障", "基本医疗保障", "住房安全保障", "饮水是否安全",
        "饮水是否困难", "是否危房户", "贫困户状态", "是否有劳动能力", "考核年度",
    ]  # fmt: skip
    assert _named(headers, "households") == {
        "行政区划代码": "unit",
        "户编号": "household_id",
        "人数": "size",
        "人均纯收入": "income_per_capita",
        "上年人均纯收入": "income_last_year",
        "不愁吃不愁穿": "food_clothing_ok",
        "义务教育保障": "education_ok",
        "基本医疗保障": "medical_ok",
        "住房安全保障": "housing_ok",
        "饮水是否安全": "water_ok",
        "贫困户状态": "status",
        "是否有劳动能力": "labour_capacity",
        "考核年度": "period",
    }  # names (县(区)), other values (是否脱贫) and the opposite sense (饮水是否困难) stay unread


def test_a_registry_person_export_names_its_columns_in_any_spelling():
    headers = [
        "行政区划 代码", "户编号", "姓名", "证件号码", "性别", "年龄", "与户主关系", "人编号",
        "年初贫困人口", "年末是否贫困人口", "本年脱贫", "脱贫年度", "考核年度",
    ]  # fmt: skip
    assert _named(headers, "persons") == {
        "行政区划 代码": "unit",  # a wrapped header cell
        "户编号": "household_id",
        "证件号码": "person_id",
        "性别": "sex",
        "年龄": "age",
        "年初贫困人口": "poor_at_start",
        "年末是否贫困人口": "poor_at_end",
        "本年脱贫": "exited",
        "考核年度": "period",
    }
    spelled = ["区划代码", "户\u3000编\u3000号", "ＡＧＥ", "公民身份号码", "Resident ID Number"]
    assert list(match_headers(spelled, _columns("persons")).values()) == [
        "unit", "household_id", "age", "person_id", "person_id",
    ]  # fmt: skip


def test_a_finance_project_list_names_its_columns():
    headers = [
        "序号", "项目代码", "项目名称", "项目类别", "区划代码", "实施单位", "资金规模（万元）",
        "财政专项扶贫资金", "绩效目标", "已拨付资金（万元）", "计量单位", "开工时间", "竣工日期",
        "实施状态", "群众满意度", "考核年度",
    ]  # fmt: skip
    assert _named(headers, "projects") == {
        "项目代码": "id",
        "项目名称": "name",
        "项目类别": "type",
        "区划代码": "unit",
        "资金规模（万元）": "budget",
        "已拨付资金（万元）": "disbursed",
        "计量单位": "output_unit",
        "开工时间": "start_date",
        "竣工日期": "end_date",
        "实施状态": "status",
        "群众满意度": "satisfaction",
        "考核年度": "period",
    }  # the special fund's share is not the budget, the targets' text not has_targets


def test_a_statistics_bureau_table_names_its_columns():
    headers = [
        "县级区划代码", "县名", "乡村人口", "农村居民人均可支配收入", "上年农村居民人均可支配收入",
        "农民人均纯收入", "是否贫困县", "计划本年退出", "本年已退出", "统计年度",
    ]  # fmt: skip
    assert _named(headers, "monitoring_survey") == {
        "县级区划代码": "unit",
        "乡村人口": "rural_population",
        "农村居民人均可支配收入": "income_per_capita",
        "上年农村居民人均可支配收入": "income_per_capita_last",
        "是否贫困县": "poor_county",
        "计划本年退出": "exit_planned",
        "本年已退出": "exited",
        "统计年度": "period",
    }  # 农民人均纯收入 is the net income of before 2013, not disposable income


@pytest.mark.parametrize("source", sorted(catalog()))
def test_kaohe_collection_templates_name_the_same_columns(source):
    collected = catalog()[source]
    headers = [UNIT_HEADERS[0], *(column.header for column in collected.columns)]
    assert _named(headers, source) == {
        UNIT_HEADERS[0]: "unit",
        **{column.header: column.id for column in collected.columns},
    }


def test_the_verification_sheet_names_the_field_checks_columns():
    columns = _columns("field_checks")
    headers = [column.header for column in verification_sheet.COLUMNS]
    assert _named(headers, "field_checks") == {
        column.header: column.id for column in verification_sheet.COLUMNS if column.id in columns
    }


SCHEMA = """\
# a schema with an alias that is another column's {what}
source: visits
version: 1
unit: {{column: county}}
columns:
  county: {{type: text, required: true, label: 县级行政区划代码}}
  household_id: {{type: text, required: true, label: 户编号, label_en: household ID}}
  household: {{type: text, label: 户码, aliases: [{alias}]}}
  period: {{type: text, required: true}}
"""


@pytest.mark.parametrize(
    ("what", "alias"),
    [
        ("label", "户编号"),
        ("label, spaced", "户 编 号"),
        ("English label, full-width", "ＨＯＵＳＥＨＯＬＤ ＩＤ"),
        ("id", "Household_ID"),
    ],
)
def test_an_alias_naming_another_column_is_refused_with_file_and_line(tmp_path, what, alias):
    path = tmp_path / "visits.yaml"
    path.write_text(SCHEMA.format(what=what, alias=alias), encoding="utf-8")
    with pytest.raises(SchemeError) as error:
        load_schema(str(path))
    message = str(error.value)
    assert re.search(rf"{re.escape(str(path))}:\d+", message), message
    assert alias in message
    assert "household_id" in message and "household" in message


def documented_aliases() -> set[tuple[str, str, str]]:
    """(source, column, alias) as docs/data.md's Headers section lists them: under a
    ``**`source`**`` paragraph, items ``- `column` ← `alias`, `alias` — basis``."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    found: set[tuple[str, str, str]] = set()
    source = None
    for line in section.splitlines():
        if heading := re.match(r"^\*\*`(\w+)`\*\*", line):
            source = heading.group(1)
        elif source and line.startswith("- `") and " ← " in line:
            names, basis = line.split(" — ", 1)
            assert basis.startswith(BASES), f"{source}: {line!r} says neither known nor assumed"
            column, *aliases = re.findall(r"`([^`]+)`", names)
            found |= {(source, column, alias) for alias in aliases}
    return found


def test_the_docs_list_every_alias_with_where_it_comes_from():
    declared = {
        (source, column_id, alias)
        for source in bundled_schemas()
        for column_id, column in _columns(source).items()
        for alias in column.aliases
    }
    documented = documented_aliases()
    assert documented == declared, (
        f"in the schemas, not in docs/data.md: {sorted(declared - documented)}; "
        f"in docs/data.md, not in the schemas: {sorted(documented - declared)}"
    )
