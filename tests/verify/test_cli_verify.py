"""End to end through the real command line: sample, assign, estimates, report — and a scheme that
reads the derived estimates file as an ordinary source through ``kaohe assess``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import kaohe.cli.quality  # noqa: F401  (registers the commands even before cli/__init__ lists them)
import kaohe.cli.verify  # noqa: F401
from kaohe.cli import app
from kaohe.verify.estimates import confidence_intervals, stratified_proportions

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, [*map(str, args)])
    return result


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_sample_draw_size_and_assign(demo_dir, tmp_path):
    frame = demo_dir / "households.parquet"
    plan = tmp_path / "plan.csv"
    args = ["sample", "draw", "--frame", frame, "--out", plan, "--seed", 2019, "--design",
            "stratified", "--stratum", "unit", "--margin", "0.1", "--allocation", "required",
            "--min-share", "0.1"]  # fmt: skip
    result = run(*args)
    assert result.exit_code == 0, result.output
    first = plan.read_bytes()
    assert run(*args).exit_code == 0 and plan.read_bytes() == first  # same seed, same plan
    rows = read_csv(plan)
    described = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert len(rows) == described["sample_size"]
    per_stratum = {s["stratum"]: s for s in described["strata"]}
    for s in per_stratum.values():
        assert s["sample"] >= min(s["population"], -(-s["population"] // 10))
    assert {r["unit"] for r in rows} == set(per_stratum)

    result = run("sample", "size", "--margin", "0.05", "--population", "1000")
    assert result.exit_code == 0 and "n = 278" in result.output

    teams = tmp_path / "teams.csv"
    units = read_csv(demo_dir / "units.csv")
    provinces = [u["unit"] for u in units if u["level"] == "province"]
    teams.write_text(
        "team,province\n" + "".join(f"T{p},{p}\n" for p in provinces), encoding="utf-8"
    )
    out = tmp_path / "assignment.csv"
    result = run("sample", "assign", "--plan", plan, "--teams", teams, "--data", demo_dir,
                 "--seed", 7, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assigned = read_csv(out)
    assert {a["unit"] for a in assigned} == set(per_stratum)
    assert all(a["province"] != a["team_province"] for a in assigned)


def test_estimates_file_per_unit_matches_the_estimator(demo_dir, tmp_path):
    out = tmp_path / "verification_estimates.csv"
    result = run("verify", "estimates", "--data", demo_dir, "--out", out)
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    header = list(rows[0])
    assert header[:5] == ["unit", "name", "level", "period", "n_checked"]
    for column in ("wrong_exit_rate", "wrong_exit_low", "wrong_exit_high", "wrong_exit_verdict",
                   "omission_rate", "recognition_rate", "incidence_rate", "incidence_verdict"):  # fmt: skip
        assert column in header
    levels = {r["level"] for r in rows}
    assert levels == {"nation", "province", "county"}
    # Recompute one province's wrong-exit estimate independently from the raw file.
    province = next(r for r in rows if r["level"] == "province")
    raw = duckdb.sql(
        "SELECT stratum, CAST(weight AS DOUBLE) AS weight, registered = 'true' AND exited = 'true' "
        f"AS d, verdict = '错退' AS y, unit LIKE '{province['unit'][:2]}%' AS mine "
        f"FROM read_csv('{demo_dir / 'field_checks.csv'}', all_varchar = true)"
    ).fetchnumpy()
    import numpy as np

    group = np.where(raw["mine"], 0, 1)
    est = stratified_proportions(
        group, 1, raw["stratum"].astype(str), raw["weight"], raw["d"], raw["y"]
    )
    ci = confidence_intervals(est)
    assert float(province["wrong_exit_rate"]) == pytest.approx(est.rate[0])
    assert float(province["wrong_exit_low"]) == pytest.approx(ci.wilson_low[0])
    assert float(province["wrong_exit_high"]) == pytest.approx(ci.wilson_high[0])
    assert int(province["n_checked"]) == int(raw["mine"].sum())
    assert {r["wrong_exit_verdict"] for r in rows} <= {"达标", "不达标", "不确定", "无样本"}


SCHEME = """
id: verification-source-check
title: 读取核查估计的测试办法
version: "1"
policy_source: test
assesses: {kind: region, level: province}
sources:
  verification_estimates:
    columns: {level: text, wrong_exit_rate: number, wrong_exit_high: number,
              wrong_exit_verdict: text, recognition_rate: number}
  quality_findings:
    columns: {rule: text, severity: text, count: integer}
