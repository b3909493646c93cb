"""Resident ID checks: the streaming SQL agrees with python-stdnum, the reference."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from tests.support.verify import person, resident_id, write_parquet, write_units

from kaohe.quality.context import QualityContext, mask_id
from kaohe.quality.quality_rules import load_quality_rules
from kaohe.quality.resident_ids import detect, place_known, structure_ok_sql, with_number
from kaohe.verify.inputs import open_inputs

COUNTIES = ["130224", "620525", "110101", "999999", "130000", "469024"]


@st.composite
def id_numbers(draw):
    """Valid IDs, and IDs with one character changed, cut or lengthened."""
    county = draw(st.sampled_from(COUNTIES))
    year = draw(st.integers(1900, 2020))
    month = draw(st.integers(1, 13))
    day = draw(st.integers(1, 31))
    body = f"{county}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    number = body + ric.calc_check_digit(body + "0")
    change = draw(st.sampled_from(["none", "digit", "cut", "letter", "x"]))
    if change == "digit":
        i = draw(st.integers(0, 17))
        number = (
            number[:i] + str((int(number[i]) + 1) % 10 if number[i] != "X" else 3) + number[i + 1 :]
        )
    elif change == "cut":
        number = number[: draw(st.integers(0, 17))]
    elif change == "letter":
        number = number[:3] + "A" + number[4:]
    elif change == "x":
        number = number[:-1] + "X"
    return number


def sql_verdict(numbers: list[str], mode: str) -> list[bool]:
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT id, {structure_ok_sql()} FROM {with_number('(SELECT unnest(?) AS id)')}",
            [numbers],
        ).fetchall()
    out = []
    for number, structure in rows:
        ok = bool(structure)
        if ok:
            ok = place_known(number[:6], int(number[6:10]), mode)
        out.append(ok)
    return out


@given(st.lists(id_numbers(), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_sql_and_stdnum_agree_at_birth_year(numbers):
    def reference(n):
        try:
            return ric.is_valid(n)
        except KeyError:  # stdnum 2.2 raises KeyError for an unknown county of a known province
            return False

    assert sql_verdict(numbers, "at_birth_year") == [reference(n) for n in numbers]


def test_known_mode_accepts_codes_renamed_after_the_birth_year():
    # 469024 (临高县) exists in GB/T 2260 only from 1988: a person born in 1950 whose ID was issued
    # there later is valid in "known" mode, while stdnum's birth-year check rejects it.
    number = resident_id("469024", "19500101", 12)
    assert not ric.is_valid(number)
    assert sql_verdict([number], "known") == [True]
    assert sql_verdict([resident_id("999999", "19800101", 1)], "known") == [False]


def test_detector_counts_per_unit_with_masked_examples(tmp_path):
    write_units(tmp_path)
    good = resident_id("130224", "19800101", 1)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    write_parquet(
        tmp_path / "persons.parquet",
        [
            person("130224", good, "A1"),
            person("130224", bad_check, "A1"),
            person("130224", resident_id("130224", "19800230", 1), "A2"),  # 30 February
            person("620525", resident_id("620525", "19900101", 2), "C1"),
            person("620525", "62052519900101", "C1"),  # too short
        ],
    )
    with open_inputs(tmp_path, sources=("persons",)) as inputs:
        findings = detect(QualityContext(inputs, load_quality_rules()))
    by_unit = {f.unit: f for f in findings}
    assert {u: f.count for u, f in by_unit.items()} == {"130224": 2, "620525": 1}
    assert "wrong check digit" in by_unit["130224"].evidence
    assert "invalid birth date or region code" in by_unit["130224"].evidence
    assert "not 18 characters long" in by_unit["620525"].evidence
    assert good[6:14] not in by_unit["130224"].evidence  # birth dates are masked


def test_mask_keeps_region_and_last_four():
    assert mask_id("130224198001010018") == "130224********0018"
    assert mask_id("12345") == "12***"


@pytest.mark.parametrize("mode", ["known", "at_birth_year"])
def test_unknown_county_of_a_known_province_is_invalid(mode):
    assert place_known("139999", 1990, mode) is False
