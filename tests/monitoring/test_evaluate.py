"""Monitoring evaluation (monitoring/evaluate.py) on households whose outcome is known by hand.

As of 2021-12-31 with the bundled rules: national line 4,000; monitoring line 1.5 × 4,000 =
6,000 in 河北 and 6,300 in 贵州 (a provincial row); large expense ≥ 50 % of the household's
yearly income; events count within 12 months; risk is eliminated after 6 months above the line.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from tests.support.monitoring import household, monitoring_case, quarterly, write_case

from kaohe.errors import DataError
from kaohe.monitoring import evaluate_monitoring, load_rules

AS_OF = dt.date(2021, 12, 31)
LABOUR = "有劳动能力（无劳动能力户持续监测）"


def rows(path) -> dict[str, dict]:
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    return {r[1]: dict(zip(relation.columns, r, strict=True)) for r in relation.fetchall()}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    data = monitoring_case(tmp_path_factory.mktemp("monitoring"))
    run = evaluate_monitoring(data, load_rules(), AS_OF)
    return run, rows(run.output)


def test_groups_follow_the_rules_and_the_provincial_lines(judged):
    _, by_id = judged
    groups = {hid: row["group"] for hid, row in by_id.items()}
    assert groups == {
        "A1": None,
        "A2": "脱贫不稳定户",  # 5,800 < 6,000
        "A3": "边缘易致贫户",  # 5,500 < 6,000
        "A4": "突发严重困难户",  # 10,000 ≥ 0.5 × 9,000 × 2
        "A5": None,
        "A6": None,
        "A7": "脱贫不稳定户",  # 3,800 < 6,300
        "A8": "边缘易致贫户",  # 6,100 < 6,300 in 贵州 …
        "A9": None,  # … but not under 6,000 in 河北
        "A10": "脱贫不稳定户",  # drinking water not secured
        "A11": None,  # its job loss is older than the 12-month window
    }
    assert by_id["A8"]["monitoring_line"] == 6300 and by_id["A9"]["monitoring_line"] == 6000


def test_identification_timeliness_and_assistance(judged):
    _, by_id = judged
    assert by_id["A4"]["days_to_identification"] == 12  # 1 May → 13 May
    assert by_id["A2"]["days_to_identification"] is None  # identified for income, no event
    assert (by_id["A4"]["assistance_measures"], by_id["A4"]["assistance"]) == (
        2,
        "临时救助、医疗救助",
    )
    assert by_id["A2"]["has_assistance"] and not by_id["A7"]["has_assistance"]
    assert by_id["A8"]["group_matches"] and not by_id["A3"]["identified"]
    assert by_id["A11"]["event_expense"] == 0 and by_id["A11"]["income_loss"] == 0


def test_elimination_needs_every_condition(judged):
    _, by_id = judged
    assert by_id["A5"]["months_above_line"] == 9  # above since 2021-03-31
    assert by_id["A5"]["eliminated"] and not by_id["A5"]["wrongly_eliminated"]
    assert by_id["A6"]["wrongly_eliminated"] and not by_id["A6"]["eliminated"]
    assert by_id["A6"]["elimination_blockers"] == LABOUR  # no labour capacity: stays monitored
    assert by_id["A2"]["months_above_line"] == 0
    assert "收入持续稳定超过监测线" in by_id["A2"]["elimination_blockers"]


def test_return_to_poverty(judged):
    _, by_id = judged
    returned = {hid for hid, row in by_id.items() if row["returned_to_poverty"]}
    assert returned == {"A7", "A10"}  # below the national line; a guarantee not held


def test_summary_by_province(judged):
    run, _ = judged
    hebei, guizhou = run.provinces
    assert (hebei.province, hebei.at_risk, hebei.identified_at_risk) == ("130000", 4, 2)
    assert (guizhou.at_risk, guizhou.identified_at_risk, guizhou.returned) == (2, 2, 1)
    assert hebei.wrongly_eliminated == 1 and hebei.eliminated == 1
    assert run.period == "2021" and run.rows == 11


def test_the_output_is_replaced_whole_and_is_deterministic(tmp_path):
    data = monitoring_case(tmp_path)
    first = evaluate_monitoring(data, load_rules(), AS_OF).output.read_bytes()
    second = evaluate_monitoring(data, load_rules(), AS_OF).output.read_bytes()
    assert first == second
    assert not list(data.glob(".*partial"))


def test_duplicate_households_are_reported_at_their_lines(tmp_path):
    data = write_case(
        tmp_path,
        households=[
            household("130100", "A1"),
            household("130100", "A2"),
            household("130100", "A1"),
        ],
        checks=quarterly("130100", "A1", [7000] * 5),
    )
    with pytest.raises(DataError) as caught:
        evaluate_monitoring(data, load_rules(), AS_OF)
    assert "monitoring_households.csv:line 4: household A1 appears again (first at " in str(
        caught.value
    )


def test_records_of_unknown_households_are_refused(tmp_path):
    data = write_case(
        tmp_path,
        households=[household("130100", "A1")],
        checks=quarterly("130100", "A1", [7000] * 5),
        records=[["130100", "A1", "2021-01-01", "脱贫不稳定户", None],
                 ["130100", "ZZ", "2021-01-01", "脱贫不稳定户", None]],
    )  # fmt: skip
    with pytest.raises(DataError) as caught:
        evaluate_monitoring(data, load_rules(), AS_OF)
    assert "monitoring_records.csv:line 3: household ZZ is not in monitoring_households" in str(
        caught.value
    )


def test_bad_dates_name_file_line_and_column(tmp_path):
    data = write_case(
        tmp_path,
        households=[household("130100", "A1")],
        checks=[["130100", "A1", "2021-13-01", 7000]],
    )
    with pytest.raises(DataError) as caught:
        evaluate_monitoring(data, load_rules(), AS_OF)
    message = str(caught.value)
    assert "income_checks.csv:line 2" in message and "check_date" in message
