"""The risk-elimination procedure (风险消除程序, monitoring/elimination_steps.py) on households whose
findings are known by hand.

Bundled rules: household visit → village review and public notice (at least 5 days, counted
inclusively) → township review → county approval. Every household below left poverty, has
income stably above the line and its elimination recorded on 2021-10-01; what differs is the
record of its steps.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from tests.support.files import write_csv
from tests.support.monitoring import household, quarterly, write_case
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.errors import DataError
from kaohe.monitoring import evaluate_monitoring, load_rules

AS_OF = dt.date(2021, 12, 31)
STEP_COLUMNS = ["unit", "household_id", "step", "step_date", "evidence", "notice_end"]


def steps(hid, visit="2021-09-01", village="2021-09-05", township="2021-09-15",
          county="2021-09-20", notice_end="2021-09-11", evidence="记录"):  # fmt: skip
    """The four steps of household ``hid`` (a date of None leaves the step out)."""
    rows = [
        ["130100", hid, "household_visit", visit, f"{evidence}-1", None],
        ["130100", hid, "村级评议公示", village, f"{evidence}-2", notice_end],
        ["130100", hid, "township_review", township, f"{evidence}-3", None],
        ["130100", hid, "县级审定", county, f"{evidence}-4", None],
    ]
    return [row for row in rows if row[3] is not None]


def case(tmp_path, step_rows):
    ids = ["B1", "B2", "B3", "B4", "B5", "B6"]
    data = write_case(
        tmp_path / "data",
        households=[household("130100", hid) for hid in ids],
        checks=[row for hid in ids for row in quarterly("130100", hid, [5000, 6500, 6800, 7000, 7200])],
        records=[["130100", hid, "2021-01-10", "脱贫不稳定户", "2021-10-01"] for hid in ids],
    )  # fmt: skip
    write_csv(data / "elimination_steps.csv", STEP_COLUMNS, step_rows)
    return data


def judged(data) -> dict[str, dict]:
    run = evaluate_monitoring(data, load_rules(), AS_OF)
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{run.output}')")
    rows = {r[1]: dict(zip(relation.columns, r, strict=True)) for r in relation.fetchall()}
    return {"run": run, **rows}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    rows = [
        *steps("B1"),  # every step in order, with evidence, a 7-day notice
        *steps("B2", village=None),  # the village review and notice skipped
        *steps("B3", township="2021-09-03"),  # township review before the village review
        *[r if r[2] != "township_review" else [*r[:4], "", None] for r in steps("B4")],
        *steps("B5", notice_end="2021-09-07"),  # 5 to 7 September: 3 days < 5
        *steps("B6", county="2021-10-08"),  # approved after the elimination was recorded
    ]
    return judged(case(tmp_path_factory.mktemp("steps"), rows))


def test_a_household_with_every_step_has_no_finding(results):
    row = results["B1"]
    assert (row["elimination_step_findings"], row["elimination_irregular"]) == (0, False)
    assert row["elimination_step_problems"] is None


def test_a_skipped_village_review_is_a_finding_naming_it(results):
    row = results["B2"]
    assert (row["elimination_step_findings"], row["elimination_irregular"]) == (1, True)
    assert row["elimination_step_problems"] == "缺少“村级评议公示”"
    assert row["elimination_step_problems_en"] == "no village review and public notice"


def test_steps_out_of_order_by_their_dates(results):
    assert results["B3"]["elimination_step_problems"] == (
        "“乡镇审核”（2021-09-03）早于“村级评议公示”（2021-09-05）"
    )
    assert results["B6"]["elimination_step_problems"] == (
        "“县级审定”（2021-10-08）晚于风险消除标注日期（2021-10-01）"
    )


def test_a_step_without_evidence(results):
    assert results["B4"]["elimination_step_problems_en"] == "township review without evidence"


def test_a_public_notice_shorter_than_the_rules_minimum(results):
    # 5 to 7 September inclusive: 3 days; the rules ask for 5 (min_notice_days)
    assert results["B5"]["elimination_step_problems"] == "“村级评议公示”公示 3 天，少于规定的 5 天"
    assert results["B1"]["elimination_step_findings"] == 0  # 5 to 11 September: 7 days


def test_counted_per_province_and_listed(results):
    run = results["run"]
    assert [(p.province, p.irregular_eliminations) for p in run.provinces] == [("130000", 5)]
    assert [row[1] for row in run.irregular] == ["B2", "B3", "B4", "B5", "B6"]


def test_without_the_input_the_procedure_is_unknown(tmp_path):
    data = case(tmp_path, steps("B1"))
    (data / "elimination_steps.csv").unlink()
    rows = judged(data)
    assert rows["B1"]["elimination_irregular"] is None
    assert rows["run"].provinces[0].irregular_eliminations is None


def test_an_unknown_step_names_its_line(tmp_path):
    data = case(tmp_path, [*steps("B1"), ["130100", "B2", "乡镇公告", "2021-09-01", "x", None]])
    with pytest.raises(DataError, match=r"elimination_steps.csv:line 6, column step: '乡镇公告'"):
        evaluate_monitoring(data, load_rules(), AS_OF)


def test_the_command_line_shows_the_findings(tmp_path):
    data = case(tmp_path, [*steps("B1"), *steps("B2", village=None)])
    result = CliRunner().invoke(
        app, ["--lang", "en", "monitor", "run", "--data", str(data), "--as-of", "2021-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert "B2" in result.output and "no village review and public notice" in result.output
