"""Values as offices' spreadsheets write them: thousands separators (1,234), percentages (12.5%)
in a column that declares ``unit_of_measure: "%"``, full-width digits and signs (１２３, －５),
and ticks for booleans (√/×). Read strictly: a form that does not fit exactly is NULL, and so an
error naming file, line, column and value — never guessed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.data import UNITS, UNITS_HEADER
from tests.support.files import write_csv
from tests.support.messy_corpus import HEADER, VISITS_SCHEMA, csv_text, row

from kaohe.data.casts import bad_values, cast_sql

FULL_WIDTH = str.maketrans("0123456789.,+-% ", "０１２３４５６７８９．，＋－％　")


def full_width(value: str) -> str:
    return value.translate(FULL_WIDTH)


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


def cast(con, value: str | None, kind: str, **options) -> object:
    sql = f"SELECT {cast_sql('x', kind, 'VARCHAR', **options)} FROM (SELECT $1::VARCHAR AS x)"
    return con.execute(sql, [value]).fetchall()[0][0]


INTEGERS = {
    "123": 123,
    " 36 ": 36,
    "+5": 5,
    "-4": -4,
    "0": 0,
    "36.0": 36,  # a spreadsheet's whole number, as before
    "1,234": 1234,
    "1,000": 1000,
    "1,234,567": 1234567,
    "-1,234": -1234,
    "+12,345,678": 12345678,
    "1,234.00": 1234,
    "９": 9,
    "１２３": 123,
    "－５": -5,
    "＋５": 5,
    "１２．０": 12,
    "１，２３４": 1234,
    "　１２　": 12,  # full-width spaces
    "1２3": 123,  # mixed widths: the digits are the same digits
}
NOT_INTEGERS = [
    "36.5",
    "1_000",
    "1e3",
    "0x10",
    "1,23",  # a group of two
    "12,34,567",  # Indian grouping
    "1234,567",  # a first group of four
    ",123",
    "1,234,",
    "1,,234",
    "0,123",  # a decimal comma, not a thousands separator
    "012,345",
    "1.234,5",
    "1 234",
    "1,234.5",
    "12%",
    "１２．５",
    "１，２３",
    "一二三",
    "+-5",
    "--5",
    "- 5",
    "5-",
    "",
    " ",
    "9223372036854775808",  # beyond BIGINT
]

NUMBERS = {
    "45.5": 45.5,
    "-.5": -0.5,
    "12.": 12.0,
    "1,234.5": 1234.5,
    "1,234,567.5": 1234567.5,
    "1,234.": 1234.0,
    "-1,000.25": -1000.25,
    "１２．５": 12.5,
    "－．５": -0.5,
    "１，２３４．５": 1234.5,
    "　４５　": 45.0,
}
NOT_NUMBERS = [
    "NaN",
    "inf",
    "1_000",
    "1e3",
    "1.5d",  # a Java literal suffix, which Spark's cast would take
    "12.5%",  # only in a column that declares unit_of_measure "%"
    "１２．５％",
    "1,23",
    "12,34,567",
    ",123",
    "0,5",
    "1.234,5",
    "1,234.5,6",
    "1.2.3",
    ".",
    "",
    "12.5‰",
    "１２。５",  # an ideographic full stop is no decimal point
]

PERCENTS = {
    "12.5%": 0.125,
    "0.125": 0.125,
    "12.5 %": 0.125,
    " 12.5% ": 0.125,
    "100%": 1.0,
    "0%": 0.0,
    "-5%": -0.05,
    "1.1%": 0.011,  # the double nearest 0.011, as "0.011" reads: not 1.1 / 100
    "0.7%": 0.007,
    "1,250%": 12.5,
    ".5%": 0.005,
    "１２．５％": 0.125,
    "１２．５ ％": 0.125,
    "－５％": -0.05,
}
NOT_PERCENTS = [
    "%",
    " % ",
    "12.5%%",
    "%12.5",
    "12.5‰",
    "1,23%",
    "abc%",
    "12,5%",
    "1e1%",
    "NaN%",
]

TRUE_FORMS = ["是", "true", "TRUE", "True", "t", "Yes", "y", "Y", "1", " 是 "]
TRUE_FORMS += ["√", "✓", "✔", "１", "ｙｅｓ", "ＴＲＵＥ", "Ｙ", "　√　"]
FALSE_FORMS = ["否", "false", "F", "no", "N", "0", "×", "✗", "✘", "０", "ｎｏ", "Ｎ", "ｆａｌｓｅ"]
NOT_BOOLEANS = ["3", "2", "maybe", "1.0", "有", "无", "对", "错", "x", "X", "√×", "是的", "☑"]
NOT_BOOLEANS += ["○", "-1", "+1", "yess", "ｙｅｓｓ", "１０", "", "ſ", "yeſ"]


@pytest.mark.parametrize(("value", "expected"), INTEGERS.items())
def test_an_integer_column_reads_separators_and_full_width_forms(con, value, expected):
    got = cast(con, value, "integer")
    assert got == expected and isinstance(got, int)


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_an_integer_column_refuses_what_is_not_exactly_a_whole_number(con, value):
    assert cast(con, value, "integer") is None


@pytest.mark.parametrize(("value", "expected"), {**INTEGERS, **NUMBERS}.items())
def test_a_number_column_reads_separators_and_full_width_forms(con, value, expected):
    assert cast(con, value, "number") == float(expected)
    assert cast(con, value, "number", percent=True) == float(expected)  # a fraction as it is


@pytest.mark.parametrize("value", NOT_NUMBERS + NOT_PERCENTS)
def test_a_number_column_refuses_what_is_not_exactly_a_number(con, value):
    assert cast(con, value, "number") is None


@pytest.mark.parametrize(("value", "expected"), PERCENTS.items())
def test_a_percent_column_stores_a_percentage_as_a_fraction(con, value, expected):
    assert cast(con, value, "number", percent=True) == expected


@pytest.mark.parametrize(
    "value", NOT_PERCENTS + [v for v in NOT_NUMBERS if "%" not in v.replace("％", "%")]
)
def test_a_percent_column_refuses_what_is_not_exactly_a_percentage(con, value):
    assert cast(con, value, "number", percent=True) is None


def test_exponents_stay_where_the_column_declares_them(con):
    assert cast(con, "1.5e3", "number", exponent=True) == 1500.0
    assert cast(con, "１．５ｅ３", "number", exponent=True) == 1500.0
    assert cast(con, "1.5e3", "number", exponent=True, percent=True) == 1500.0
    assert cast(con, "1.5e3%", "number", exponent=True, percent=True) is None
    assert cast(con, "1,234e3", "number", exponent=True) is None  # grouped, or exponent


@pytest.mark.parametrize("value", TRUE_FORMS)
def test_a_boolean_column_reads_ticks_and_full_width_forms_as_true(con, value):
    assert cast(con, value, "boolean") is True


@pytest.mark.parametrize("value", FALSE_FORMS)
def test_a_boolean_column_reads_crosses_and_full_width_forms_as_false(con, value):
    assert cast(con, value, "boolean") is False


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_a_boolean_column_refuses_what_does_not_clearly_say_yes_or_no(con, value):
    """有/无 may mean "none to report", 对/错 "a wrong entry": neither is read as true/false."""
    assert cast(con, value, "boolean") is None


def test_a_stored_number_is_read_as_it_is_in_a_percent_column(con):
    sql = f"SELECT {cast_sql('x', 'number', 'DOUBLE', percent=True)} FROM (SELECT 0.125 AS x)"
    assert con.execute(sql).fetchall() == [(0.125,)]
    sql = f"SELECT {cast_sql('x', 'number', percent=True)} FROM (SELECT 12 AS x)"
    assert con.execute(sql).fetchall() == [(12.0,)]


def test_bad_values_name_the_rows_a_percent_column_refuses(con):
    con.execute(
        "CREATE OR REPLACE TEMP VIEW shares AS SELECT * FROM (VALUES "
        "(1, '12.5%'), (2, '0.5'), (3, '12,5%'), (4, ''), (5, '５０％')) AS t(__row, share)"
    )
    assert bad_values(con, "shares", "share", "number", percent=True) == (1, [(3, "12,5%")])
    count, rows = bad_values(con, "shares", "share", "number")
    assert count == 3 and [r for r, _ in rows] == [1, 3, 5]


@pytest.mark.parametrize("kind", ["integer", "number", "boolean"])
def test_the_office_forms_keep_the_files_row_order(kind):
    """Regular expressions, not IN lists: DuckDB plans a list of constants as a join, and a
    join does not keep the file's row order."""
    values = ", ".join(f"('{v}')" for v in ["1,234", "１２", "√", "12.5%", "是", "x"])
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {values}) AS t(v)")
        options = {"percent": True} if kind == "number" else {}
        plan = con.execute(f"EXPLAIN SELECT {cast_sql('v', kind, 'VARCHAR', **options)} FROM t")
        assert "JOIN" not in plan.fetchall()[0][1].upper()


