"""Field-check files as offices have them (issue 11): no design weights, optional columns missing,
a typo in a verdict — through the real command line and data directories."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint
from tests.support.verify import field_check, household, write_csv, write_units
from typer.testing import CliRunner

import kaohe.cli.quality  # noqa: F401
import kaohe.cli.verify  # noqa: F401
from kaohe.cli import app
from kaohe.errors import DataError
from kaohe.verify.unit_tables import open_for_rules, verify_directory
from kaohe.verify.verification_rules import load_verification_rules

runner = CliRunner()
COUNTY, PROVINCE = "130224", "130000"


def run(*args):
    return runner.invoke(app, [*map(str, args)])


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def checks(events: int, n: int, drop: tuple[str, ...] = (), verdict: str = "错退") -> list[dict]:
    rows = []
    for i in range(n):
        row = field_check(COUNTY, f"H{i:03d}", verdict if i < events else "正确")
        for column in drop:
            row.pop(column)
        rows.append(row)
    return rows


def data_dir(tmp_path: Path, rows: list[dict], name: str = "data") -> Path:
    directory = tmp_path / name
    write_units(directory)
    write_csv(directory / "field_checks.csv", rows)
    return directory


def estimates(tmp_path: Path, directory: Path, *extra) -> tuple[object, dict[str, dict]]:
    out = tmp_path / f"{directory.name}-estimates.csv"
    result = run("verify", "estimates", "--data", directory, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return result, {r["level"]: r for r in read_csv(out)}


@pytest.mark.parametrize(
    ("events", "verdict"),
    # 错退率 < 2% from 50 exited households checked, no weights: the textbook Wilson interval.
    [(5, "不达标"), (1, "不确定"), (0, "不确定")],
)
def test_without_weights_the_estimates_are_a_simple_random_samples(tmp_path, events, verdict):
    directory = data_dir(tmp_path, checks(events, 50, drop=("weight", "stratum")))
    _, rows = estimates(tmp_path, directory)
    for level in ("county", "province", "nation"):
        row = rows[level]
        assert float(row["wrong_exit_rate"]) == events / 50
        low, high = proportion_confint(events, 50, alpha=0.05, method="wilson")
        assert abs(float(row["wrong_exit_low"]) - low) <= 1e-12
        assert abs(float(row["wrong_exit_high"]) - high) <= 1e-12
        assert float(row["wrong_exit_high"]) > float(row["wrong_exit_low"])  # never zero width
        assert row["wrong_exit_verdict"] == verdict
        assert (row["wrong_exit_n"], row["wrong_exit_events"]) == ("50", str(events))


def test_without_weights_clopper_pearson_and_the_long_table(tmp_path):
    directory = data_dir(tmp_path, checks(3, 40, drop=("weight",)))
    with open_for_rules(directory, None, load_verification_rules()) as inputs:
        judged = verify_directory(inputs, load_verification_rules(), ["county"])
    row = next(r for r in judged.estimates if r["estimate"] == "wrong_exit")
    expected = proportion_confint(3, 40, alpha=0.05, method="beta")
    assert abs(row["cp_low"] - expected[0]) <= 1e-12 and abs(row["cp_high"] - expected[1]) <= 1e-12
    assert row["design_effect"] == 1.0 and row["n_effective"] == 40.0
    assert row["se"] == pytest.approx((3 / 40 * 37 / 40 / 40) ** 0.5, abs=1e-15)


def test_equal_weights_of_one_are_still_a_census(tmp_path):
    # A weight of 1 says "selected with certainty": every household was checked, no error.
    rows = checks(1, 50)
    for row in rows:
        row["weight"] = 1.0
    _, result = estimates(tmp_path, data_dir(tmp_path, rows))
    assert result["county"]["wrong_exit_low"] == result["county"]["wrong_exit_high"] == "0.02"


def test_missing_satisfaction_columns_name_the_outputs_and_compute_the_rest(tmp_path):
    directory = data_dir(tmp_path, checks(0, 30, drop=("satisfied_team", "satisfied_cadre")))
    result, rows = estimates(tmp_path, directory)
    flat = " ".join(result.output.split())
    for column, output in (("satisfied_team", "team_satisfaction"),
                           ("satisfied_cadre", "cadre_satisfaction")):  # fmt: skip
        assert f"no column {column}" in flat and f"{output}_rate" in flat
        assert f"{output}_verdict" in flat
    county = rows["county"]
    assert county["team_satisfaction_rate"] == "" and county["cadre_satisfaction_verdict"] == ""
    assert county["recognition_rate"] == "1.0" and county["wrong_exit_verdict"] == "不确定"


def test_missing_column_message_is_chinese_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "zh")
    directory = data_dir(tmp_path, checks(0, 30, drop=("satisfied_team",)))
    result, _ = estimates(tmp_path, directory)
    flat = "".join(result.output.split())
    assert "field_checks.csv：没有列satisfied_team，估计“对驻村工作队满意度”未计算" in flat


def test_report_without_income_verified(tmp_path):
    directory = data_dir(tmp_path, checks(1, 30, drop=("income_verified",)))
    write_csv(
        directory / "households.csv",
        [household(COUNTY, f"H{i:03d}", 5000.0) for i in range(30)],
    )
    out = tmp_path / "report"
    result = run("verify", "report", "--data", directory, "--out", out, "--level", "province")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "no column income_verified" in flat and "reconciliation income" in flat
    assert "quality_findings: digit_heaping" in flat
    reconciliation = read_csv(out / "reconciliation.csv")
    assert {r["item"] for r in reconciliation} == {"exits"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {tuple(n["outputs"]) for n in manifest["notes"]} == {
        ("reconciliation income",),
        ("quality_findings: digit_heaping",),
    }
    assert all(n["columns"] == ["income_verified"] for n in manifest["notes"])


def test_reconcile_without_income_verified(tmp_path):
    directory = data_dir(tmp_path, checks(1, 30, drop=("income_verified",)))
    write_csv(
        directory / "households.csv",
        [household(COUNTY, f"H{i:03d}", 5000.0) for i in range(30)],
    )
    out = tmp_path / "reconcile.csv"
    result = run("verify", "reconcile", "--data", directory, "--out", out)
    assert result.exit_code == 0, result.output
    assert "reconciliation income" in " ".join(result.output.split())
    assert {r["item"] for r in read_csv(out)} == {"exits"}


def test_a_verdict_outside_the_allowed_list_is_an_error(tmp_path):
    rows = checks(0, 10)
    rows[3]["verdict"] = "错推"
    directory = data_dir(tmp_path, rows)
    out = tmp_path / "e.csv"
    result = run("verify", "estimates", "--data", directory, "--out", out)
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert "field_checks.csv:line 5: column verdict: value '错推' is not one of the allowed" in flat
    assert not out.exists()
    with pytest.raises(DataError, match="line 5: column verdict: value '错推'"):
        open_for_rules(directory, None, load_verification_rules())
    # The quality checks and the report read the same files and refuse the same way.
    assert run("verify", "report", "--data", directory, "--out", tmp_path / "r").exit_code == 2


def test_a_verdict_typo_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "zh")
    rows = checks(0, 10)
    rows[0]["verdict"] = "错推"
    result = run(
        "verify", "estimates", "--data", data_dir(tmp_path, rows), "--out", tmp_path / "e.csv"
    )
    assert result.exit_code == 2
    flat = "".join(result.output.split())
    assert (
        "field_checks.csv:第2行：列verdict的值'错推'不在允许的取值中（正确、错评、错退、漏评）"
        in flat
    )


def test_blank_verdicts_are_unanswered_not_errors(tmp_path):
    rows = checks(0, 10)
    rows[2]["verdict"] = ""
    _, result = estimates(tmp_path, data_dir(tmp_path, rows))
    assert result["county"]["identification_error_n"] == "9"


def test_clusters_without_weights_are_design_based_with_equal_weights(tmp_path):
    # A psu column but no weights: equal weights, no finite-population correction (the
    # population is unknown), the clustered variance — never a zero-width "census".
    rows = checks(4, 40, drop=("weight",))
    for i, row in enumerate(rows):
        row["psu"] = f"V{i // 5}"  # 8 villages of 5 households; the 4 events in the first
    directory = data_dir(tmp_path, rows)
    with open_for_rules(directory, None, load_verification_rules()) as inputs:
        judged = verify_directory(inputs, load_verification_rules(), ["county"])
    row = next(r for r in judged.estimates if r["estimate"] == "wrong_exit")
    assert row["rate"] == 0.1 and row["design_effect"] > 1
    assert row["n_effective"] == pytest.approx(40 / row["design_effect"])
    assert row["wilson_low"] < 0.1 < row["wilson_high"]
    textbook = proportion_confint(4, 40, alpha=0.05, method="wilson")
    assert row["wilson_high"] - row["wilson_low"] > textbook[1] - textbook[0]
