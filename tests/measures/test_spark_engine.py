"""Spark (local mode) computes the same measures as DuckDB: every measure, every unit at every
level — counts, sums, min/max that roll up, and averages, distinct counts and guarded sums that
are recomputed — from CSV files and from snapshot Parquet files.

One Spark session for the module (starting one takes seconds); local[1] keeps it light in CI.
Floating-point sums may differ in the last bits (Spark and DuckDB add in different orders), so
non-integers are compared to 12 significant digits; integers and NULLs must be identical.
"""

from __future__ import annotations

import math
import os

import pytest
from tests.support.measures import EXPECTED, measures_by_unit
from typer.testing import CliRunner

pytest.importorskip("pyspark")

from kaohe.cli import app  # noqa: E402
from kaohe.measures.spark_engine import spark_session  # noqa: E402

# The JVM's first compiler tier only: a test session's queries are few and small, and the
# optimizing tier's compiling is most of their time (measured: start and both passes of the first
# test about half as long). The same Spark, the same plans; only the JVM's own code is compiled
# less.
FAST_START = "-XX:TieredStopAtLevel=1"


@pytest.fixture(scope="module")
def spark():
    with pytest.MonkeyPatch.context() as patch:  # read when the JVM starts, then restored
        patch.setenv("JAVA_TOOL_OPTIONS", f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {FAST_START}")
        session = spark_session("local[1]")
    yield session
    session.stop()


def assert_same(spark_values, duckdb_values):
    assert spark_values.keys() == duckdb_values.keys()
    for name, by_unit in duckdb_values.items():
        for unit, expected in by_unit.items():
            got = spark_values[name][unit]
            if isinstance(expected, float) or isinstance(got, float):
                assert got is not None and expected is not None, (name, unit, got, expected)
                assert math.isclose(got, expected, rel_tol=1e-12), (name, unit, got, expected)
            else:
                assert got == expected, (name, unit, got, expected)


def test_spark_measures_equal_duckdb_measures(case, spark, tmp_path):
    on_duckdb = measures_by_unit(case)
    on_spark = measures_by_unit(case, spark=spark)
    assert_same(on_spark, on_duckdb)
    assert on_spark["households"]["000000"] == EXPECTED["households"]["000000"]  # recomputed
    assert on_spark["people"]["140222"] == 0  # a unit without rows

    # The same from the snapshot store: typed Parquet instead of text CSV.
    store = tmp_path / "store"
    for source in ("units", "persons", "findings"):
        run = CliRunner().invoke(
            app, ["import", source, str(case.data / f"{source}.csv"), "--store", str(store)]
        )
        assert run.exit_code == 0, run.stderr
    assert_same(measures_by_unit(case, spark=spark, store=store), on_duckdb)


@pytest.mark.parametrize(
    ("kind", "source_type", "values", "expected"),
    [
        ("number", "BIGINT", ["1", "-2"], [1.0, -2.0]),
        ("number", "DOUBLE", ["1.5", "double('inf')", "double('nan')"], [1.5, None, None]),
        ("integer", "VARCHAR", ["'36'", "'36.0'", "'36.5'", "'1e3'"], [36, 36, None, None]),
        ("boolean", "VARCHAR", ["'是'", "'Y'", "'3'"], [True, True, None]),
        ("date", "VARCHAR", ["'2019-01-05'", "'2019/01/05'"], ["2019-01-05", None]),
        # offices' forms: thousands separators, full-width digits and signs, ticks
        (
            "integer",
            "VARCHAR",
            ["' 36 '", "'+5'", "'1,234'", "'-1,234,567.00'", "'１２３'", "'－５'", "'１，２３４'"],
            [36, 5, 1234, -1234567, 123, -5, 1234],
        ),
        (
            "integer",
            "VARCHAR",
            ["'1,23'", "'12,34,567'", "',123'", "'0,123'", "'１２．５'", "'36' || chr(10)"],
            [None] * 6,  # Java's $ matches before a final line break: the casts anchor with \z
        ),
        (
            "number",
            "VARCHAR",
            ["' 45.5 '", "'1,234,567.5'", "'１２．５'", "'－．５'", "'１，２３４．５'"],
            [45.5, 1234567.5, 12.5, -0.5, 1234.5],
        ),
        (
            "number",
            "VARCHAR",
            ["'12.5%'", "'1.5d'", "'0,5'", "'1,23.5'", "'1e3'", "'１２．５％'"],
            [None] * 6,  # a percentage only where the column declares unit_of_measure "%"
        ),
        (
            "boolean",
            "VARCHAR",
            ["'√'", "'✔'", "'×'", "'✘'", "'ｙｅｓ'", "'Ｎ'", "'有'", "'对'", "'yeſ'"],
            [True, True, False, False, True, False, None, None, None],
        ),
    ],
)
def test_the_strict_casts_mean_the_same_on_spark(spark, kind, source_type, values, expected):
    """The typed views run on both engines: the casts' SQL must exist and agree on Spark."""
    from kaohe.data.casts import cast_sql
    from kaohe.measures.spark_engine import to_spark

    rows = " UNION ALL ".join(f"SELECT {i} AS i, {v} AS x" for i, v in enumerate(values))
    sql = f"SELECT {cast_sql('x', kind, source_type)} AS y FROM ({rows}) AS t ORDER BY i"
    got = [row["y"] for row in spark.sql(to_spark(sql)).collect()]
    assert [str(v) if kind == "date" and v is not None else v for v in got] == expected