def full_width_forms(n: int) -> list[str]:
    return [str(n), f"{n:,}", full_width(str(n)), full_width(f"{n:,}")]


@settings(deadline=None)  # a DuckDB query per example: a busy machine must not fail it
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_every_whole_number_reads_back_in_every_office_form(n):
    forms = full_width_forms(n)
    sql = f"SELECT {cast_sql('x', 'integer', 'VARCHAR')} FROM (SELECT unnest($1::VARCHAR[]) AS x)"
    with duckdb.connect() as con:
        assert [r[0] for r in con.execute(sql, [forms]).fetchall()] == [n] * len(forms)
        if abs(n) <= 2**53:  # a double holds it exactly
            number = cast_sql("x", "number", "VARCHAR")
            sql = f"SELECT {number} FROM (SELECT unnest($1::VARCHAR[]) AS x)"
            assert [r[0] for r in con.execute(sql, [forms]).fetchall()] == [float(n)] * len(forms)


# -- through kaohe import ------------------------------------------------------------------------

SCHEMA = VISITS_SCHEMA + '  share: {type: number, unit_of_measure: "%", optional: true}\n'


@pytest.fixture
def store(tmp_path, kaohe) -> Path:
    """A store holding the units."""
    units = write_csv(tmp_path / "in" / "units.csv", UNITS_HEADER, UNITS)
    path = tmp_path / "store"
    run = kaohe("import", "units", units, "--store", path)
    assert run.exit_code == 0, run.stderr
    return path


