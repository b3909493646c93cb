"""Bad data through ``kaohe assess``: exit 2, a message naming the file, line and column, and no
output written (an existing output directory is left as it was)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.engine import facts_scheme, write_csv, write_facts_case

BASE = {"base": {"expr": "x", "score": {"method": "goalposts", "min": 0, "max": 100}}}
FACTS = {"A": {"x": 10, "y": 1}, "B": {"x": 20, "y": 2}, "C": {"x": 30, "y": 3}}


@pytest.fixture
def case(tmp_path):
    return write_facts_case(tmp_path / "case", facts_scheme(indicators=BASE), FACTS)


def assess_fails(kaohe, case, tmp_path: Path, *extra: str) -> str:
    """Run assess twice — into a new OUT and over an existing one — and check nothing is written."""
    out = tmp_path / "out"
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", out, *extra)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert not out.exists()
    existing = tmp_path / "previous"
    existing.mkdir()  # an earlier run (it has a manifest), which a good run would replace
    (existing / "results.csv").write_text("unit,score\nOLD,1\n", encoding="utf-8")
    (existing / "manifest.json").write_text("{}\n", encoding="utf-8")
    again = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", existing, *extra)
    assert again.exit_code == 2
    assert again.stderr == run.stderr
    assert sorted(p.name for p in existing.iterdir()) == ["manifest.json", "results.csv"]
    assert (existing / "results.csv").read_text(encoding="utf-8") == "unit,score\nOLD,1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "previous"]  # no staging left
    return run.stderr


def rewrite(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, (old, content)
    path.write_text(content.replace(old, new, 1), encoding="utf-8")


def test_the_case_is_good_to_start_with(case, tmp_path, kaohe):
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "out")
    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "out" / "results.csv").is_file()


def test_missing_data_directory(case, tmp_path, kaohe):
    case.data = tmp_path / "nowhere"
    message = assess_fails(kaohe, case, tmp_path)
    assert f"the data directory {case.data} does not exist" in message


def test_missing_units_csv(case, tmp_path, kaohe):
    (case.data / "units.csv").unlink()
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.data}: units.csv is missing" in message
    assert "unit, name, parent, level" in message


def test_missing_source_file(case, tmp_path, kaohe):
    (case.data / "facts.csv").unlink()
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.data}: no file for source facts (facts.csv, .parquet or .xlsx" in message


def test_missing_column_in_a_source(case, tmp_path, kaohe):
    rewrite(case.data / "facts.csv", "unit,x,y,z", "unit,x,why,z")
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.data / 'facts.csv'}: missing columns y; the file has unit, x, why, z" in message


def test_missing_column_in_units(case, tmp_path, kaohe):
    rewrite(case.data / "units.csv", "unit,name,parent,level", "unit,name,parent,lvl")
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.data / 'units.csv'}: missing columns level" in message


def test_a_word_in_a_number_column(case, tmp_path, kaohe):
    # facts.csv: header, then A, B, C — B is on line 3
    rewrite(case.data / "facts.csv", "B,20,2", "B,twenty,2")
    message = assess_fails(kaohe, case, tmp_path)
    assert "facts.csv:line 3: column x: value 'twenty' is not a number" in message
    assert "Correct them to a number, or leave empty for missing." in message


def test_every_bad_value_is_counted_and_the_first_ones_shown(case, tmp_path, kaohe):
    rows = [(f"U{i}", "bad" if i % 2 else i, 1, 1) for i in range(20)]
    write_csv(case.data / "facts.csv", ["unit", "x", "y", "z"], rows)
    write_csv(
        case.data / "units.csv",
        ["unit", "name", "parent", "level"],
        [("P", "省", "", "province"), *((f"U{i}", f"县{i}", "P", "county") for i in range(20))],
    )
    message = assess_fails(kaohe, case, tmp_path)
    assert "facts.csv:line 3: column x: value 'bad' is not a number" in message
    assert "(10 rows fail in column x; the first 5 are shown)" in message


def test_a_bad_attribute_value_in_units(tmp_path, kaohe):
    scheme = facts_scheme(indicators=BASE, unit_attributes={"plan": {"type": "number"}})
    case = write_facts_case(
        tmp_path / "case", scheme, FACTS, attributes={"A": {"plan": 1}, "B": {"plan": "lots"}}
    )
    message = assess_fails(kaohe, case, tmp_path)
    # units.csv: header, P, A, B — B is on line 4
    assert "units.csv:line 4: column plan: value 'lots' is not a number" in message


def test_unknown_unit_in_a_source(case, tmp_path, kaohe):
    rewrite(case.data / "facts.csv", "C,30", "X9,30")
    message = assess_fails(kaohe, case, tmp_path)
    assert "facts.csv:line 4: column unit: unit 'X9' is not in units.csv" in message


def test_duplicate_unit(case, tmp_path, kaohe):
    rewrite(case.data / "units.csv", "C,县C,P,county", "B,县C,P,county")
    message = assess_fails(kaohe, case, tmp_path)
    assert "units.csv:line 5: unit B appears again (first at units.csv:line 4)" in message


def test_unknown_parent(case, tmp_path, kaohe):
    rewrite(case.data / "units.csv", "B,县B,P,county", "B,县B,Q,county")
    message = assess_fails(kaohe, case, tmp_path)
    assert "units.csv:line 4: parent Q is not in units.csv" in message


def test_parent_cycle(case, tmp_path, kaohe):
    content = (case.data / "units.csv").read_text(encoding="utf-8")
    content = content.replace("P,省,,province", "P,省,C,province")
    (case.data / "units.csv").write_text(content, encoding="utf-8")
    message = assess_fails(kaohe, case, tmp_path)
    assert "units.csv:line 2: the parent chain loops: P → C → P" in message


def test_several_periods_without_period(case, tmp_path, kaohe):
    write_csv(
        case.data / "facts.csv",
        ["unit", "period", "x", "y", "z"],
        [("A", 2020, 1, 1, 1), ("A", 2021, 2, 2, 2), ("B", 2021, 3, 3, 3)],
    )
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.data / 'facts.csv'}: holds several periods (column period)" in message
    assert "choose one with --period" in message
    ok = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "ok",
        "--period", "2021",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stderr


def test_a_period_with_no_rows_is_an_error(case, tmp_path, kaohe):
    write_csv(
        case.data / "facts.csv",
        ["unit", "period", "x", "y", "z"],
        [("A", 2020, 1, 1, 1), ("B", 2021, 3, 3, 3)],
    )
    # a typo in --period must not give a run where every measure is empty
    message = assess_fails(kaohe, case, tmp_path, "--period", "2201")
    assert "facts.csv" in message and "2201" in message


def test_no_units_at_the_assessed_level(case, tmp_path, kaohe):
    content = (case.data / "units.csv").read_text(encoding="utf-8").replace(",county", ",township")
    (case.data / "units.csv").write_text(content, encoding="utf-8")
    message = assess_fails(kaohe, case, tmp_path)
    assert "no units of kind region at level county" in message


def test_a_bad_scheme_is_reported_before_any_data_is_read(case, tmp_path, kaohe):
    rewrite(case.scheme, "expr: x\n", "expr: xx\n")
    (case.data / "units.csv").unlink()  # never reached
    message = assess_fails(kaohe, case, tmp_path)
    assert f"{case.scheme}:" in message
    assert "unknown name xx (did you mean x?)" in message


def test_messages_in_chinese_by_default(case, tmp_path, kaohe):
    rewrite(case.data / "facts.csv", "B,20,2", "B,二十,2")
    run = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "o", lang=None
    )
    assert run.exit_code == 2
    assert "错误: facts.csv:第 3 行：列 x 的值 '二十' 不是数值" in run.stderr
