"""``kaohe serve --demo``: the demo loaded into a fresh platform database — the provincial
campaign over four years of one panel, the banks' cycle, and one account per role; a second start
keeps them and issues new passwords."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import csrf_of

from kaohe.demo.platform import BANKS, PROVINCIAL, load_demo
from kaohe.store import Database, migrate
from kaohe.store.models import Cycle, Rectification, Run, Unit
from kaohe.web.app import create_app
from kaohe.workflow.history import published_cycles, stored_runs
from kaohe.workflow.roles import ROLES


def test_the_demo_loads_into_the_platform_once(tmp_path, demo_settings):
    db = Database.connect(f"sqlite:///{tmp_path / 'kaohe.db'}")
    try:
        migrate.upgrade(db.write_engine)
        # A small panel of four years, made here: what is tested is the loading and the pages
        # (the data's size is the generator's own tests' concern).
        directory = tmp_path / "kaohe-demo"
        seed, persons = demo_settings["seed"], 12_000
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
        _an_assessor_follows_a_province_in_the_browser(db, accounts)

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


def _an_assessor_follows_a_province_in_the_browser(db, accounts):
    """The pages an assessor answers the campaign's questions with, on the demo's real schemes:
    last year's provinces graded 较差 and where they are (ranking, map), one of them over the
    years (its trend, 2016–2018), its indicators against its peers (its score card, every
    indicator of the bundled scheme, including those scored by a rule, without a target), and
    what it still has to rectify."""
    password = next(a.password for a in accounts if a.username == "demo_assessor")
    client = TestClient(create_app(db), raise_server_exceptions=False)
    token = csrf_of(client.get("/login").text)
    client.post(
        "/login",
        data={"username": "demo_assessor", "password": password, "csrf_token": token},
    )
    with db.read() as session:
        cycle = session.scalar(select(Cycle.id).where(Cycle.period == "2018"))
    ranking = client.get(f"/cycles/{cycle}/results", params={"grade": "较差"})
    assert ranking.status_code == 200 and 'id="map-chart"' in ranking.text
    worst = re.findall(rf'href="/cycles/{cycle}/results/(\d+)"', ranking.text)
    assert worst, "no province graded 较差 in the demo's 2018"
    card = client.get(f"/cycles/{cycle}/results/{worst[0]}")
    assert card.status_code == 200, card.text[:300]
    assert 'id="peers-chart"' in card.text and f'href="/trends/{worst[0]}"' in card.text
    # what follows from the grade, in English: who is interviewed as the scheme names them in
    # English with the Chinese beside, in English punctuation
    english = client.get(f"/cycles/{cycle}/results/{worst[0]}", params={"lang": "en"}).text
    assert "the principal Party and government leaders (党政主要负责同志)" in english
    assert "（" not in english.split('id="outcomes"')[-1].split("</ul>")[0]
    trend = client.get(f"/trends/{worst[0]}")
    assert trend.status_code == 200
    assert all(f"{year}年度" in trend.text for year in ("2016", "2017", "2018"))
    for code in set(re.findall(rf'href="/cycles/{cycle}/results/(\d+)"', ranking.text)):
        assert client.get(f"/cycles/{cycle}/results/{code}").status_code == 200, code
