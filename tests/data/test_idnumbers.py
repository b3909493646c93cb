"""The SQL check of resident ID numbers gives python-stdnum's verdict, number for number."""

from __future__ import annotations

import functools

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from kaohe.data.idnumbers import region_spans, register_regions, stdnum_reason, with_checks


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    register_regions(connection)
    yield connection
    connection.close()


@functools.cache
def checked_ids() -> str:
    """The checks' SQL over the table ``ids``: built once, run on every example."""
    return with_checks("ids", "raw", "v")


def sql_reasons(con, numbers: list[str | None]) -> list[str | None]:
    con.register("ids", pa.table({"i": list(range(len(numbers))), "raw": numbers}))
    rows = con.execute(f"SELECT i, v__reason FROM {checked_ids()} ORDER BY i").fetchall()
    con.unregister("ids")
    return [reason for _, reason in rows]


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_hand_checked_numbers(con):
    numbers = [
        "360426199101010071",  # stdnum's own example: valid
        "11010519491231002X",  # GB 11643's example (北京朝阳, 1949-12-31): valid
        "11010519491231002x",  # lower-case x is the same number
        "１１０１０５１９４９１２３１００２X",  # full-width digits, as input methods write them
        "360426199101010072",  # wrong check digit
        "36042619910101007",  # 17 characters
        "36042619910101007A1",  # 19 characters
        "3604261991010100A1",  # a letter inside
        with_check_digit("36042619910230007"),  # 30 February
        with_check_digit("36042600000101007"),  # year 0
        with_check_digit("11010320150101001"),  # 崇文区 was abolished in 2010
        with_check_digit("11999919900101001"),  # no county 9999 in Beijing
        with_check_digit("99000019900101001"),  # no province 99
        "1000000000000e+04" + "0",  # casts to 10^16 as a number, but is no ID number
        "0x10000000000000000",  # hexadecimal, likewise
        None,
        "",
    ]
    expected = [
        None,
        None,
        None,
        None,
        "checksum",
        "length",
        "length",
        "format",
        "birth_date",
        "birth_date",
        "region",
        "region",
        "region",
        "format",
        "length",
        None,
        None,
    ]
    assert sql_reasons(con, numbers) == expected
    assert [stdnum_reason(n) if n else None for n in numbers] == expected


_codes = [code for code, _, _ in region_spans()]


@st.composite
def near_valid_numbers(draw) -> str:
    """Mostly well-formed numbers from real region codes, with the usual ways they go wrong."""
    code = (
        draw(st.sampled_from(_codes))
        if draw(st.booleans())
        else draw(st.text("0123456789", min_size=6, max_size=6))
    )
    year = draw(st.integers(0, 2030))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    sequence = draw(st.integers(0, 999))
    body = f"{code}{year:04d}{month:02d}{day:02d}{sequence:03d}"
    last = (
        ric.calc_check_digit(body + "0")
        if draw(st.booleans())
        else draw(st.sampled_from("0123456789Xx"))
    )
    number = body + last
    mangle = draw(st.sampled_from(["none", "none", "space", "drop", "letter", "fullwidth"]))
    if mangle == "space":
        number = f" {number} "
    elif mangle == "drop":
        number = number[:-1]
    elif mangle == "letter":
        position = draw(st.integers(0, 16))
        number = number[:position] + "A" + number[position + 1 :]
    elif mangle == "fullwidth":
        number = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return number


@settings(max_examples=150, deadline=None)
@given(st.lists(near_valid_numbers(), min_size=1, max_size=30))
def test_sql_agrees_with_stdnum(con, numbers):
    assert sql_reasons(con, numbers) == [stdnum_reason(n) for n in numbers]
