"""Items of an outcomes ledger on the platform's rectification pages: imported once (again:
updated, never duplicated), shown in scope, and the platform's evidence and decisions appended to
the ledger, whose lifecycle refuses what it does not allow."""

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kaohe.cli import app as cli
from kaohe.errors import DataError
from kaohe.outcomes.ledger import Ledger
from kaohe.store.models import Attachment, Rectification
from kaohe.workflow.ledger_import import import_ledger

PNG = b"\x89PNG\r\n\x1a\nxxxx"


def _opened(item, unit, kind="rectification", scheme="world-test", period="2018"):
    return (
        "item_opened",
        {
            "id": item,
            "kind": kind,
            "unit": unit,
            "unit_name": unit,
            "title": f"整改：{item}",
            "basis": "action:rectify",
            "scheme": scheme,
            "period": period,
            "owner": unit,
            "deadline": "2020-06-30",
        },
    )


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(tmp_path / "ledger")
    ledger.append(
        [_opened("r-hebei", "130102"), _opened("f-shanxi", "140105", kind="finding")],
        actor="省考核办",
    )
    return ledger


def _import(db, world, ledger, cycle_id=None):
    with db.write("assessor", "rectification.import-ledger") as session:
        return import_ledger(session, world["actors"]["assessor"], ledger.directory, cycle_id)


def _row(db, item):
    with db.read() as session:
        return session.scalar(select(Rectification).where(Rectification.ledger_item == item))


@pytest.mark.postgresql
def test_ledger_items_on_the_pages_and_actions_back_in_the_ledger(login, world, db, ledger):
    done = _import(db, world, ledger)
    assert (done.added, done.updated) == (2, 0)
    page = f"/cycles/{world['done']}/rectifications"
    hebei, shanxi = login("hebei").get(page).text, login("shanxi").get(page).text
    assert "r-hebei" in hebei and "f-shanxi" not in hebei
    assert "f-shanxi" in shanxi and "r-hebei" not in shanxi and "问题" in shanxi

    county = login("changan")
    row = _row(db, "r-hebei")
    sent = county.post(
        f"/rectifications/{row.id}/evidence",
        data={"version": row.version, "note": "已整改", "csrf_token": county.csrf},
        files={"file": ("proof.png", PNG)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assessor = login("assessor")
    row = _row(db, "r-hebei")
    closed = assessor.post(
        f"/rectifications/{row.id}/verify",
        data={"decision": "close", "version": row.version, "csrf_token": assessor.csrf},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    state = ledger.state().items["r-hebei"]
    assert state.status == "closed" and _row(db, "r-hebei").status == "closed"
    assert [(s.kind, s.actor) for s in state.history[1:]] == [
        ("evidence_submitted", "changan"),
        ("verified", "assessor"),
    ]
    assert "proof.png" in state.evidence[0]
    assert ledger.verify() == 4  # the chain the platform extended is intact

    # The ledger moves on by the command line; importing again updates, never duplicates.
    ledger.append([("marked_overdue", {"item": "f-shanxi", "as_of": "2020-07-01"})], "cli")
    again = _import(db, world, ledger)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert _row(db, "f-shanxi").status == "overdue"
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Rectification)) == 3  # + world's
    assert "逾期" in login("shanxi").get(page).text


@pytest.mark.postgresql
def test_the_ledger_refuses_and_nothing_changes(login, world, db, ledger):
    _import(db, world, ledger)
    row = _row(db, "r-hebei")
    # closed in the ledger meanwhile (the platform's row still says open)
    ledger.append(
        [
            ("evidence_submitted", {"item": "r-hebei", "evidence": ["a.pdf"], "note": ""}),
            ("verified", {"item": "r-hebei", "note": ""}),
        ],
        "cli",
    )
    county = login("changan")
    refused = county.post(
        f"/rectifications/{row.id}/evidence",
        data={"version": row.version, "csrf_token": county.csrf},
        files={"file": ("proof.png", PNG)},
    )
    assert refused.status_code == 409 and "重新导入台账" in refused.text
    assert _row(db, "r-hebei").status == "open"
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert ledger.verify() == 4

    # A ledger moved elsewhere: refused with where to look, until imported from its new place.
    moved_ledger = Ledger(ledger.directory.rename(ledger.directory.with_name("moved")))
    shanxi = _row(db, "f-shanxi")
    county = login("shanxi")
    moved = county.post(
        f"/rectifications/{shanxi.id}/evidence",
        data={"version": shanxi.version, "csrf_token": county.csrf},
        files={"file": ("proof.png", PNG)},
    )
    assert moved.status_code == 409 and "找不到该事项的整改台账" in moved.text
    assert not ledger.directory.exists()  # nothing created at the old place
    _import(db, world, moved_ledger)
    shanxi = _row(db, "f-shanxi")
    again = county.post(
        f"/rectifications/{shanxi.id}/evidence",
        data={"version": shanxi.version, "csrf_token": county.csrf},
        files={"file": ("proof.png", PNG)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert moved_ledger.state().items["f-shanxi"].status == "submitted"


@pytest.mark.postgresql
def test_an_import_with_unknown_cycles_or_units_writes_nothing(world, db, tmp_path):
    ledger = Ledger(tmp_path / "other")
    ledger.append(
        [_opened("r-ok", "130102"), _opened("r-x", "999999", scheme="other", period="2017")],
        actor="x",
    )
    with pytest.raises(DataError) as error:
        _import(db, world, ledger)
    message = str(error.value)
    assert "999999" in message and "--cycle" in message and "events.jsonl" in message
    assert _row(db, "r-ok") is None


def test_import_ledger_from_the_command_line(world, db, ledger, monkeypatch):
    # SQLite only (not marked postgresql): the command line connects by URL, and PostgreSQL's
    # test schema is set per connection
    monkeypatch.setenv("KAOHE_LANG", "en")
    runner = CliRunner()
    args = ["db", "import-ledger", "--ledger", str(ledger.directory), "--url", db.url]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0 and "2 new" in first.output, first.output
    second = runner.invoke(cli, [*args, "--cycle", str(world["open"])])
    assert second.exit_code == 0 and "2 updated" in second.output
    assert _row(db, "r-hebei").cycle_id == world["open"]
    bad = runner.invoke(cli, ["db", "import-ledger", "--ledger", "/nonexistent", "--url", db.url])
    assert bad.exit_code == 2 and "not an outcomes ledger" in bad.output
