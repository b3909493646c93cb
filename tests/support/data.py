"""Helpers for the data tests: small hand-made registries with valid (or deliberately broken)
resident ID numbers, and the real command line run in-process."""

from __future__ import annotations

from stdnum.cn import ric

UNITS_HEADER = ["unit", "name", "parent", "level", "kind"]
UNITS = [
    ("000000", "全国", "", "nation", "region"),
    ("130000", "河北省", "000000", "province", "region"),
    ("130224", "滦南县", "130000", "county", "region"),
    ("130529", "巨鹿县", "130000", "county", "region"),
    ("140000", "山西省", "000000", "province", "region"),
    ("140221", "阳高县", "140000", "county", "region"),
    ("B1001", "某农商银行", "", "bank", "bank"),
]
PERSONS_HEADER = [
    "unit",
    "person_id",
    "household_id",
    "age",
    "sex",
    "poor_at_start",
    "poor_at_end",
    "exited",
    "period",
]


def resident_id(region: str, birth: str, sequence: int) -> str:
    """A valid 18-digit number: region code, birth date YYYYMMDD, sequence, check digit."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def broken_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def person(unit: str, n: int, poor: bool = True, exited: bool = False, **changes) -> dict:
    """A registry person of ``unit`` with a valid ID; ``changes`` override any column."""
    row = {
        "unit": unit,
        "person_id": resident_id(unit, f"{1993 + n % 25}0{1 + n % 9}1{n % 9}", n % 1000),
        "household_id": f"{unit}H{n // 3:04d}",
        "age": str(2019 - 1993 - n % 25),
        "sex": "男" if n % 2 else "女",
        "poor_at_start": "true" if poor else "false",
        "poor_at_end": "true" if poor and not exited else "false",
        "exited": "true" if exited else "false",
        "period": "2019",
    }
    row.update(changes)
    return row


def person_rows(people: list[dict]) -> list[list[str]]:
    return [[p[c] for c in PERSONS_HEADER] for p in people]
