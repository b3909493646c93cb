"""``kaohe serve --demo``: the demo loaded into a fresh platform database — the provincial
campaign over four years of one panel, the banks' cycle, and one account per role; a second start
keeps them and issues new passwords."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from kaohe.demo.platform import BANKS, PROVINCIAL, load_demo
from kaohe.store import Database, migrate
from kaohe.store.models import Cycle, Rectification, Run, Unit
from kaohe.workflow.history import published_cycles, stored_runs
from kaohe.workflow.roles import ROLES


def test_the_demo_loads_into_the_platform_once(tmp_path, copy_demo, demo_settings):
    db = Database.connect(f"sqlite:///{tmp_path / 'kaohe.db'}")
    try:
        migrate.upgrade(db.write_engine)
        # This year's data is the session's demo data set (same seed and size; load_demo
        # generates only what is missing): the years before, of the same panel, are made here.
        directory = copy_demo("kaohe-demo").parent
        seed, persons = demo_settings["seed"], demo_settings["persons"]
        accounts = load_demo(db, directory, seed=seed, persons=persons)
        assert sorted(a.role for a in accounts) == sorted(ROLES)
        with db.read() as session:
            states = {(c.scheme, c.period): c.state for c in session.scalars(select(Cycle))}
            runs = session.scalar(select(func.count()).select_from(Run))
            provinces = session.scalar(
                select(func.count()).select_from(Unit).where(Unit.level == "province")
            )
        assert states == {
            (PROVINCIAL, "2016"): "closed",
            (PROVINCIAL, "2017"): "outcomes",
            (PROVINCIAL, "2018"): "feedback",
            (PROVINCIAL, "2019"): "submission",
            (BANKS, "2019"): "review",
        }
        assert runs == 4  # the provincial results of 2016–2018 and this year's banks
        assert provinces == 22
        assert (directory / "runs" / BANKS / "explain.json").is_file()
        assert (directory / "data-2018" / "units.csv").is_file()
        _one_panel_over_the_years(db, directory)

        again = load_demo(db, directory, seed=seed, persons=persons)
        assert [a.username for a in again] == [a.username for a in accounts]
        assert all(a.password != b.password for a, b in zip(again, accounts, strict=True))
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Cycle)) == 5
    finally:
        db.dispose()


def _one_panel_over_the_years(db, directory):
    """2016–2018 are published, each run on its own year's data (its period is the cycle's),
    with last year's grade carried; the same provinces every year; 2016's items all closed,
    2017's half closed, 2018's open."""
    with db.read() as session:
        cycles = published_cycles(session, [PROVINCIAL])
        runs = stored_runs(session, cycles)
        items = {
            period: sorted(status for (status,) in rows)
            for period, rows in _statuses_by_period(session).items()
        }
    assert [c.period for c in cycles] == ["2016", "2017", "2018"]
    assert [r.period for r in runs] == ["2016", "2017", "2018"]
    assert len({frozenset(r.units) for r in runs}) == 1  # the same provinces every year
    manifest = json.loads((directory / "runs-2017" / PROVINCIAL / "manifest.json").read_text())
    assert manifest["period"] == "2017"
    results = (directory / "runs-2017" / PROVINCIAL / "results.csv").read_text(encoding="utf-8")
    assert "previous_grade" in results.splitlines()[0]
    assert set(items["2016"]) == {"closed"}
    assert items["2017"].count("closed") == (len(items["2017"]) + 1) // 2
    assert set(items["2018"]) == {"open"}


def _statuses_by_period(session):
    rows = session.execute(
        select(Cycle.period, Rectification.status).join(Cycle, Rectification.cycle_id == Cycle.id)
    )
    by_period: dict[str, list] = {}
    for period, status in rows:
        by_period.setdefault(period, []).append((status,))
    return by_period
