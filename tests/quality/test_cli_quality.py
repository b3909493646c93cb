"""``kaohe quality check`` end to end on the demo data set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import kaohe.cli.quality  # noqa: F401  (registers the commands)
from kaohe.cli import app

runner = CliRunner()


@pytest.fixture(scope="session")
def demo(demo_data) -> Path:
    """The session's demo data set (tests/conftest.py; read-only)."""
    return demo_data


def test_findings_file_and_its_json_twin(demo, tmp_path):
    out = tmp_path / "quality_findings.csv"
    result = runner.invoke(app, ["quality", "check", "--data", str(demo), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "unit", "name", "level", "period", "rule", "label", "severity", "count", "statistic",
        "p_value", "evidence",
    ]  # fmt: skip
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8")) == [
        {k: _typed(k, v) for k, v in row.items()} for row in rows
    ]
    rules = {r["rule"] for r in rows}
    # The demo injects invalid check digits and IDs copied from another county.
    assert {"invalid_resident_id", "duplicate_resident_id_across_counties"} <= rules
    assert {r["severity"] for r in rows} <= {"严重", "一般", "提示"}

    # Bunching is reported exactly where the exited households' incomes pile up just above the
    # line — measured here independently, straight from the file.
    line = 3747.0
    piled = duckdb.sql(
        f"SELECT substr(unit, 1, 2) || '0000' AS province FROM '{demo / 'households.parquet'}' "
        f"WHERE status = '已脱贫户' AND income_per_capita >= {line} GROUP BY 1 HAVING "
        f"count(*) FILTER (WHERE income_per_capita < {line * 1.04}) > 3 * "
        f"count(*) FILTER (WHERE income_per_capita >= {line * 1.04} "
        f"AND income_per_capita < {line * 1.08})"
    ).fetchall()
    flagged = {
        r["unit"] for r in rows if r["rule"] == "income_bunching" and r["level"] == "province"
    }
    assert flagged == {p for (p,) in piled} and flagged


def _typed(column: str, value: str):
    if value == "":
        return None
    if column == "count":
        return int(value)
    if column in ("statistic", "p_value"):
        return float(value)
    return value


def test_only_one_detector_and_listing(demo, tmp_path):
    out = tmp_path / "f.csv"
    result = runner.invoke(
        app, ["quality", "check", "--data", str(demo), "--out", str(out), "--only", "resident_ids"]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        assert {r["rule"] for r in csv.DictReader(handle)} == {"invalid_resident_id"}
    listing = runner.invoke(app, ["quality", "detectors"])
    assert listing.exit_code == 0 and "bunching" in listing.output


def test_missing_data_directory_exits_2(tmp_path):
    result = runner.invoke(
        app,
        ["quality", "check", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "f.csv")],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
