"""``kaohe serve --demo``: the demo loaded into a fresh platform database — three cycles in
different states and one account per role; a second start keeps them and issues new passwords."""

from __future__ import annotations

from sqlalchemy import func, select

from kaohe.demo.platform import BANKS, PROVINCIAL, load_demo
from kaohe.store import Database, migrate
from kaohe.store.models import Cycle, Run, Unit
from kaohe.workflow.roles import ROLES


def test_the_demo_loads_into_the_platform_once(tmp_path, copy_demo, demo_settings):
    db = Database.connect(f"sqlite:///{tmp_path / 'kaohe.db'}")
    try:
        migrate.upgrade(db.write_engine)
        # This year's data is the session's demo data set (same seed; load_demo generates only
        # what is missing): last year's, seed + 1, is generated here.
        directory = copy_demo("kaohe-demo").parent
        seed = demo_settings["seed"]
        accounts = load_demo(db, directory, seed=seed)
        assert sorted(a.role for a in accounts) == sorted(ROLES)
        with db.read() as session:
            states = {(c.scheme, c.period): c.state for c in session.scalars(select(Cycle))}
            runs = session.scalar(select(func.count()).select_from(Run))
            provinces = session.scalar(
                select(func.count()).select_from(Unit).where(Unit.level == "province")
            )
        assert states == {
            (PROVINCIAL, "2018"): "feedback",
            (PROVINCIAL, "2019"): "submission",
            (BANKS, "2019"): "review",
        }
        assert runs == 2  # last year's provincial results and this year's banks
        assert provinces == 22
        assert (directory / "runs" / BANKS / "explain.json").is_file()
        assert (directory / "data-2018" / "units.csv").is_file()

        again = load_demo(db, directory, seed=seed)
        assert [a.username for a in again] == [a.username for a in accounts]
        assert all(a.password != b.password for a, b in zip(again, accounts, strict=True))
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Cycle)) == 3
    finally:
        db.dispose()
