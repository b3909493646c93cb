"""Imports in bounded memory (issue 17): DuckDB runs every import under a memory limit (the one
given, else ``DEFAULT_MEMORY_LIMIT``), and a quarantine whose sort back into file order spills to
disk writes the same rows, in the same order, under the same content-named snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psutil
import pyarrow.parquet as pq
import pytest
from tests.support.data import PERSONS_HEADER, UNITS, UNITS_HEADER, person, person_rows
from tests.support.files import write_csv

from kaohe.data.importer import DEFAULT_MEMORY_LIMIT, import_files
from kaohe.data.progress import Tracker
from kaohe.data.schemas import load_schema
from kaohe.data.snapshots import Store

COUNTIES = ("130224", "130529", "140221")
ROW_GROUP = 489 * 2048  # the writer's 1,000,000 rows, rounded up to whole chunks of the sort


class MemoryLimits(Tracker):
    """A silent tracker that also notes the memory limit of the connection each long query of
    the import runs on: what the import asked of DuckDB."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def query_with_names(self, con, sql, description):
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
        self.seen.add(limit)
        return super().query_with_names(con, sql, description)


def units_store(root: Path, kaohe) -> Store:
    units = write_csv(root / "units.csv", UNITS_HEADER, UNITS)
    run = kaohe("import", "units", units, "--store", root / "store")
    assert run.exit_code == 0, run.stderr
    return Store(root / "store")


def limits_of_an_import(tmp_path: Path, kaohe, memory_limit: str | None) -> set[str]:
    people = [person(COUNTIES[n % 3], n, age="abc" if n % 5 == 0 else "30") for n in range(300)]
    path = write_csv(tmp_path / "in" / "persons.csv", PERSONS_HEADER, person_rows(people))
    limits = MemoryLimits()
    result = import_files(
        units_store(tmp_path, kaohe),
        load_schema("persons"),
        [path],
        quarantine=True,
        memory_limit=memory_limit,
        tracker=limits,
    )
    assert result.rows_accepted == 240
    return limits.seen


@pytest.mark.skipif(
    0.8 * psutil.virtual_memory().total <= DEFAULT_MEMORY_LIMIT,
    reason="DuckDB's own default (80 % of RAM) is the smaller bound on this machine",
)
def test_an_import_given_no_memory_limit_runs_under_the_default_bound(tmp_path, kaohe):
    assert limits_of_an_import(tmp_path, kaohe, None) == {"3.0 GiB"}


@pytest.mark.parametrize(("given", "shown"), [("96MiB", "96.0 MiB"), ("6GiB", "6.0 GiB")])
def test_an_import_runs_under_the_memory_limit_it_is_given(tmp_path, kaohe, given, shown):
    assert limits_of_an_import(tmp_path, kaohe, given) == {shown}


def households_file(path: Path, rows: int, every: int) -> Path:
    """``rows`` households in file order, one in ``every`` of size 0 (the minimum is 1)."""
    counties = ", ".join(f"'{c}'" for c in COUNTIES)
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT [{counties}][i % 3 + 1] AS unit, 'H' || i AS household_id, "
        f"CASE WHEN i % {every} = 7 THEN 0 ELSE 1 + i % 6 END AS size, "
        "3000.0 + i % 997 AS income_per_capita, 2800.0 + i % 991 AS income_last_year, "
        "i % 2 = 0 AS food_clothing_ok, true AS education_ok, i % 3 > 0 AS medical_ok, "
        "true AS housing_ok, i % 5 > 0 AS water_ok, i % 7 > 0 AS labour_capacity, "
        f"'在册贫困户' AS status, '2019' AS period FROM range({rows}) t(i)) "
        f"TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 100000)"
    )
    return path


def test_a_quarantine_that_spills_keeps_file_order_and_the_snapshot_id(tmp_path, kaohe):
    # more rows than one row group of the snapshot, so that its cuts are compared too
    rows, every = 1_100_000, 40_000
    bad = len(range(7, rows, every))
    path = households_file(tmp_path / "in" / "households.parquet", rows, every)
    snapshots = []
    for name, limit in (("roomy", "6GiB"), ("spilling", "192MiB")):
        result = import_files(
            units_store(tmp_path / name, kaohe),
            load_schema("households"),
            [path],
            quarantine=True,
            memory_limit=limit,
        )
        assert (result.rows_read, result.rejected) == (rows, bad)
        snapshots.append(result.snapshot)
    roomy, spilling = snapshots
    assert spilling.sha256 == roomy.sha256
    assert spilling.path.read_bytes() == roomy.path.read_bytes()
    metadata = pq.ParquetFile(spilling.path).metadata
    groups = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert groups == [ROW_GROUP, rows - bad - ROW_GROUP]
    # file order: the household numbers rise, with exactly the rejected ones missing
    numbers = duckdb.sql(
        f"SELECT CAST(household_id[2:] AS BIGINT) FROM read_parquet('{spilling.path}')"
    ).fetchnumpy()
    kept = next(iter(numbers.values()))
    assert (kept[1:] > kept[:-1]).all()
    assert len(kept) == rows - bad and kept[0] == 0 and kept[-1] == rows - 1
