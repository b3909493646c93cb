"""``kaohe assess --store``: the latest snapshot of each source, or one named by hash; the
manifest names the snapshots read; a store run gives the same results as the data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.data import PERSONS_HEADER, UNITS, UNITS_HEADER, person, person_rows
from tests.support.files import write_csv

SCHEME = """\
id: store-test
title: 数据仓测试
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
sources:
  persons: {columns: {poor_at_start: boolean, poor_at_end: boolean}}
measures:
  poor_start: {source: persons, expr: "count(*) filter (where poor_at_start)"}
  poor_end: {source: persons, expr: "count(*) filter (where poor_at_end)"}
indicators:
  reduction:
    expr: "(poor_start - poor_end) / nullif(poor_start, 0)"
    score: {method: goalposts, min: 0, max: 1}
tree: [reduction]
grading: {bands: [[50, 好], [null, 差]]}
"""

PEOPLE = [person("130224", n, exited=n % 3 == 0) for n in range(9)] + [
    person("140221", n, exited=n % 2 == 0) for n in range(4)
]


@pytest.fixture
def case(tmp_path, kaohe):
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    data = tmp_path / "data"
    write_csv(data / "units.csv", UNITS_HEADER, UNITS)
    write_csv(data / "persons.csv", PERSONS_HEADER, person_rows(PEOPLE))
    store = tmp_path / "store"
    for source in ("units", "persons"):
        run = kaohe("import", source, data / f"{source}.csv", "--store", store)
        assert run.exit_code == 0, run.stderr
    return scheme, data, store


def snapshot_of(store: Path, source: str) -> Path:
    (found,) = [p for p in (store / source).glob("*.parquet")]
    return found


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_store_run_equals_a_data_directory_run_and_names_its_snapshots(case, tmp_path, kaohe):
    scheme, data, store = case
    by_dir = kaohe("assess", "--scheme", scheme, "--data", data, "--out", tmp_path / "dir")
    by_store = kaohe(
        "assess", "--scheme", scheme, "--store", store, "--out", tmp_path / "store-run"
    )
    assert by_dir.exit_code == 0 and by_store.exit_code == 0, by_store.stderr
    for name in ("results.csv", "explain.json"):
        assert (tmp_path / "dir" / name).read_bytes() == (
            tmp_path / "store-run" / name
        ).read_bytes()
    inputs = manifest(tmp_path / "store-run")["inputs"]
    persons = snapshot_of(store, "persons")
    assert inputs["persons"] == {
        "file": str(persons),
        "sha256": persons.stem,
        "rows": 13,
        "units_with_rows": 2,  # of the assessed units, those with rows (their own or below)
        "units_expected": 2,
    }
    assert inputs["units"]["sha256"] == snapshot_of(store, "units").stem


def test_the_latest_snapshot_is_read_unless_one_is_named(case, tmp_path, kaohe):
    scheme, data, store = case
    first = snapshot_of(store, "persons").stem
    fewer = write_csv(tmp_path / "persons.csv", PERSONS_HEADER, person_rows(PEOPLE[:9]))
    assert kaohe("import", "persons", fewer, "--store", store).exit_code == 0
    latest = kaohe("assess", "--scheme", scheme, "--store", store, "--out", tmp_path / "latest")
    assert latest.exit_code == 0, latest.stderr
    named = kaohe(
        "assess", "--scheme", scheme, "--store", store, "--out", tmp_path / "named",
        "--snapshot", f"persons={first[:8]}",
    )  # fmt: skip
    assert named.exit_code == 0, named.stderr
    assert manifest(tmp_path / "named")["inputs"]["persons"]["sha256"] == first
    assert manifest(tmp_path / "latest")["inputs"]["persons"]["sha256"] != first
    assert manifest(tmp_path / "latest")["inputs"]["persons"]["rows"] == 9
    explain = json.loads((tmp_path / "latest" / "explain.json").read_text(encoding="utf-8"))
    # only 130224's people left: 140000 has no rows, so no evidence (not a count of 0)
    assert explain["units"]["140000"]["measures"]["poor_start"] is None


def test_wrong_store_options_are_usage_errors(case, tmp_path, kaohe):
    scheme, data, store = case
    base = ["assess", "--scheme", scheme, "--out", tmp_path / "out"]
    both = kaohe(*base, "--data", data, "--store", store)
    assert both.exit_code == 2 and "--data DIR or --store DIR (one of them)" in both.stderr
    neither = kaohe(*base)
    assert neither.exit_code == 2
    unknown = kaohe(*base, "--store", store, "--snapshot", "persons=ffff")
    assert (
        unknown.exit_code == 2
        and "no snapshot of source persons starts with ffff" in unknown.stderr
    )
    other = kaohe(*base, "--store", store, "--snapshot", "households=ab")
    assert other.exit_code == 2 and "sources the scheme does not read: households" in other.stderr
    empty = kaohe(*base, "--store", tmp_path / "empty-store")
    assert empty.exit_code == 2 and "does not exist" in empty.stderr
    assert not (tmp_path / "out").exists()


def test_a_snapshot_whose_units_are_gone_is_refused(case, tmp_path, kaohe):
    scheme, data, store = case
    fewer_units = write_csv(
        tmp_path / "units.csv", UNITS_HEADER, [u for u in UNITS if u[0] != "140221"]
    )
    assert kaohe("import", "units", fewer_units, "--store", store).exit_code == 0
    run = kaohe("assess", "--scheme", scheme, "--store", store, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert (
        "unit '140221' is not in the units (the snapshot was imported against other units)"
        in run.stderr
    )


def test_a_period_that_no_row_has_is_an_error(case, tmp_path, kaohe):
    scheme, data, store = case
    for source in ("--data", "--store"):
        where = data if source == "--data" else store
        run = kaohe(
            "assess",
            "--scheme",
            scheme,
            source,
            where,
            "--out",
            tmp_path / "out",
            "--period",
            "2091",
        )
        assert run.exit_code == 2
        assert "no rows for period 2091 (the periods in column period: 2019)" in run.stderr
