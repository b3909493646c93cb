"""Messy files (``messy_corpus``): every problem is an error naming file, line, column and value,
through the real ``kaohe import`` and through the data-directory reader alike; nothing is
written when a file is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.support.data import UNITS, UNITS_HEADER
from tests.support.files import write_csv
from tests.support.messy_corpus import (
    FILE_CASES,
    GOOD,
    HEADER,
    STORE_CASES,
    VALUE_CASES,
    VISITS_SCHEMA,
    VISITS_SOURCE,
    Case,
    StoreCase,
    csv_text,
    row,
    units_with_an_orphan,
    write_case,
)

from kaohe.data.cardinality import check_one_row_per_unit
from kaohe.data.casts import cast_sql
from kaohe.data.files import scan_sql
from kaohe.data.sources import register_source
from kaohe.data.units import load_units
from kaohe.errors import DataError
from kaohe.scheme.model import Source

CASES = VALUE_CASES + FILE_CASES


@pytest.fixture
def store(tmp_path, kaohe) -> Path:
    """A store holding the units."""
    units = write_csv(tmp_path / "in" / "units.csv", UNITS_HEADER, UNITS)
    path = tmp_path / "store"
    run = kaohe("import", "units", units, "--store", path)
    assert run.exit_code == 0, run.stderr
    return path


@pytest.fixture
def schema(tmp_path) -> Path:
    path = tmp_path / "visits.yaml"
    path.write_text(VISITS_SCHEMA, encoding="utf-8")
    return path


def stored(store: Path, source: str = "visits") -> list[Path]:
    folder = store / source
    return sorted(folder.iterdir()) if folder.is_dir() else []


def assert_names(message: str, expected: tuple[str, ...]) -> None:
    for part in expected:
        assert part in message, (part, message)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_kaohe_import_refuses_the_file_naming_line_column_and_value(
    case: Case, tmp_path, store, schema, kaohe
):
    path = write_case(case, tmp_path / "in")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 2, run.stdout
    assert_names(run.stderr, case.expect)
    assert "Traceback" not in run.stderr
    assert stored(store) == []
    assert [p.name for p in (store / ".tmp").iterdir()] == []


@pytest.mark.parametrize("case", [c for c in CASES if c.data_directory], ids=lambda c: c.name)
def test_the_data_directory_reader_refuses_the_file_the_same_way(case: Case, tmp_path):
    directory = tmp_path / "data"
    write_case(case, directory)
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE kaohe_units AS SELECT unnest($1::VARCHAR[]) AS unit",
            [[u[0] for u in UNITS]],
        )
        with pytest.raises(DataError) as error:
            register_source(con, "visits", Source(**VISITS_SOURCE), directory, None)
    assert_names(str(error.value), case.data_directory_expect or case.expect)


def test_the_good_rows_of_the_corpus_import_with_their_exact_values(tmp_path, store, schema, kaohe):
    body = csv_text([row(), row(visits="36.0", minutes="-.5", done="N", note="甲\n乙")])
    path = tmp_path / "visits.csv"
    path.write_text(body, encoding="utf-8")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 0, run.stderr
    (parquet,) = [p for p in stored(store) if p.suffix == ".parquet"]
    rows = duckdb.sql(
        f"SELECT visits, minutes, done, CAST(visited AS VARCHAR), note "
        f"FROM read_parquet('{parquet}')"
    ).fetchall()
    assert rows == [
        (3, 45.5, True, "2019-06-01", "按时走访"),
        (36, -0.5, False, "2019-06-01", "甲\n乙"),
    ]


def test_a_column_may_declare_its_date_format_and_scientific_numbers(tmp_path, store, kaohe):
    schema = tmp_path / "visits.yaml"
    schema.write_text(
        VISITS_SCHEMA.replace(
            "visited: {type: date}", "visited: {type: date, format: '%Y/%m/%d'}"
        ).replace("minutes: {type: number}", "minutes: {type: number, exponent: true}"),
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(csv_text([row(visited="2019/06/01", minutes="1.5e3")]), encoding="utf-8")
    run = kaohe("import", schema, good, "--store", store)
    assert run.exit_code == 0, run.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text([row(visited="2019-06-01"), row(visited="2019/6/1")]), encoding="utf-8")
    run = kaohe("import", schema, bad, "--store", store)
    assert run.exit_code == 2
    assert (
        "bad.csv:line 2: column visited: value '2019-06-01' is not a date in the format "
        "%Y/%m/%d" in run.stderr
    )
    assert "bad.csv:line 3: column visited: value '2019/6/1'" in run.stderr


def test_quarantine_writes_the_lines_an_editor_shows(tmp_path, store, schema, kaohe):
    body = (
        csv_text([row(note="一\n二\n三"), row(visits="1.5")])
        + "\n"
        + csv_text([row(visits="x")]).split("\n", 1)[1]
    )
    path = tmp_path / "visits.csv"
    path.write_text(body, encoding="utf-8")
    run = kaohe("import", schema, path, "--store", store, "--quarantine")
    assert run.exit_code == 0, run.stderr
    (rejects,) = [p for p in stored(store) if p.name.endswith(".rejects.csv")]
    lines = duckdb.sql(f"SELECT _line FROM read_csv('{rejects}', all_varchar = true)").fetchall()
    assert lines == [("5",), ("7",)]  # header 1, the note on 2-4, 1.5 on 5, a blank 6, x on 7


def test_a_gb18030_file_with_a_quoted_newline_is_reported_at_the_right_line(
    tmp_path, store, schema, kaohe
):
    path = tmp_path / "visits.csv"
    path.write_text(csv_text([row(note="第一行\n第二行"), row(done="也许")]), encoding="gb18030")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 2
    assert "visits.csv:line 4: column done: value '也许' is not true or false" in run.stderr


@pytest.mark.parametrize("case", STORE_CASES, ids=lambda c: c.name)
def test_the_store_refuses_what_would_change_grades_silently(
    case: StoreCase, tmp_path, store, kaohe
):
    schema = tmp_path / "schema.yaml"
    schema.write_text(case.schema, encoding="utf-8")
    paths = []
    for name, body in case.files.items():
        paths.append(tmp_path / "in" / name)
        paths[-1].parent.mkdir(exist_ok=True)
        paths[-1].write_text(body, encoding="utf-8")
    for earlier in paths[:-1]:
        assert kaohe("import", schema, earlier, "--store", store).exit_code == 0
    before = stored(store)
    run = kaohe("import", schema, paths[-1], "--store", store, *case.options)
    assert run.exit_code == 2, run.stdout
    assert_names(run.stderr, case.expect)
    assert stored(store) == before
    if case.accepted_with is not None:
        run = kaohe("import", schema, paths[-1], "--store", store, *case.accepted_with)
        assert run.exit_code == 0, run.stderr


def test_an_empty_source_imports_when_its_schema_allows_it(tmp_path, store, kaohe):
    schema = tmp_path / "schema.yaml"
    schema.write_text(VISITS_SCHEMA + "allow_empty: true\n", encoding="utf-8")
    path = tmp_path / "visits.csv"
    path.write_text(csv_text([]), encoding="utf-8")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 0, run.stderr
    assert "imported 0 rows" in run.stdout


def test_the_shrink_threshold_is_a_parameter(tmp_path, store, schema, kaohe):
    full = tmp_path / "full.csv"
    full.write_text(csv_text([row(visits=str(n)) for n in range(10)]), encoding="utf-8")
    assert kaohe("import", schema, full, "--store", store).exit_code == 0
    smaller = tmp_path / "smaller.csv"
    smaller.write_text(csv_text([row(visits=str(n)) for n in range(6)]), encoding="utf-8")
    run = kaohe("import", schema, smaller, "--store", store, "--min-rows-share", "0.8")
    assert run.exit_code == 2 and "less than 80%" in run.stderr
    assert kaohe("import", schema, smaller, "--store", store).exit_code == 0  # 60% ≥ 50%


def test_the_bundled_per_unit_reports_declare_one_row_per_unit():
    from kaohe.data.schemas import load_schema

    for source in (
        "fund_evaluation",
        "monitoring_survey",
        "bank_figures",
        "verification_estimates",
    ):
        model = load_schema(source).model
        assert model.one_row_per_unit and model.unit_key() == ["unit", "period"], source
    assert not load_schema("persons").model.one_row_per_unit


def test_a_data_directory_file_can_be_checked_for_one_row_per_unit(tmp_path):
    path = tmp_path / "visits.csv"
    rows = [row(), row(unit="130529"), row(note="a\nb"), row(unit=" 130224 ", period="2020")]
    path.write_text(csv_text(rows), encoding="utf-8")
    relation = f"(SELECT row_number() OVER () AS __row, * FROM {scan_sql(path)})"
    with duckdb.connect() as con:
        with pytest.raises(DataError) as per_period:
            check_one_row_per_unit(con, path, relation, "unit", "period")
        with pytest.raises(DataError) as per_unit:
            check_one_row_per_unit(con, path, relation, "unit")
        check_one_row_per_unit(con, path, f"(SELECT * FROM {relation} WHERE __row < 3)", "unit")
    assert "visits.csv: the source has one row per unit and period, but 1 unit has" in str(
        per_period.value
    )
    assert "unit='130224', period='2019' appears at visits.csv:line 2, visits.csv:line 4" in str(
        per_period.value
    )
    # the third row of 130224 is on line 6: the note of line 4 takes two lines
    assert (
        "unit='130224' appears at visits.csv:line 2, visits.csv:line 4, visits.csv:line 6"
        in str(per_unit.value)
    )


def test_a_unit_with_a_blank_parent_below_the_top_is_an_error(tmp_path, kaohe):
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "units.csv").write_text(units_with_an_orphan(), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_units(directory, {})
    assert "units.csv:line 5: column parent: unit 130529 (county) has no parent" in str(error.value)
    run = kaohe("import", "units", directory / "units.csv", "--store", tmp_path / "store")
    assert run.exit_code == 2
    assert (
        "units.csv:line 5: column parent: value (empty) is empty, but other units of the "
        "same kind and level have a parent" in run.stderr
    )
    assert not (tmp_path / "store" / "units").exists()


def test_messages_are_in_chinese_by_default(tmp_path, store, schema, kaohe):
    case = next(c for c in VALUE_CASES if c.name == "integer-with-decimals")
    run = kaohe("import", schema, write_case(case, tmp_path / "in"), "--store", store, lang=None)
    assert run.exit_code == 2
    assert "visits.csv:第 3 行：列 visits 的值 '36.5' 不是整数" in run.stderr
    header = tmp_path / "dup" / "visits.csv"
    header.parent.mkdir()
    header.write_text(csv_text([[*GOOD, "1"]], header=[*HEADER, "unit"]), encoding="utf-8")
    run = kaohe("import", schema, header, "--store", store, lang=None)
    assert run.exit_code == 2 and "visits.csv:第 1 行：列名 'unit' 重复" in run.stderr


@pytest.mark.parametrize("kind", ["integer", "number", "boolean", "date"])
def test_the_strict_casts_keep_the_files_row_order(kind):
    """A snapshot's bytes, and so its name, depend on the row order: a cast must not make
    DuckDB plan a join (it does for a list of constants, IN (…) or list_contains)."""
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t AS SELECT CAST(range AS VARCHAR) AS v FROM range(10)")
        for source_type in (None, "VARCHAR", "BIGINT"):
            plan = con.execute(f"EXPLAIN SELECT {cast_sql('v', kind, source_type)} FROM t")
            assert "JOIN" not in plan.fetchall()[0][1].upper(), (kind, source_type)


def test_the_bundled_schemas_tell_a_data_directory_reader_their_cast_options():
    from kaohe.data.schemas import cast_options

    assert cast_options("quality_findings")["p_value"] == {"date_format": None, "exponent": True}
    assert cast_options("persons") == {} and cast_options("no_such_source") == {}


def test_a_data_directory_reads_a_bundled_source_by_its_schema_options(tmp_path):
    """Numbers kaohe itself writes in scientific notation (verification estimates) are read from
    a data directory as the import reads them: the bundled schema allows exponents there."""
    directory = tmp_path / "data"
    write_csv(
        directory / "verification_estimates.csv",
        ["unit", "level", "wrong_exit_rate"],
        [("130224", "county", "8.3e-06")],
    )
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE kaohe_units AS SELECT unnest($1::VARCHAR[]) AS unit",
            [[u[0] for u in UNITS]],
        )
        source = Source(columns={"level": "text", "wrong_exit_rate": "number"})
        register_source(con, "verification_estimates", source, directory, None)
        value = con.execute("SELECT wrong_exit_rate FROM src_verification_estimates").fetchall()
    assert value == [(8.3e-06,)]
    # elsewhere an exponent is refused (a column not declared to take one)
    write_csv(directory / "visits.csv", ["unit", "rate"], [("130224", "8.3e-06")])
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE kaohe_units AS SELECT unnest($1::VARCHAR[]) AS unit",
            [[u[0] for u in UNITS]],
        )
        with pytest.raises(DataError) as error:
            register_source(con, "visits", Source(columns={"rate": "number"}), directory, None)
    assert "8.3e-06" in str(error.value)
