"""``kaohe import --engine spark``: the same verdicts, rejects and snapshot as DuckDB's import.

Each messy file is imported by both engines into two stores (each holding the same units), and
everything a user sees is compared: the rules that fail with their counts and first rows, the
repeated keys, the report, the rows accepted, the rejects file byte for byte, the snapshot's
content and its name (its sha256). One Spark session (local[1]) serves the module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from tests.support.data import (
    PERSONS_HEADER,
    UNITS,
    UNITS_HEADER,
    broken_check_digit,
    person,
    person_rows,
    resident_id,
)
from tests.support.files import write_csv
from tests.support.messy_corpus import VALUE_CASES, VISITS_SCHEMA, write_case

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17 or later", allow_module_level=True)

from kaohe.data.import_report import ImportRejected  # noqa: E402
from kaohe.data.importer import import_files  # noqa: E402
from kaohe.data.schemas import load_schema  # noqa: E402
from kaohe.data.snapshots import Store  # noqa: E402
from kaohe.data.spark_import import SparkChecks  # noqa: E402
from kaohe.measures.spark_engine import spark_session  # noqa: E402

FAST_START = "-XX:TieredStopAtLevel=1"  # as tests/measures/test_spark_engine.py: a faster start


@pytest.fixture(scope="module")
def spark():
    with pytest.MonkeyPatch.context() as patch:  # read when the JVM starts, then restored
        patch.setenv("JAVA_TOOL_OPTIONS", f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {FAST_START}")
        session = spark_session("local[1]")
    # A handful of rows: compiling each query's Java (whole-stage code generation) would take
    # longer than running it; the plans and results are the same.
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    yield session
    session.stop()


def stores(tmp_path: Path) -> tuple[Store, Store]:
    """Two stores holding the same units snapshot: DuckDB's and Spark's."""
    units = write_csv(tmp_path / "in" / "units.csv", UNITS_HEADER, UNITS)
    pair = Store(tmp_path / "duckdb"), Store(tmp_path / "spark")
    for store in pair:
        import_files(store, load_schema("units"), [units])
    return pair


# A registry file with one of every problem: wrong types, empty required values, values out of
# range or not allowed, resident ID numbers that fail each of stdnum's checks, units that are not
# in the store or not counties, a repeated person, blank lines and quoted fields (a comma, a line
# break, a doubled quote), full-width digits and spaces, which are read, not refused.
VALID = resident_id("130224", "19800101", 1)
ENDS_IN_X = next(
    number
    for number in (resident_id("130224", "19950505", n) for n in range(100))
    if number.endswith("X")
)
MESSY_PERSONS = [
    person("130224", 0),
    person("130224", 1, age="abc"),
    person("130224", 2, age="36.5"),
    person("130224", 3, age=" 36 "),
    person("130224", 4, age="３６"),
    person("130224", 5, age="200"),
    person("130224", 6, age="-1"),
    person("130529", 7, sex="M"),
    person("130529", 8, household_id=""),
    person("130529", 9, poor_at_start=""),
    person("130529", 10, poor_at_end="maybe"),
    person("130529", 11, person_id=VALID[:-1]),  # length
    person("130529", 12, person_id="13022A" + VALID[6:]),  # format
    person("130529", 13, person_id=broken_check_digit(VALID)),  # checksum
    person("130529", 14, person_id=resident_id("130224", "19800230", 1)),  # birth date
    person("130529", 15, person_id=resident_id("999999", "19800101", 1)),  # region
    person("130529", 16, person_id=ENDS_IN_X.lower()),  # valid: stdnum upper-cases it
    person("140221", 17, person_id=" " + resident_id("130224", "19960101", 7) + " "),
    person("999999", 18),  # no such unit
    person("130000", 19),  # a province
    person("140221", 20, household_id='户,"甲"\n第二行'),  # quoted: comma, quote, line break
    person("140221", 21, person_id=person("130224", 0)["person_id"]),  # a repeated person
    person("140221", 22, period=""),
    person("140221", 23),
]


def messy_persons(folder: Path) -> Path:
    path = write_csv(folder / "persons.csv", PERSONS_HEADER, person_rows(MESSY_PERSONS))
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[6:6] = ["", ""]  # blank lines: DuckDB skips them and counts them in line numbers
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def verdicts(result):
    """What an import found, as plain values."""
    return (
        result.rows_read,
        result.rows_accepted,
        [(v.rule.label, v.count, v.examples) for v in result.violations],
        [(d.columns, d.per_unit, d.groups, d.rows, d.examples) for d in result.duplicates],
    )


def snapshot_rows(path: Path) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()


def test_a_messy_registry_gives_the_same_verdicts_rejects_and_snapshot(spark, tmp_path):
    on_duckdb, on_spark = stores(tmp_path)
    persons = messy_persons(tmp_path / "in")
    schema = load_schema("persons")
    expected = import_files(on_duckdb, schema, [persons], quarantine=True)
    got = import_files(on_spark, schema, [persons], quarantine=True, checks=SparkChecks(spark))

    assert verdicts(got) == verdicts(expected)
    rules = {v.rule.label for v in expected.violations}
    for reason in ("18 characters", "17 digits", "check digit", "birth date", "region code"):
        assert any(reason in label for label in rules), reason
    assert expected.duplicates and expected.rejected > 10  # the file is as messy as it claims
    assert got.rejects.read_bytes() == expected.rejects.read_bytes()
    assert snapshot_rows(got.snapshot.path) == snapshot_rows(expected.snapshot.path)
    assert got.snapshot.sha256 == expected.snapshot.sha256
    for fact in ("rows", "rows_read", "rejected", "columns", "periods", "units"):
        assert got.snapshot.sidecar[fact] == expected.snapshot.sidecar[fact], fact
    assert got.snapshot.sidecar["engine"] == "spark"


def test_all_or_nothing_refuses_with_the_same_message(spark, tmp_path):
    on_duckdb, on_spark = stores(tmp_path)
    persons = messy_persons(tmp_path / "in")
    schema = load_schema("persons")
    with pytest.raises(ImportRejected) as duckdb_refusal:
        import_files(on_duckdb, schema, [persons])
    with pytest.raises(ImportRejected) as spark_refusal:
        import_files(on_spark, schema, [persons], checks=SparkChecks(spark))
    assert str(spark_refusal.value) == str(duckdb_refusal.value)
    assert "persons.csv:line 12: column household_id: value (empty)" in str(spark_refusal.value)
    assert on_spark.latest("persons") is None  # nothing written


def messy_visits(folder: Path) -> Path:
    """Every CSV case of the messy corpus in one file: their rows one after the other."""
    lines = []
    for case in VALUE_CASES:
        if case.file.endswith(".csv"):
            text = write_case(case, folder / case.name).read_text(encoding="utf-8")
            header, rest = text.split("\n", 1)
            lines.append(rest)
    path = folder / "visits.csv"
    path.write_text(header + "\n" + "".join(lines), encoding="utf-8")
    return path


def test_the_command_line_gives_the_same_output_on_spark(spark, tmp_path, kaohe):
    on_duckdb, on_spark = stores(tmp_path)
    schema = tmp_path / "visits.yaml"
    schema.write_text(VISITS_SCHEMA, encoding="utf-8")
    visits = messy_visits(tmp_path / "in")
    runs = {}
    for engine, store in (("duckdb", on_duckdb), ("spark", on_spark)):
        runs[engine] = kaohe(
            "import", schema, visits, "--store", store.root, "--quarantine", "--engine", engine
        )
    assert runs["duckdb"].exit_code == 0, runs["duckdb"].stderr
    assert runs["spark"].exit_code == runs["duckdb"].exit_code
    assert runs["spark"].stderr == runs["duckdb"].stderr
    assert "is not a whole number" in runs["spark"].stderr

    def said(engine: str, store: Store) -> str:
        # the stores' paths differ, and with them where long lines fold
        return "".join(runs[engine].stdout.split()).replace("".join(str(store.root).split()), "S")

    assert said("spark", on_spark) == said("duckdb", on_duckdb)
    expected, got = on_duckdb.latest("visits"), on_spark.latest("visits")
    assert got.sha256 == expected.sha256
    rejects = [s.path.with_name(f"{s.sha256}.rejects.csv") for s in (expected, got)]
    assert rejects[1].read_bytes() == rejects[0].read_bytes()


def test_workbooks_are_left_to_the_default_engine(spark, tmp_path, kaohe):
    _, on_spark = stores(tmp_path)
    workbook = tmp_path / "persons.xlsx"
    book = openpyxl.Workbook()
    book.active.append(PERSONS_HEADER)
    book.save(workbook)
    run = kaohe("import", "persons", workbook, "--store", on_spark.root, "--engine", "spark")
    assert run.exit_code != 0
    assert f"{workbook}: --engine spark reads CSV files only" in run.stderr
    assert "--engine duckdb" in run.stderr
    run = kaohe("import", "persons", workbook, "--store", on_spark.root, "--engine", "flink")
    assert run.exit_code != 0
    assert "unknown engine flink; use one of duckdb, spark" in run.stderr