def test_an_offices_spreadsheet_imports_with_its_exact_values(tmp_path, store, kaohe):
    schema = tmp_path / "visits.yaml"
    schema.write_text(SCHEMA, encoding="utf-8")
    rows = [
        [*row(visits="1,234", minutes="1,234.5", done="是"), "12.5%"],
        [*row(visits="１２", minutes="－．５", done="√"), "0.125"],
        [*row(visits="36.0", minutes="４５", done="×"), "１００％"],
    ]
    path = tmp_path / "visits.csv"
    path.write_text(csv_text(rows, header=[*HEADER, "share"]), encoding="utf-8")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 0, run.stderr
    (parquet,) = (store / "visits").glob("*.parquet")
    stored = duckdb.sql(f"SELECT visits, minutes, done, share FROM read_parquet('{parquet}')")
    assert stored.fetchall() == [
        (1234, 1234.5, True, 0.125),
        (12, -0.5, True, 0.125),
        (36, 45.0, False, 1.0),
    ]


def test_a_percentage_in_a_plain_number_column_is_an_error_naming_file_line_and_column(
    tmp_path, store, kaohe
):
    schema = tmp_path / "visits.yaml"
    schema.write_text(SCHEMA, encoding="utf-8")
    rows = [[*row(), "1%"], [*row(minutes="12.5%"), "1%"], [*row(), "12,5%"]]
    path = tmp_path / "visits.csv"
    path.write_text(csv_text(rows, header=[*HEADER, "share"]), encoding="utf-8")
    run = kaohe("import", schema, path, "--store", store)
    assert run.exit_code == 2
    assert "visits.csv:line 3: column minutes: value '12.5%' is not a number" in run.stderr
    assert "visits.csv:line 4: column share: value '12,5%' is not a number" in run.stderr
    assert not (store / "visits").exists() or not any((store / "visits").iterdir())
