"""Importing a run counts its result rows, importing a ledger its items, for the command line's
progress bar; the count changes nothing imported."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from sqlalchemy import func, select
from tests.support.platform_world import build_world, world_run
from typer.testing import CliRunner

import kaohe.cli.data
from kaohe.cli import app
from kaohe.outcomes.ledger import EVENTS_FILE, Ledger
from kaohe.store.models import Rectification, Result, User
from kaohe.workflow import cycles, ledger_import
from kaohe.workflow import platform_results as results
from kaohe.workflow.roles import Actor

UNITS = ["130102", "130104", "140105", "140106", "130000"]


def _counted(calls: list[tuple[int, int]], total: int) -> None:
    """From (0, total) up to (total, total), rising at every call."""
    done = [d for d, _ in calls]
    assert done == sorted(set(done)), calls  # strictly increasing
    assert {t for _, t in calls} == {total}, calls
    assert calls[0] == (0, total) and calls[-1] == (total, total), calls


@pytest.fixture
def world(db, tmp_path):
    ids = build_world(db, tmp_path)
    with db.read() as session:
        return {name: Actor.of(session.get(User, uid)) for name, uid in ids.items()}


def _cycle(db, world, state: str) -> int:
    with db.write("admin", "cycle.create") as session:
        cycle = cycles.create_cycle(session, world["admin"], "world-test", "2019", "测试周期")
        cycle.state = state
        return cycle.id


def test_a_run_import_counts_its_result_rows(db, world, tmp_path):
    cycle_id = _cycle(db, world, "computation")
    calls: list[tuple[int, int]] = []
    with db.write("assessor", "results.import") as session:
        run = results.import_run(
            session,
            world["assessor"],
            cycle_id,
            world_run(tmp_path),
            progress=lambda done, total: calls.append((done, total)),
        )
        run_id = run.id
    _counted(calls, 2)  # the world's two provinces
    with db.read() as session:
        imported = session.scalar(select(func.count()).where(Result.run_id == run_id))
    assert imported == 2


def _ledger(directory, count: int) -> Ledger:
    ledger = Ledger(directory)
    opened = [
        (
            "item_opened",
            {
                "id": f"r-{number}",
                "kind": "rectification",
                "unit": UNITS[number % len(UNITS)],
                "unit_name": UNITS[number % len(UNITS)],
                "title": f"整改：{number}",
                "basis": "action:rectify",
                "scheme": "world-test",
                "period": "2019",
                "owner": UNITS[number % len(UNITS)],
                "deadline": "2020-06-30",
            },
        )
        for number in range(count)
    ]
    ledger.append(opened, actor="省考核办")
    return ledger


def test_a_ledger_import_counts_its_items_in_batches(db, world, tmp_path, monkeypatch):
    # batches of two, so that five items are counted in three steps after the start
    monkeypatch.setattr(ledger_import, "FLUSHED_TOGETHER", 2)
    cycle_id = _cycle(db, world, "outcomes")
    ledger = _ledger(tmp_path / "ledger", 5)
    for again in (False, True):  # added, then unchanged: counted the same
        calls: list[tuple[int, int]] = []
        with db.write("assessor", "rectification.import-ledger") as session:
            done = ledger_import.import_ledger(
                session,
                world["assessor"],
                ledger.directory,
                cycle_id,
                progress=lambda done, total: calls.append((done, total)),  # noqa: B023
            )
        assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
        _counted(calls, 5)
        assert (done.added, done.unchanged) == ((0, 5) if again else (5, 0))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Rectification)) == 5


def test_an_empty_ledger_is_counted_as_done(db, world, tmp_path):
    directory = tmp_path / "ledger"
    directory.mkdir()
    (directory / EVENTS_FILE).touch()  # a ledger with no events yet
    calls: list[tuple[int, int]] = []
    with db.write("assessor", "rectification.import-ledger") as session:
        done = ledger_import.import_ledger(
            session, world["assessor"], directory, None, progress=lambda *c: calls.append(c)
        )
    assert calls == [(0, 0)] and done.added == 0


def test_the_import_commands_count_on_a_terminal(db, world, tmp_path, monkeypatch):
    # SQLite only: the command line connects by URL, and PostgreSQL's test schema is set per
    # connection
    if not db.url.startswith("sqlite"):
        pytest.skip("the command line reaches the SQLite test database only")
    monkeypatch.setenv("KAOHE_LANG", "en")
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, soft_wrap=True)
    monkeypatch.setattr(kaohe.cli.data, "errors", terminal)
    runner = CliRunner()
    cycle_id = _cycle(db, world, "computation")
    imported = runner.invoke(
        app,
        ["db", "import-run", "--cycle", str(cycle_id), "--run", str(world_run(tmp_path))]
        + ["--url", db.url],
    )
    assert imported.exit_code == 0, imported.output
    # a bar that counted to the end (a pulsing one stays at 0 %)
    assert "100%" in screen.getvalue() and "result rows" in screen.getvalue()
    ledger = _ledger(tmp_path / "ledger", 3)
    args = ["db", "import-ledger", "--ledger", str(ledger.directory), "--cycle", str(cycle_id)]
    loaded = runner.invoke(app, [*args, "--url", db.url])
    assert loaded.exit_code == 0 and "3 new" in loaded.output, loaded.output
    assert "ledger items" in screen.getvalue()
