"""``kaohe history --store``: a unit over the years from the platform's published cycles gives the
same table as ``--runs`` over the run directories the cycles were computed from (issue 15, part 4).

The three periods of ``tests.support.history`` (every number computed by hand there) are imported
into a real SQLite and PostgreSQL database as three published cycles; a fourth cycle, still in
review, must not count; rectification items come from the platform's own table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from tests.support.cli import Kaohe
from tests.support.history import PERIODS, assess_periods
from tests.support.platform_world import POSTGRES, migrated_database

from kaohe.store.accounts import create_user
from kaohe.store.units import import_units
from kaohe.workflow import cycles, rectification
from kaohe.workflow import platform_results as results
from kaohe.workflow.roles import Actor


def _csv(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def _platform(db, root, runs) -> None:
    with db.write("tests", "tests.units") as session:
        for period in PERIODS:  # D joins in 2020
            import_units(session, root / "cases" / period / "data" / "units.csv")
        admin = Actor.of(create_user(session, "admin", "x" * 16, "admin"))
        assessor = Actor.of(create_user(session, "assessor", "y" * 16, "assessor"))
    created = {}
    for period, run_dir in runs.items():
        scheme_id = PERIODS[period][0]["id"]
        with db.write("tests", "tests.cycle") as session:
            cycle = cycles.create_cycle(session, admin, scheme_id, period, f"考核（{period}年度）")
            cycle.state = "computation"
            session.flush()
            results.import_run(session, assessor, cycle.id, run_dir)
            cycle.state = "outcomes" if period == "2020" else "feedback"
            created[period] = cycle.id
    with db.write("tests", "tests.unpublished") as session:
        # 2022 under review: its results are not the unit's record yet
        cycle = cycles.create_cycle(session, admin, "tiny-2021", "2022", "考核（2022年度）")
        cycle.state = "computation"
        session.flush()
        results.import_run(session, assessor, cycle.id, runs["2021"])
        cycle.state = "review"
        for title, day in (("错退整改", 1), ("资金整改", 2)):
            rectification.create(
                session, assessor, created["2020"], "A", title, dt.date(2021, 3, day)
            )


def _url(db) -> str:
    schema = getattr(db, "schema", None)  # PostgreSQL: the test's schema, named in the URL
    return f"{POSTGRES}?options=-csearch_path%3D{schema}" if schema else db.url


def test_history_from_the_store_is_the_history_of_the_runs(db, tmp_path):
    """``db``: an empty, migrated SQLite or PostgreSQL database (tests/workflow/conftest.py)."""
    runs = assess_periods(tmp_path)
    kaohe = Kaohe()
    _platform(db, tmp_path, runs)
    args = ["history", "--unit", "A", "--format", "csv"]
    stored = kaohe(*args, "--store", _url(db))
    directories = kaohe(*args, "--runs", tmp_path / "runs")
    assert stored.exit_code == 0, stored.stderr
    assert directories.exit_code == 0, directories.stderr
    from_store, from_runs = _csv(stored.stdout), _csv(directories.stdout)
    assert [r["period"] for r in from_store] == ["2019", "2020", "2021"]  # not 2022 (in review)
    for a, b in zip(from_store, from_runs, strict=True):
        differing = {k for k in a if a[k] != b[k]}
        assert differing <= {"run", "scheme_title", "rectification_items", "rectifications",
                             "rectification_unresolved"}, (a, b)  # fmt: skip
    # by hand (tests.support.history): 100 好 → 80 中 (down 20) → 90 好 under the new scheme
    assert [(r["score"], r["grade"], r["score_change"], r["grade_change"]) for r in from_store] == [
        ("100.0", "好", "", ""),
        ("80.0", "中", "-20.0", "down"),
        ("90.0", "好", "", ""),
    ]
    assert from_store[2]["scheme_changed_from"] == "tiny-2016"
    as_json = json.loads(kaohe(*args[:-2], "--format", "json", "--store", _url(db)).stdout)
    assert "cycle" in as_json["years"][0]["run"]  # where each row comes from
    second = from_store[1]
    assert (second["rectification_items"], second["rectification_unresolved"]) == ("2", "2")
    assert "错退整改" in second["rectifications"] and "资金整改" in second["rectifications"]


def test_history_store_refuses_what_it_cannot_read(tmp_path):
    kaohe = Kaohe()
    directory = kaohe("history", "--store", tmp_path, "--unit", "A")
    assert directory.exit_code == 2 and "snapshot store keeps data, not runs" in directory.stderr
    both = kaohe("history", "--store", "sqlite:///x.db", "--runs", tmp_path, "--unit", "A")
    assert both.exit_code == 2 and "one of the two" in both.stderr
    ledger = kaohe("history", "--store", "sqlite:///x.db", "--ledger", tmp_path, "--unit", "A")
    assert ledger.exit_code == 2 and "--ledger goes with --runs only" in ledger.stderr
    with migrated_database("sqlite", tmp_path) as db:
        empty = kaohe("history", "--store", db.url, "--unit", "A")
    assert empty.exit_code == 2 and "no cycle with published results" in empty.stderr
