"""``kaohe scheme compare``: the same data graded by an old and a new scheme, unit by unit."""

from __future__ import annotations

import csv

from tests.support.files import write_csv
from tests.support.scheme_versions import kaohe, write

SCHEME = """
id: {id}
title: 测试
version: "{version}"
policy_source: tests
assesses: {{kind: region, level: county}}
sources:
  facts: {{columns: {{x: number, y: number}}}}
measures:
  x: {{source: facts, expr: "max(x)"}}
  y: {{source: facts, expr: "max(y)"}}
indicators:
  xi: {{expr: x, score: {{method: goalposts, min: 0, max: 100}}}}
  yi: {{expr: y, score: {{method: goalposts, min: 0, max: 100}}}}
tree:
  - {{id: d1, points: {px}, children: [xi]}}
  - {{id: d2, points: {py}, children: [yi]}}
grading:
  bands: [[{cut}, 好], [50, 中], [null, 差]]
"""


def make_case(tmp_path):
    data = tmp_path / "data"
    write_csv(
        data / "units.csv",
        ["unit", "name", "parent", "level"],
        [["1", "甲县", "", "county"], ["2", "乙县", "", "county"], ["3", "丙县", "", "county"]],
    )
    # x, y per county: 甲 (90, 40), 乙 (60, 95), 丙 (30, 30)
    write_csv(
        data / "facts.csv",
        ["unit", "x", "y", "period"],
        [["1", 90, 40, "2019"], ["2", 60, 95, "2019"], ["3", 30, 30, "2019"], ["1", 0, 0, "2020"]],
    )
    old = write(tmp_path / "old.yaml", SCHEME.format(id="old", version="1", px=70, py=30, cut=75))
    new = write(tmp_path / "new.yaml", SCHEME.format(id="new", version="2", px=30, py=70, cut=80))
    return data, old, new


def test_compare_writes_both_runs_and_the_movement_of_each_unit(tmp_path):
    data, old, new = make_case(tmp_path)
    out = tmp_path / "out"
    result = kaohe(
        "scheme", "compare", "--old", str(old), "--new", str(new),
        "--data", str(data), "--period", "2019", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "old" / "results.csv").is_file() and (out / "new" / "explain.json").is_file()
    rows = list(csv.DictReader((out / "compare.csv").open(encoding="utf-8")))
    by_unit = {row["unit"]: row for row in rows}
    # old: 甲 0.7*90+0.3*40 = 75 (好), 乙 0.7*60+0.3*95 = 70.5 (中), 丙 30 (差)
    # new: 甲 0.3*90+0.7*40 = 55 (中), 乙 0.3*60+0.7*95 = 84.5 (好), 丙 30 (差)
    assert [r["unit"] for r in rows] == ["2", "1", "3"]  # new rank order
    assert (by_unit["1"]["old_score"], by_unit["1"]["new_score"]) == ("75.0", "55.0")
    assert (by_unit["1"]["old_grade"], by_unit["1"]["new_grade"]) == ("好", "中")
    assert (by_unit["1"]["tier_change"], by_unit["1"]["rank_change"]) == ("-1", "-1")
    assert by_unit["1"]["movement"] == "down"
    assert (by_unit["2"]["movement"], by_unit["2"]["rank_change"]) == ("up", "1")
    assert by_unit["2"]["score_change"] == "14.0"
    assert (by_unit["3"]["movement"], by_unit["3"]["tier_change"]) == ("same", "0")
    assert "up 1" in result.output and "down 1" in result.output


def test_compare_reports_a_missing_data_directory(tmp_path):
    _, old, new = make_case(tmp_path)
    result = kaohe(
        "scheme", "compare", "--old", str(old), "--new", str(new), "--data", str(tmp_path / "no"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "does not exist" in result.output
