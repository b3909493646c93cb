"""The demo data set through the import: every file meets its declared schema except the persons'
deliberately broken ID numbers, which quarantine sets aside exactly as python-stdnum judges them;
then the bundled provincial scheme runs on the store."""

from __future__ import annotations

import collections
import csv
import json
from pathlib import Path

import duckdb
import pytest

from kaohe.data.idnumbers import stdnum_reason

SOURCES = (
    "units",
    "households",
    "field_checks",
    "monitoring_survey",
    "fund_evaluation",
    "findings",
    "bank_figures",
    "verification_estimates",
    "quality_findings",
    "policy_implementation",  # 政策落实 and the fund indicators (issue 15)
    "fund_integration",
)


@pytest.fixture(scope="module")
def demo(demo_data) -> Path:
    """The session's demo data set (tests/conftest.py; read-only)."""
    return demo_data


def file_of(directory: Path, source: str) -> Path:
    (found,) = [p for p in directory.iterdir() if p.stem == source]
    return found


def test_the_demo_imports_and_the_bundled_scheme_runs_on_the_store(demo, tmp_path, kaohe):
    store = tmp_path / "store"
    for source in SOURCES:
        run = kaohe("import", source, file_of(demo, source), "--store", store)
        assert run.exit_code == 0, (source, run.stderr)
    persons = demo / "persons.parquet"
    strict = kaohe("import", "persons", persons, "--store", store)
    assert strict.exit_code == 2
    assert "resident ID number has a wrong check digit" in strict.stderr
    assert "unique key person_id+period repeated" in strict.stderr
    assert not (store / "persons").exists()

    run = kaohe("import", "persons", persons, "--store", store, "--quarantine")
    assert run.exit_code == 0, run.stderr
    # the oracle: stdnum's verdict on each ID, and every row of an ID that appears twice
    ids = [r[0] for r in duckdb.sql(f"SELECT person_id FROM '{persons}'").fetchall()]
    counts = collections.Counter(ids)
    expected = [i for i, n in enumerate(ids) if stdnum_reason(n) or counts[n] > 1]
    assert expected  # the demo does break some
    (rejects,) = (store / "persons").glob("*.rejects.csv")
    with rejects.open(encoding="utf-8") as handle:
        rejected = [int(row["_line"]) - 1 for row in csv.DictReader(handle)]
    assert rejected == expected
    (snapshot,) = (store / "persons").glob("*.parquet")
    assert duckdb.sql(f"SELECT count(*) FROM '{snapshot}'").fetchall()[0][0] == len(ids) - len(
        expected
    )

    # the same import elsewhere gives the same snapshot, byte for byte (hence the same name)
    again = tmp_path / "again"
    kaohe("import", "units", file_of(demo, "units"), "--store", again)
    kaohe("import", "persons", persons, "--store", again, "--quarantine")
    assert [p.name for p in (again / "persons").glob("*.parquet")] == [snapshot.name]

    out = tmp_path / "run"
    run = kaohe(
        "assess", "--scheme", "provincial-effectiveness-2016", "--store", store, "--out", out
    )
    assert run.exit_code == 0, run.stderr
    inputs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert inputs["persons"]["sha256"] == snapshot.stem
    assert inputs["persons"]["rows"] == len(ids) - len(expected)
