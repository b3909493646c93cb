"""Measures on DuckDB at every level of the hierarchy, against hand-computed values, from a data
directory and from the snapshot store alike."""

from __future__ import annotations

import math

import pytest
from tests.support.measures import EXPECTED, measures_by_unit
from typer.testing import CliRunner

from kaohe.cli import app


def same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-12)


def test_every_measure_at_every_level_from_the_data_directory(case):
    measures = measures_by_unit(case)
    for name, expected in EXPECTED.items():
        for unit, value in expected.items():
            assert same(measures[name][unit], value), (name, unit, measures[name][unit], value)


@pytest.fixture(scope="module")
def store(case, tmp_path_factory):
    path = tmp_path_factory.mktemp("store")
    for source in ("units", "persons", "findings"):
        run = CliRunner().invoke(
            app, ["import", source, str(case.data / f"{source}.csv"), "--store", str(path)]
        )
        assert run.exit_code == 0, run.stderr
    return path


def test_the_same_measures_from_the_snapshot_store(case, store):
    assert measures_by_unit(case, store=store) == measures_by_unit(case)


def test_a_memory_limit_and_an_unknown_engine(case, tmp_path):
    runner = CliRunner()
    base = ["assess", "--scheme", str(case.scheme), "--data", str(case.data)]
    limited = runner.invoke(app, [*base, "--out", str(tmp_path / "a"), "--memory-limit", "200MB"])
    assert limited.exit_code == 0, limited.stderr
    plain = runner.invoke(app, [*base, "--out", str(tmp_path / "b")])
    assert plain.exit_code == 0, plain.stderr
    assert (tmp_path / "a" / "results.csv").read_bytes() == (
        tmp_path / "b" / "results.csv"
    ).read_bytes()
    wrong = runner.invoke(app, [*base, "--out", str(tmp_path / "c"), "--engine", "polars"])
    assert wrong.exit_code == 2
    assert "unknown engine polars; use one of duckdb, spark" in wrong.stderr
    assert not (tmp_path / "c").exists()
