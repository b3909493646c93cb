"""``kaohe import``: every violation reported with row, column, value and rule; nothing written
unless the file passes; quarantine; encodings and formats; immutable, content-named snapshots."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
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


@pytest.fixture
def store(tmp_path, kaohe) -> Path:
    """A store holding the units."""
    units = write_csv(tmp_path / "in" / "units.csv", UNITS_HEADER, UNITS)
    path = tmp_path / "store"
    run = kaohe("import", "units", units, "--store", path)
    assert run.exit_code == 0, run.stderr
    return path


def snapshot_files(store: Path, source: str) -> list[Path]:
    folder = store / source
    return sorted(folder.iterdir()) if folder.is_dir() else []


def rows_of(parquet: Path) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')").fetchall()


GOOD = [person("130224", n) for n in range(3)]
BAD = [
    person("130224", 10, person_id=broken_check_digit(person("130224", 10)["person_id"])),
    person("130224", 11, age="abc"),
    person("130529", 12, sex="M"),
    person("999999", 13, person_id=person("130224", 13)["person_id"]),
    person("130000", 14),  # a province: persons belong to counties
    person("130529", 15, poor_at_start=""),
    person("140221", 16, person_id=GOOD[0]["person_id"]),  # the same person twice
    person("140221", 17, age="200"),
]


def test_every_broken_rule_is_reported_with_row_column_value_and_nothing_is_written(
    tmp_path, store, kaohe
):
    persons = write_csv(tmp_path / "in" / "persons.csv", PERSONS_HEADER, person_rows(GOOD + BAD))
    run = kaohe("import", "persons", persons, "--store", store)
    assert run.exit_code == 2
    bad_id = BAD[0]["person_id"]
    dup = GOOD[0]["person_id"]
    # data rows start on line 2; GOOD holds lines 2-4, BAD lines 5-12
    for line in (
        "persons.csv: 8 rules fail in 11 rows:",
        f"persons.csv:line 5: column person_id: value '{bad_id}' resident ID number has a wrong "
        "check digit",
        "persons.csv:line 6: column age: value 'abc' is not a whole number",
        "persons.csv:line 7: column sex: value 'M' is not one of 男, 女",
        "persons.csv:line 8: column unit: value '999999' is not a unit in the store",
        "persons.csv:line 9: column unit: value '130000' is not a unit of the kind and level "
        "region, county",
        "persons.csv:line 10: column poor_at_start: value (empty) must not be empty",
        "persons.csv:line 12: column age: value '200' is above the maximum 130",
        f"person_id='{dup}', period='2019' appears at persons.csv:line 2, persons.csv:line 11",
        "Nothing was written.",
    ):
        assert line in run.stderr, (line, run.stderr)
    assert snapshot_files(store, "persons") == []
    assert [p.name for p in (store / ".tmp").iterdir()] == []  # no scratch left behind


def test_examples_are_capped_per_rule_and_the_rest_counted(tmp_path, store, kaohe):
    people = [person("130224", n, sex="X") for n in range(12)]
    persons = write_csv(tmp_path / "in" / "persons.csv", PERSONS_HEADER, person_rows(people))
    run = kaohe("import", "persons", persons, "--store", store, "--examples", "3")
    assert run.exit_code == 2
    assert "● column sex is not one of 男, 女: 12 rows" in run.stderr
    assert run.stderr.count("value 'X' is not one of") == 3
    assert "persons.csv:line 4: column sex" in run.stderr  # the first three: lines 2, 3, 4
    assert "persons.csv:line 5: column sex" not in run.stderr
    assert "… and 9 more rows" in run.stderr


def test_quarantine_keeps_the_good_rows_and_writes_each_rejected_row_with_its_reasons(
    tmp_path, store, kaohe
):
    persons = write_csv(tmp_path / "in" / "persons.csv", PERSONS_HEADER, person_rows(GOOD + BAD))
    run = kaohe("import", "persons", persons, "--store", store, "--quarantine")
    assert run.exit_code == 0, run.stderr
    assert "imported 2 rows" in run.stdout  # GOOD[0] is set aside too: its ID repeats
    assert "9 rows set aside" in run.stdout
    parquet = next(p for p in snapshot_files(store, "persons") if p.suffix == ".parquet")
    kept = rows_of(parquet)
    assert [r[1] for r in kept] == [GOOD[1]["person_id"], GOOD[2]["person_id"]]
    assert kept[0][3] == int(GOOD[1]["age"]) and kept[0][5] is True  # typed: integer, boolean
    rejects = parquet.with_name(parquet.stem + ".rejects.csv")
    with rejects.open(encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["_line"] for r in rejected] == ["2", "5", "6", "7", "8", "9", "10", "11", "12"]
    reasons = {r["_line"]: r["_reason"] for r in rejected}
    assert reasons["2"] == "person_id+period repeated (every row with that key was set aside)"
    assert reasons["5"] == "person_id：resident ID number has a wrong check digit"
    assert reasons["6"] == "age：is not a whole number"
    assert reasons["10"] == "poor_at_start：must not be empty"
    assert rejected[3]["sex"] == "M"  # the row as it was written
    sidecar = json.loads(parquet.with_suffix(".json").read_text(encoding="utf-8"))
    assert (sidecar["rows"], sidecar["rows_read"], sidecar["rejected"]) == (2, 11, 9)


def test_a_row_with_several_problems_gets_every_reason(tmp_path, store, kaohe):
    people = [*GOOD, person("130224", 30, sex="M", age="-1")]
    persons = write_csv(tmp_path / "in" / "persons.csv", PERSONS_HEADER, person_rows(people))
    assert kaohe("import", "persons", persons, "--store", store, "--quarantine").exit_code == 0
    rejects = next(p for p in snapshot_files(store, "persons") if p.name.endswith("rejects.csv"))
    with rejects.open(encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["_reason"] == "age：is below the minimum 0；sex：is not one of 男, 女"


def id_ending_in_x(unit: str) -> str:
    return next(
        number
        for number in (resident_id(unit, "20010203", n) for n in range(100))
        if number.endswith("X")
    )


def test_gb18030_excel_and_parquet_files_give_the_same_rows_as_utf8(tmp_path, kaohe):
    people = [person("130224", n, exited=n % 2 == 0) for n in range(5)]
    people.append(person("140221", 7, person_id=id_ending_in_x("140221")[:-1] + "x"))
    utf8 = write_csv(tmp_path / "a" / "persons.csv", PERSONS_HEADER, person_rows(people))
    gb = write_csv(
        tmp_path / "b" / "persons.csv", PERSONS_HEADER, person_rows(people), encoding="gb18030"
    )
    assert "男".encode("gb18030") in gb.read_bytes()  # really not UTF-8
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PERSONS_HEADER)
    for p in people:
        # Excel keeps numbers and booleans as such: the import reads them as a CSV export would
        row = [p[c] for c in PERSONS_HEADER]
        row[3] = int(row[3])
        row[5] = row[5] == "true"
        sheet.append(row)
    xlsx = tmp_path / "c" / "persons.xlsx"
    xlsx.parent.mkdir()
    book.save(xlsx)
    typed = pa.table(
        {
            "unit": [p["unit"] for p in people],
            "person_id": [p["person_id"] for p in people],
            "household_id": [p["household_id"] for p in people],
            "age": pa.array([int(p["age"]) for p in people], pa.int32()),
            "sex": [p["sex"] for p in people],
            **{c: [p[c] == "true" for p in people] for c in PERSONS_HEADER[5:8]},
            "period": [p["period"] for p in people],
        }
    )
    parquet = tmp_path / "d" / "persons.parquet"
    parquet.parent.mkdir()
    pq.write_table(typed, parquet)
    units = write_csv(tmp_path / "units.csv", UNITS_HEADER, UNITS)
    contents = []
    for path in (utf8, gb, xlsx, parquet):
        store = tmp_path / f"store-{path.parent.name}"
        run = kaohe("import", "persons", path, "--store", store)
        assert run.exit_code == 2
        assert "has no units yet" in run.stderr and "kaohe import units" in run.stderr
        assert kaohe("import", "units", units, "--store", store).exit_code == 0
        run = kaohe("import", "persons", path, "--store", store)
        assert run.exit_code == 0, run.stderr
        (snapshot,) = [p for p in snapshot_files(store, "persons") if p.suffix == ".parquet"]
        contents.append(rows_of(snapshot))
    assert contents[0] == contents[1] == contents[2] == contents[3]
    assert contents[0][0][4] == people[0]["sex"]
    assert contents[0][-1][1] == id_ending_in_x("140221")  # stored as the compact form, with X


def test_excel_problems_are_reported_at_the_spreadsheet_row(tmp_path, store, kaohe):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PERSONS_HEADER)
    for p in [*GOOD, person("130224", 40, sex="M")]:
        sheet.append([p[c] for c in PERSONS_HEADER])
    xlsx = tmp_path / "persons.xlsx"
    book.save(xlsx)
    run = kaohe("import", "persons", xlsx, "--store", store)
    assert run.exit_code == 2
    assert "persons.xlsx:row 5: column sex: value 'M' is not one of 男, 女" in run.stderr


def test_a_gb18030_file_read_as_utf8_is_explained(tmp_path, store, kaohe):
    gb = write_csv(tmp_path / "persons.csv", PERSONS_HEADER, person_rows(GOOD), encoding="gb18030")
    run = kaohe("import", "persons", gb, "--store", store, "--encoding", "utf-8")
    assert run.exit_code == 2
    assert "is not valid UTF-8" in run.stderr and "--encoding gb18030" in run.stderr


def test_several_files_make_one_snapshot_and_duplicates_across_files_are_found(
    tmp_path, store, kaohe
):
    first = write_csv(tmp_path / "a.csv", PERSONS_HEADER, person_rows(GOOD))
    second = write_csv(
        tmp_path / "b.csv",
        PERSONS_HEADER,
        person_rows([person("130529", 1), person("130529", 2, person_id=GOOD[1]["person_id"])]),
    )
    run = kaohe("import", "persons", first, second, "--store", store)
    assert run.exit_code == 2
    assert (
        f"person_id='{GOOD[1]['person_id']}', period='2019' appears at a.csv:line 3, b.csv:line 3"
        in run.stderr
    )
    second = write_csv(tmp_path / "b.csv", PERSONS_HEADER, person_rows([person("130529", 1)]))
    run = kaohe("import", "persons", first, second, "--store", store)
    assert run.exit_code == 0, run.stderr
    (parquet,) = [p for p in snapshot_files(store, "persons") if p.suffix == ".parquet"]
    assert len(rows_of(parquet)) == 4
    sidecar = json.loads(parquet.with_suffix(".json").read_text(encoding="utf-8"))
    assert [f["name"] for f in sidecar["files"]] == ["a.csv", "b.csv"]
    assert sidecar["periods"] == {"2019": 4}
    assert sidecar["units"] == ["130224", "130529"]


def test_importing_the_same_content_twice_writes_nothing_and_nothing_is_ever_overwritten(
    tmp_path, store, kaohe
):
    persons = write_csv(tmp_path / "persons.csv", PERSONS_HEADER, person_rows(GOOD))
    assert kaohe("import", "persons", persons, "--store", store).exit_code == 0
    before = {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in snapshot_files(store, "persons")
    }
    (first,) = [p for p in snapshot_files(store, "persons") if p.suffix == ".parquet"]
    assert not os.stat(first).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    again = kaohe("import", "persons", persons, "--store", store)
    assert again.exit_code == 0
    assert "nothing was written" in again.stdout
    assert {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in snapshot_files(store, "persons")
    } == before
    # new content: a second snapshot beside the first, which becomes the latest
    changed = write_csv(tmp_path / "persons.csv", PERSONS_HEADER, person_rows(GOOD[:2]))
    assert kaohe("import", "persons", changed, "--store", store).exit_code == 0
    assert len(snapshot_files(store, "persons")) == 4
    listing = kaohe("snapshots", "list", "--store", store, "--source", "persons")
    lines = [line for line in listing.stdout.splitlines() if "persons" in line]
    assert len(lines) == 2 and "✓" not in lines[0] and "✓" in lines[1]
    # the first content again: still a no-op, and the user is told how to pick it
    restored = write_csv(tmp_path / "persons.csv", PERSONS_HEADER, person_rows(GOOD))
    run = kaohe("import", "persons", restored, "--store", store)
    assert "nothing was written" in run.stdout
    # rich may fold the line where an earlier test fixed the console's width: read it unfolded
    assert f"--snapshot persons={first.stem[:12]}" in " ".join(run.stdout.split())
    assert len(snapshot_files(store, "persons")) == 4


def test_units_parents_must_exist_and_must_not_loop(tmp_path, kaohe):
    missing = write_csv(
        tmp_path / "units.csv",
        UNITS_HEADER,
        [*UNITS, ("130300", "秦皇岛市", "139900", "city", "region")],
    )
    run = kaohe("import", "units", missing, "--store", tmp_path / "store")
    assert run.exit_code == 2
    assert (
        "units.csv:line 9: column parent: value '139900' is not a value of column unit"
        in run.stderr
    )
    looping = write_csv(
        tmp_path / "units.csv",
        UNITS_HEADER,
        [("A", "甲", "B", "province", "region"), ("B", "乙", "A", "province", "region")],
    )
    run = kaohe("import", "units", looping, "--store", tmp_path / "store")
    assert run.exit_code == 2
    assert "the parent chain loops: A → B → A" in run.stderr
    assert not (tmp_path / "store" / "units").exists()


def test_missing_columns_unknown_sources_and_unsupported_files_are_usage_errors(
    tmp_path, store, kaohe
):
    short = write_csv(tmp_path / "persons.csv", PERSONS_HEADER[:-1], [])
    run = kaohe("import", "persons", short, "--store", store)
    assert run.exit_code == 2 and "missing columns period" in run.stderr
    run = kaohe("import", "person", short, "--store", store)
    assert run.exit_code == 2 and "no schema for source person" in run.stderr
    assert "did you mean persons" in run.stderr
    old = tmp_path / "persons.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # a damaged .xls
    run = kaohe("import", "persons", old, "--store", store)
    assert run.exit_code == 2 and "save it as .xlsx" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_messages_are_in_chinese_by_default(tmp_path, store, kaohe):
    persons = write_csv(
        tmp_path / "persons.csv", PERSONS_HEADER, person_rows([person("130224", 1, sex="M")])
    )
    run = kaohe("import", "persons", persons, "--store", store, lang=None)
    assert run.exit_code == 2
    assert "persons.csv:第 2 行：列 sex 的值 'M' 不是允许的取值（男、女）" in run.stderr
    assert "未写入任何数据" in run.stderr


def test_a_users_own_schema_file(tmp_path, store, kaohe):
    schema = tmp_path / "visits.yaml"
    schema.write_text(
        "source: visits\nversion: 1\nunit: {column: county, levels: [county]}\n"
        "unique: [[visit]]\ncolumns:\n  visit: {type: text, required: true, pattern: 'V[0-9]+'}\n"
        "  county: {type: text, required: true}\n  minutes: {type: number, min: 0}\n",
        encoding="utf-8",
    )
    data = write_csv(
        tmp_path / "visits.csv",
        ["visit", "county", "minutes"],
        [("V1", "130224", 30), ("X2", "130224", 5)],
    )
    run = kaohe("import", schema, data, "--store", store)
    assert run.exit_code == 2
    assert "visits.csv:line 3: column visit: value 'X2' does not match V[0-9]+" in run.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("source: visits\nversion: 1\ncolumns:\n  a: {type: txt}\n", encoding="utf-8")
    run = kaohe("import", broken, data, "--store", store)
    assert run.exit_code == 2
    assert f"{broken}:4:" in run.stderr
