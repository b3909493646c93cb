"""``kaohe monitor run`` end to end, and a scheme reading its output as an ordinary source."""

from __future__ import annotations

import csv
import datetime as dt
import textwrap

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.monitoring import household, quarterly, write_case
from tests.support.monitoring import monitoring_case as case
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.monitoring import evaluate_monitoring, load_rules

SCHEME = """
id: monitoring-test
title: 监测测试
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
sources:
  monitoring_results:
    columns: {at_risk: boolean, identified: boolean, days_to_identification: integer,
              returned_to_poverty: boolean, registry_status: text}
measures:
  at_risk: {source: monitoring_results, expr: "count(*) filter (where at_risk)"}
  covered: {source: monitoring_results, expr: "count(*) filter (where at_risk and identified)"}
  days: {source: monitoring_results, expr: "avg(days_to_identification)"}
  returned: {source: monitoring_results, expr: "count(*) filter (where returned_to_poverty)"}
  left: {source: monitoring_results, expr: "count(*) filter (where registry_status = '已脱贫户')"}
indicators:
  coverage: {expr: "covered / nullif(at_risk, 0)", score: {method: goalposts, min: 0, max: 1}}
  return_rate: {expr: "returned / nullif(left, 0)", direction: lower,
                score: {method: goalposts, min: 0, max: 1}}
tree: [coverage, return_rate]
grading: {bands: [[90, 好], [null, 差]]}
"""


def kaohe(*args):
    return CliRunner().invoke(app, ["--lang", "en", *args])


def test_monitor_run_then_assess_reads_the_results(tmp_path):
    data = case(tmp_path)
    result = kaohe("monitor", "run", "--data", str(data), "--as-of", "2021-12-31")
    assert result.exit_code == 0, result.output
    assert (data / "monitoring_results.parquet").is_file()
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(textwrap.dedent(SCHEME), encoding="utf-8")
    out = tmp_path / "run"
    result = kaohe("assess", "--scheme", str(scheme), "--data", str(data), "--out", str(out))
    assert result.exit_code == 0, result.output
    by_unit = {r["unit"]: r for r in csv.DictReader((out / "results.csv").open(encoding="utf-8"))}
    # 河北: at risk A2 A3 A4 A10, identified A2 A4; 已脱贫户 A1 A2 A5 A6 A10 A11, returned A10
    assert float(by_unit["130000"]["coverage.value"]) == 0.5
    assert float(by_unit["130000"]["return_rate.value"]) == round(1 / 6, 6)
    # 贵州: at risk A7 A8, both identified; 已脱贫户 A7, returned
    assert float(by_unit["520000"]["coverage.value"]) == 1.0
    assert float(by_unit["520000"]["return_rate.value"]) == 1.0


def test_monitor_run_needs_a_date(tmp_path):
    data = case(tmp_path)
    result = kaohe("monitor", "run", "--data", str(data))
    assert result.exit_code == 2 and "--as-of" in result.output
    result = kaohe("monitor", "run", "--data", str(data), "--as-of", "31/12/2021")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


households = st.lists(
    st.tuples(
        st.sampled_from(["已脱贫户", "一般农户"]),
        st.booleans(),  # labour capacity
        st.booleans(),  # guarantees hold
        st.lists(st.integers(2000, 12000), min_size=5, max_size=5),  # quarterly incomes
        st.one_of(st.none(), st.integers(0, 300)),  # identified on day … of 2021
        st.one_of(st.none(), st.integers(0, 300)),  # eliminated … days later
        st.one_of(st.none(), st.tuples(st.integers(0, 330), st.integers(0, 30000))),  # event
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=households)
def test_invariants_hold_for_any_households(tmp_path_factory, rows):
    """Whatever the households: an elimination counts only when every condition holds, the
    recorded and the judged elimination split exactly into eliminated / wrongly eliminated, only
    households that left poverty return to it, and days to identification are never negative."""
    start = dt.date(2021, 1, 1)
    hh, checks, events, records = [], [], [], []
    for i, (status, labour, ok, incomes, found, gone, event) in enumerate(rows):
        hid = f"H{i}"
        hh.append(household("130100", hid, status=status, labour=labour, ok=ok))
        checks += quarterly("130100", hid, incomes)
        if event is not None:
            day, expense = event
            events.append(["130100", hid, f"E{i}", "医疗支出", "卫生健康",
                           (start + dt.timedelta(days=day)).isoformat(), expense, 0, None])  # fmt: skip
        if found is not None:
            elim = start + dt.timedelta(days=found + gone) if gone is not None else None
            records.append(["130100", hid, (start + dt.timedelta(days=found)).isoformat(),
                            "脱贫不稳定户", elim.isoformat() if elim else None])  # fmt: skip
    data = write_case(tmp_path_factory.mktemp("prop"), hh, checks, events, records)
    run = evaluate_monitoring(data, load_rules(), dt.date(2021, 12, 31))
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{run.output}')")
    for row in relation.fetchall():
        r = dict(zip(relation.columns, row, strict=True))
        if r["eliminated"]:
            assert r["identified"] and r["labour_capacity"] and r["guarantees_ok"]
            assert r["months_above_line"] >= 6
        assert r["eliminated"] + r["wrongly_eliminated"] == r["elimination_recorded"]
        if r["returned_to_poverty"]:
            assert r["registry_status"] == "已脱贫户"
        if r["days_to_identification"] is not None:
            assert r["days_to_identification"] >= 0 and r["identified"]
        assert r["at_risk"] == (r["group"] is not None)
