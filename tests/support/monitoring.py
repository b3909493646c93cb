"""A hand-made monitoring data set: two provinces, three counties, households with known facts."""

from __future__ import annotations

from pathlib import Path

from tests.support.files import write_csv

HOUSEHOLD_COLUMNS = [
    "unit", "household_id", "size", "registry_status", "labour_capacity", "food_clothing_ok",
    "education_ok", "medical_ok", "housing_ok", "water_ok",
]  # fmt: skip
QUARTERS = ["2020-12-31", "2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31"]


def household(unit, hid, status="已脱贫户", size=2, labour=True, ok=True, water=True):
    flag = "true" if ok else "false"
    return [unit, hid, size, status, "true" if labour else "false", flag, flag, flag, flag,
            "true" if water else "false"]  # fmt: skip


def write_case(directory: Path, households, checks, events=(), records=(), assistance=()) -> Path:
    """units: 河北 (130000) with 130100, 贵州 (520000) with 520100; lines as in national-2021."""
    write_csv(
        directory / "units.csv",
        ["unit", "name", "parent", "level"],
        [["000000", "全国", "", "nation"], ["130000", "河北省", "000000", "province"],
         ["130100", "甲县", "130000", "county"], ["130200", "乙县", "130000", "county"],
         ["520000", "贵州省", "000000", "province"], ["520100", "丙县", "520000", "county"]],
    )  # fmt: skip
    write_csv(directory / "monitoring_households.csv", HOUSEHOLD_COLUMNS, list(households))
    write_csv(
        directory / "income_checks.csv",
        ["unit", "household_id", "check_date", "income_per_capita"],
        list(checks),
    )
    write_csv(
        directory / "risk_events.csv",
        ["unit", "household_id", "event_id", "kind", "department", "event_date", "expense",
         "income_loss", "resolved_date"],
        list(events),
    )  # fmt: skip
    write_csv(
        directory / "monitoring_records.csv",
        ["unit", "household_id", "identified_date", "recorded_group", "eliminated_date"],
        list(records),
    )
    write_csv(
        directory / "assistance_measures.csv",
        ["unit", "household_id", "measure", "start_date"],
        list(assistance),
    )
    return directory


def quarterly(unit, hid, incomes):
    """Income checks at the five quarter ends from 2020-12-31 to 2021-12-31."""
    return [[unit, hid, day, income] for day, income in zip(QUARTERS, incomes, strict=True)]


def monitoring_case(tmp_path):
    return write_case(
        tmp_path / "data",
        households=[
            household("130100", "A1"),
            household("130100", "A2", size=3),
            household("130200", "A3", status="一般农户", size=4),
            household("130200", "A4", status="一般农户"),
            household("130100", "A5"),
            household("130100", "A6", labour=False),
            household("520100", "A7", size=1),
            household("520100", "A8", status="一般农户"),
            household("130100", "A9", status="一般农户"),
            household("130100", "A10", water=False),
            household("130100", "A11"),
        ],
        checks=[
            *quarterly("130100", "A1", [7000] * 5),
            *quarterly("130100", "A2", [7000, 7000, 7000, 6500, 5800]),
            *quarterly("130200", "A3", [5500] * 5),
            *quarterly("130200", "A4", [9000] * 5),
            *quarterly("130100", "A5", [5000, 6500, 6800, 7000, 7200]),
            *quarterly("130100", "A6", [5000, 6500, 6800, 7000, 7200]),
            *quarterly("520100", "A7", [3800] * 5),
            *quarterly("520100", "A8", [6100] * 5),
            *quarterly("130100", "A9", [6100] * 5),
            *quarterly("130100", "A10", [8000] * 5),
            *quarterly("130100", "A11", [7000] * 5),
        ],
        events=[
            ["130200", "A4", "E1", "医疗支出", "卫生健康", "2021-05-01", 10000, 0, None],
            ["130100", "A11", "E2", "失业", "人力资源社会保障", "2020-06-01", 0, 20000, None],
        ],
        records=[
            ["130100", "A2", "2021-11-20", "脱贫不稳定户", None],
            ["130200", "A4", "2021-05-13", "突发严重困难户", None],
            ["130100", "A5", "2021-01-10", "脱贫不稳定户", "2021-10-01"],
            ["130100", "A6", "2021-01-10", "脱贫不稳定户", "2021-10-01"],
            ["520100", "A7", "2021-02-01", "脱贫不稳定户", None],
            ["520100", "A8", "2021-03-01", "边缘易致贫户", None],
        ],
        assistance=[
            ["130100", "A2", "就业帮扶", "2021-11-25"],
            ["130200", "A4", "医疗救助", "2021-05-20"],
            ["130200", "A4", "临时救助", "2021-06-01"],
            ["130200", "A4", "临时救助", "2021-07-01"],
        ],
    )
