"""What a run writes: results.csv/.parquet/.xlsx and explain.json, for a hand-computed case."""

from __future__ import annotations

import csv
import json

import openpyxl
import pyarrow.parquet as pq
import pytest
from tests.support.engine import facts_scheme, write_facts_case

# Two dimensions: results (60 points: growth by target, income by goalposts) and accuracy (40
# points: wrong-exit rate by a score table, lower is better). A bonus, a veto and outcomes.
SCHEME = facts_scheme(
    unit_attributes={"plan": {"type": "number", "label": "计划"}},
    indicators={
        "growth": {
            "label": "增长",
            "label_en": "growth",
            "expr": "x",
            "target": {"column": "plan"},
            "score": {"method": "target"},
        },
        "income": {
            "label": "收入",
            "expr": "y",
            "unit_of_measure": "元",
            "score": {"method": "goalposts", "min": 0, "max": 10000},
        },
        "wrong_exit": {
            "label": "错退率",
            "expr": "z",
            "direction": "lower",
            "score": {"method": "table", "rows": [[0, 0.02, 1.0], [0.02, None, 0.0]]},
        },
    },
    tree=[
        {"id": "results", "label": "减贫成效", "points": 60, "children": ["growth", "income"]},
        {"id": "accuracy", "label": "精准识别", "points": 40, "children": ["wrong_exit"]},
    ],
    flags={"wrong_exit_high": {"when": "wrong_exit >= 0.02", "label": "错退率超标"}},
    adjustments={"items": [{"id": "model", "label": "典型经验", "kind": "bonus", "points": 3,
                            "when": "x >= plan"}]},
    vetoes=[{"id": "fraud", "when": "wrong_exit >= 0.1", "grade": "较差", "reason": "数字脱贫"}],
    grading={"bands": [[90, "好"], [80, "较好"], [70, "一般"], [None, "较差"]]},
    outcomes=[
        {"when": "grade = '好'", "actions": [{"fiscal_reward": {"amount_yuan": 400000000}}]},
        {"when": "wrong_exit_high", "actions": [{"rectify": {"days": 90}}]},
    ],
)  # fmt: skip
FACTS = {
    "A": {"x": 0.5, "y": 8000, "z": 0.01},  # 30×0.5/... see the expectations below
    "B": {"x": 0.3, "y": 5000, "z": 0.05},
}
ATTRIBUTES = {"A": {"plan": 0.5}, "B": {"plan": 0.6}}
# A: growth 0.5/0.5 = 1 → 30; income 0.8 → 24; wrong_exit 1.0 → 40; base 94, bonus 3 → 97 好
# B: growth 0.3/0.6 = 0.5 → 15; income 0.5 → 15; wrong_exit 0 → 0; base 30 → 较差


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outputs")
    case = write_facts_case(folder / "case", SCHEME, FACTS, ATTRIBUTES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAOHE_LANG", "en")
        case.assess(folder / "out")
    return folder / "out"


def read_results(out) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_results_csv_columns_and_values(out):
    rows = read_results(out)
    assert list(rows[0]) == [
        "unit", "name", "status", "completeness", "score", "grade", "rank", "base_score", "bonus",
        "deduction", "vetoed", "results", "accuracy", "growth", "income", "wrong_exit",
        "growth.value", "income.value", "wrong_exit.value", "wrong_exit_high", "outcomes",
        "status_reasons", "notes",
    ]  # fmt: skip
    a, b = rows
    assert (a["unit"], a["score"], a["grade"], a["rank"]) == ("A", "97.0", "好", "1")
    assert (a["status"], a["completeness"], a["status_reasons"]) == ("graded", "1.0", "")
    assert (a["base_score"], a["bonus"], a["results"], a["accuracy"]) == (
        "94.0",
        "3.0",
        "54.0",
        "40.0",
    )
    assert (a["growth"], a["income"], a["wrong_exit"]) == ("30.0", "24.0", "40.0")
    assert a["outcomes"] == "财政奖励（amount_yuan=400000000）"
    assert (b["score"], b["grade"], b["rank"], b["vetoed"]) == ("30.0", "较差", "2", "false")
    assert (b["wrong_exit_high"], b["outcomes"]) == ("true", "限期整改（days=90）")


def test_results_parquet_is_the_same_table(out):
    table = pq.read_table(out / "results.parquet").to_pylist()
    rows = read_results(out)
    assert [r["unit"] for r in table] == [r["unit"] for r in rows]
    assert table[0]["score"] == 97.0 and table[0]["rank"] == 1 and table[0]["vetoed"] is False
    assert list(table[0]) == list(rows[0])


def test_results_xlsx_has_chinese_headers(out):
    book = openpyxl.load_workbook(out / "results.xlsx")
    sheet = book["考核结果"]
    header = [cell.value for cell in sheet[1]]
    assert header[:7] == ["代码", "名称", "评定状态", "数据完整度", "总分", "等次", "排名"]
    assert {"减贫成效", "精准识别", "增长", "收入", "错退率", "错退率超标"} <= set(header)
    assert [cell.value for cell in sheet[2]][:6] == ["A", "县A", "graded", 1, 97, "好"]
    assert book["说明"]["B1"].value == "测试办法"


def test_explain_json_gives_every_number_behind_a_grade(out):
    explained = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    assert explained["grades"] == ["好", "较好", "一般", "较差"]
    a = explained["units"]["A"]
    assert a["measures"] == {"x": 0.5, "y": 8000.0, "z": 0.01}
    assert a["attributes"] == {"plan": 0.5}
    growth = a["indicators"]["growth"]
    assert (growth["value"], growth["target"], growth["normalized"]) == (0.5, 0.5, 1.0)
    assert (growth["points"], growth["max_points"]) == (30.0, 30.0)
    assert growth["rule"] == {"method": "target", "direction": "higher", "cap": 1.0, "floor": 0.0}
    assert a["indicators"]["income"]["unit_of_measure"] == "元"
    assert a["nodes"]["results"] == {
        "label": "减贫成效",
        "aggregate": "arithmetic",
        "missing": "withhold",
        "reweight_at_most": None,
        "value": 0.9,
        "points": 54.0,
        "max_points": 60.0,
        "nominal_points": 60.0,
        "children": ["growth", "income"],
    }
    assert a["adjustments"] == [
        {"id": "model", "label": "典型经验", "kind": "bonus", "points": 3.0}
    ]
    assert a["grade_rule"] == "score >= 90 → 好"
    assert a["outcomes"] == [
        {"action": "fiscal_reward", "amount_yuan": 400000000, "label": "财政奖励"}
    ]
    b = explained["units"]["B"]
    assert b["flags"] == ["wrong_exit_high"]
    assert b["vetoes"] == []  # 0.05 < 0.1
    assert b["grade_rule"] == "otherwise → 较差"


def test_explain_json_ranks_are_whole_numbers(out):
    explained = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    assert explained["units"]["A"]["rank"] == 1
    assert isinstance(explained["units"]["B"]["rank"], int)


def test_a_csv_saved_by_excel_with_a_byte_order_mark_is_read(tmp_path):
    case = write_facts_case(tmp_path / "case", SCHEME, FACTS, ATTRIBUTES)
    for name in ("units.csv", "facts.csv"):
        path = case.data / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = case.assess()
    assert list(result.state.values["score"]) == [97.0, 30.0]


def test_a_gbk_csv_is_read_as_the_same_text(tmp_path, kaohe):
    """Issue 13: what Chinese office software saves (GBK/GB18030) is read, not refused."""
    case = write_facts_case(tmp_path / "case", SCHEME, FACTS, ATTRIBUTES)
    utf8 = case.assess()
    for name in ("units.csv", "facts.csv"):
        path = case.data / name
        path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    run = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "out"
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert list(utf8.state.values["score"]) == [97.0, 30.0]
    results = (tmp_path / "out" / "results.csv").read_text(encoding="utf-8")
    assert "97" in results and "30" in results


def test_an_estimated_indicator_carries_its_interval_into_explain_json(tmp_path):
    scheme = facts_scheme(
        indicators={
            "rate": {
                "expr": "x",
                "estimated": True,
                "interval": {"low": "x - z", "high": "x + z", "level": 0.9},
                "score": {"method": "goalposts", "min": 0, "max": 1},
            }
        },
        tree=[{"id": "d", "points": 100, "children": ["rate"]}],
    )
    case = write_facts_case(tmp_path, scheme, {"A": {"x": 0.5, "y": 1, "z": 0.25}})
    result = case.assess(out=tmp_path / "out")
    explained = json.loads((tmp_path / "out" / "explain.json").read_text(encoding="utf-8"))
    assert explained["units"]["A"]["indicators"]["rate"]["interval"] == {
        "low": 0.25,
        "high": 0.75,
        "level": 0.9,
    }
    low, high = result.state.intervals["rate"]
    assert (low[0], high[0]) == (0.25, 0.75)
