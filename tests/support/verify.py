"""Small, hand-checkable data directories for the verification and quality tests.

Two provinces (河北 130000, central; 甘肃 620000, western), two real counties each. Each test
writes the rows it needs; files are real CSV/Parquet read by the real DuckDB code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.cn import ric

UNITS = [
    ("000000", "全国", "", "nation", "", ""),
    ("130000", "河北省", "000000", "province", "中部", "false"),
    ("130224", "滦南县", "130000", "county", "中部", "false"),
    ("130529", "巨鹿县", "130000", "county", "中部", "false"),
    ("620000", "甘肃省", "000000", "province", "西部", "true"),
    ("620525", "张家川回族自治县", "620000", "county", "西部", "true"),
    ("620825", "庄浪县", "620000", "county", "西部", "true"),
]
COUNTIES = [u[0] for u in UNITS if u[3] == "county"]


def write_units(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "name", "parent", "level", "region", "western"])
        writer.writerows(UNITS)


def write_csv(path: Path, rows: Iterable[Mapping]) -> Path:
    rows = list(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _text(v) for k, v in row.items()})
    return path


def write_parquet(path: Path, rows: Iterable[Mapping]) -> Path:
    rows = list(rows)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def resident_id(county: str, birth: str, sequence: int) -> str:
    """A valid 18-digit resident ID (check digit from stdnum)."""
    body = f"{county}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def household(unit: str, hid: str, income: float, status: str = "已脱贫户", **over) -> dict:
    row = {
        "unit": unit,
        "household_id": hid,
        "size": 3,
        "income_per_capita": income,
        "income_last_year": income / 1.1,
        "food_clothing_ok": True,
        "education_ok": True,
        "medical_ok": True,
        "housing_ok": True,
        "water_ok": True,
        "status": status,
        "labour_capacity": True,
        "period": "2019",
    }
    row.update(over)
    return row


def person(unit: str, pid: str, hid: str, age: int = 40, **over) -> dict:
    row = {
        "unit": unit,
        "person_id": pid,
        "household_id": hid,
        "age": age,
        "sex": "男",
        "poor_at_start": True,
        "poor_at_end": False,
        "exited": True,
        "period": "2019",
    }
    row.update(over)
    return row


def field_check(unit: str, hid: str, verdict: str = "正确", **over) -> dict:
    row = {
        "unit": unit,
        "household_id": hid,
        "registered": True,
        "exited": True,
        "verdict": verdict,
        "recognizes": True,
        "satisfied_team": True,
        "satisfied_cadre": True,
        "income_verified": 5000.0,
        "weight": 10.0,
        "stratum": unit,
        "period": "2019",
    }
    row.update(over)
    return row