measures:
  wrong_exit: {source: verification_estimates, expr: "max(wrong_exit_rate) filter (where level = 'province')"}
  wrong_exit_failed: {source: verification_estimates, expr: "count(*) filter (where level = 'province' and wrong_exit_verdict = '不达标')"}
  recognition_share: {source: verification_estimates, expr: "max(recognition_rate) filter (where level = 'province')"}
  serious_findings: {source: quality_findings, expr: "count(*) filter (where severity = '严重')"}
indicators:
  wrong_exit_rate:
    expr: wrong_exit
    direction: lower
    score: {method: table, rows: [[null, 0.01, 1.0], [0.01, 0.02, 0.6], [0.02, null, 0.0]]}
  recognition:
    expr: recognition_share
    score: {method: goalposts, min: 0.8, max: 1.0}
flags:
  wrong_exit_fails: {when: "wrong_exit_failed > 0"}
tree:
  - {id: identification, points: 50, children: [wrong_exit_rate]}
  - {id: assistance, points: 50, children: [recognition]}
grading: {method: bands, bands: [[80, 好], [null, 一般]]}
"""


def test_a_scheme_reads_estimates_and_findings_as_ordinary_sources(demo_copy, tmp_path):
    data = demo_copy  # a writable copy of the session's demo data set
    assert (
        run(
            "verify", "estimates", "--data", data, "--out", data / "verification_estimates.csv"
        ).exit_code
        == 0
    )
    result = run("quality", "check", "--data", data, "--out", data / "quality_findings.csv")
    assert result.exit_code == 0, result.output
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    out = tmp_path / "run"
    result = run("assess", "--scheme", scheme, "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    explain = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    estimates = {
        r["unit"]: r
        for r in read_csv(data / "verification_estimates.csv")
        if r["level"] == "province"
    }
    assert set(explain["units"]) == set(estimates)
    for unit, detail in explain["units"].items():
        # explain.json rounds measures to six decimals.
        assert detail["measures"]["wrong_exit"] == pytest.approx(
            float(estimates[unit]["wrong_exit_rate"]), abs=1e-6
        )
        failed = estimates[unit]["wrong_exit_verdict"] == "不达标"
        assert detail["measures"]["wrong_exit_failed"] == int(failed)


def test_report_directory_has_tables_json_and_manifest(demo_copy, tmp_path):
    data = demo_copy  # a writable copy of the session's demo data set
    out = tmp_path / "report"
    result = run(
        "verify", "report", "--data", data, "--out", out, "--level", "province", "--sources"
    )
    assert result.exit_code == 0, result.output
    # The derived sources in the data directory are the report's tables.
    for name in ("verification_estimates", "quality_findings"):
        assert (data / f"{name}.csv").read_bytes() == (out / f"{name}.csv").read_bytes()
    names = {p.name for p in out.iterdir()}
    for table in ("estimates", "ratios", "reconciliation", "eligibility", "quality_findings",
                  "verification_estimates"):  # fmt: skip
        assert {f"{table}.csv", f"{table}.json"} <= names
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["field_checks"]["rows"] > 0
    assert set(manifest["outputs"]) == names - {"manifest.json"}
    estimates = json.loads((out / "estimates.json").read_text(encoding="utf-8"))
    assert {e["level"] for e in estimates} == {"province"}
    assert all(e["interval"] == "wilson" for e in estimates)
    verdicts = {e["verdict"] for e in estimates}
    assert verdicts <= {"达标", "不达标", "不确定", "无样本"} and len(verdicts) > 1


def test_chinese_messages_and_bad_data_exit_code_2(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "zh")
    data = demo_copy  # a writable copy of the session's demo data set
    lines = (data / "field_checks.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[9] = "0"  # a design weight of 0
    lines[3] = ",".join(fields)
    (data / "field_checks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "estimates", "--data", data, "--out", tmp_path / "e.csv")
    assert result.exit_code == 2
    flat = "".join(result.output.split())  # the console wraps long lines
    assert "field_checks.csv:第4行：列weight的设计权数'0'应为正数" in flat
    assert not (tmp_path / "e.csv").exists()


def test_eligibility_and_reconcile_commands(demo_dir, tmp_path):
    out = tmp_path / "eligibility.csv"
    flagged = tmp_path / "flagged.parquet"
    result = run("verify", "eligibility", "--data", demo_dir, "--out", out, "--flagged", flagged)
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    nation = {r["rule"]: int(r["flagged"]) for r in rows if r["level"] == "nation"}
    # The flagged households file holds exactly the households counted at the top.
    per_rule = duckdb.sql(
        f"SELECT count(*) FILTER (WHERE exited_below_line), "
        f"count(*) FILTER (WHERE exited_without_guarantees), "
        f"count(*) FILTER (WHERE registered_well_above_line) FROM '{flagged}'"
    ).fetchall()[0]
    assert per_rule == (
        nation["exited_below_line"],
        nation["exited_without_guarantees"],
        nation["registered_well_above_line"],
    )
    # … and the count of exited households below the line is the file's own.
    direct = duckdb.sql(
        f"SELECT count(*) FROM '{demo_dir / 'households.parquet'}' "
        "WHERE status = '已脱贫户' AND income_per_capita < 3747"
    ).fetchall()[0][0]
    assert nation["exited_below_line"] == direct

    out = tmp_path / "reconcile.csv"
    result = run("verify", "reconcile", "--data", demo_dir, "--out", out, "--level", "province")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert {r["item"] for r in rows} == {"exits", "income"}
    assert {r["direction"] for r in rows} <= {"多报", "少报", "一致"}


def test_field_checks_from_an_office_read_like_our_own(demo_copy, demo_dir, tmp_path):
    """Issue 13: the field checks as a team sends them — GBK, the columns' Chinese labels as
    headers — give the same estimates as the file in our layout."""
    from kaohe.data.schemas import load_schema

    ours = tmp_path / "ours.csv"
    assert run("verify", "estimates", "--data", demo_dir, "--out", ours).exit_code == 0
    columns = load_schema("field_checks").model.columns
    source = demo_copy / "field_checks.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header = [columns[c].label if c in columns and columns[c].label else c
              for c in lines[0].strip().split(",")]  # fmt: skip
    source.write_bytes((",".join(header) + "\n" + "".join(lines[1:])).encode("gb18030"))
    theirs = tmp_path / "theirs.csv"
    result = run("verify", "estimates", "--data", demo_copy, "--out", theirs)
    assert result.exit_code == 0, result.output
    assert theirs.read_bytes() == ours.read_bytes()


def test_a_sampling_frame_exported_as_a_workbook(demo_dir, tmp_path):
    """Issue 13: the registry's household list as an office sends it (Excel, Chinese headers)
    draws the same sample as our Parquet file."""
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    from kaohe.data.schemas import load_schema

    table = pq.read_table(demo_dir / "households.parquet").slice(0, 400)
    ours = tmp_path / "frame.parquet"
    pq.write_table(table, ours)
    labels = load_schema("households").model.columns
    book = Workbook()
    sheet = book.active
    sheet.append(["2019年建档立卡户名单"])
    sheet.append([labels[c].label if c in labels else c for c in table.column_names])
    for row in table.to_pylist():
        sheet.append([str(v).lower() if isinstance(v, bool) else v for v in row.values()])
    workbook = tmp_path / "frame.xlsx"
    book.save(workbook)
    plans = []
    for frame in (ours, workbook):
        plan = tmp_path / f"plan-{frame.suffix[1:]}.csv"
        args = ["sample", "draw", "--frame", frame, "--out", plan, "--seed", 7, "--design",
                "stratified", "--stratum", "unit", "--margin", "0.2"]  # fmt: skip
        result = run(*args)
        assert result.exit_code == 0, result.output
        plans.append([r["household_id"] for r in read_csv(plan)])
    assert plans[0] == plans[1] and plans[0]
