"""``kaohe audit checkpoint`` and ``verify --checkpoint``: a chain cut at its newest end, or
emptied, verifies on its own; against the head kept elsewhere it does not (issue 14)."""

from __future__ import annotations

import json

from sqlalchemy import delete, update
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.store import Database
from kaohe.store.audit_log import _canonical, entry_hash
from kaohe.store.models import AuditEntry, AuditHead, Cycle

runner = CliRunner()


def _flat(result) -> str:
    return " ".join(result.output.split())


def _database(tmp_path, monkeypatch, entries: int = 3) -> tuple[str, Database]:
    monkeypatch.setenv("KAOHE_LANG", "en")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    db = Database.connect(url)
    for period in range(entries):
        _add_cycle(db, str(2018 + period))
    return url, db


def _add_cycle(db: Database, period: str) -> None:
    with db.write("admin", "cycle.create") as session:
        session.add(Cycle(scheme="s", period=period, title="t", state="published", deadlines={}))


def _cut_newest(db: Database, keep: int) -> None:
    """Delete the newest entries and move the head back: the chain is whole again."""
    with db.write_engine.begin() as connection:
        kept = (
            connection.execute(AuditEntry.__table__.select().where(AuditEntry.id == keep))
            .mappings()
            .first()
        )
        connection.execute(delete(AuditEntry).where(AuditEntry.id > keep))
        connection.execute(update(AuditHead).values(last_id=keep, last_hash=kept["hash"]))


def test_a_checkpoint_records_the_head_on_stdout_or_in_a_file(tmp_path, monkeypatch):
    url, db = _database(tmp_path, monkeypatch)
    db.dispose()
    printed = runner.invoke(app, ["audit", "checkpoint", "--url", url])
    assert printed.exit_code == 0, printed.output
    head = json.loads(printed.stdout)
    assert head["count"] == 3 and head["last_id"] == 3 and len(head["last_hash"]) == 64
    assert head["at"]
    saved = tmp_path / "kept-elsewhere" / "audit-head.json"
    written = runner.invoke(app, ["audit", "checkpoint", "--url", url, "--out", str(saved)])
    assert written.exit_code == 0, written.output
    assert json.loads(saved.read_text(encoding="utf-8"))["last_hash"] == head["last_hash"]
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(saved)])
    assert verified.exit_code == 0, verified.output
    assert "checkpoint" in _flat(verified)


def test_a_log_that_grew_since_the_checkpoint_verifies(tmp_path, monkeypatch):
    url, db = _database(tmp_path, monkeypatch)
    saved = tmp_path / "head.json"
    assert (
        runner.invoke(app, ["audit", "checkpoint", "--url", url, "--out", str(saved)]).exit_code
        == 0
    )
    _add_cycle(db, "2030")
    db.dispose()
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(saved)])
    assert verified.exit_code == 0, verified.output
    assert "4 entries" in _flat(verified)


def test_deleting_the_newest_entries_is_caught_by_the_checkpoint(tmp_path, monkeypatch):
    url, db = _database(tmp_path, monkeypatch)
    saved = tmp_path / "head.json"
    assert (
        runner.invoke(app, ["audit", "checkpoint", "--url", url, "--out", str(saved)]).exit_code
        == 0
    )
    _cut_newest(db, keep=1)
    db.dispose()
    alone = runner.invoke(app, ["audit", "verify", "--url", url])
    assert alone.exit_code == 0  # the shortened chain is consistent in itself
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(saved)])
    assert verified.exit_code == 2
    assert "audit entry 3" in _flat(verified) and "missing" in _flat(verified)


def test_an_emptied_log_is_caught_by_the_checkpoint(tmp_path, monkeypatch):
    url, db = _database(tmp_path, monkeypatch)
    saved = tmp_path / "head.json"
    assert (
        runner.invoke(app, ["audit", "checkpoint", "--url", url, "--out", str(saved)]).exit_code
        == 0
    )
    with db.write_engine.begin() as connection:
        connection.execute(delete(AuditEntry))
        connection.execute(delete(AuditHead))
    db.dispose()
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(saved)])
    assert verified.exit_code == 2, verified.output
    assert "0 entries" in _flat(verified) and "3" in _flat(verified)


def test_an_entry_rewritten_at_the_checkpoint_is_caught(tmp_path, monkeypatch):
    """The whole chain recomputed after an edit: consistent again, but not the hash kept."""
    url, db = _database(tmp_path, monkeypatch)
    saved = tmp_path / "head.json"
    assert (
        runner.invoke(app, ["audit", "checkpoint", "--url", url, "--out", str(saved)]).exit_code
        == 0
    )
    with db.write_engine.begin() as connection:
        rows = connection.execute(AuditEntry.__table__.select().order_by(AuditEntry.id)).mappings()
        previous = "0" * 64
        for row in [dict(r) for r in rows]:
            row["actor"] = "somebody else"
            row["prev_hash"] = previous
            row["hash"] = previous = entry_hash(previous, _canonical(row))
            connection.execute(
                update(AuditEntry)
                .where(AuditEntry.id == row["id"])
                .values(actor=row["actor"], prev_hash=row["prev_hash"], hash=row["hash"])
            )
        connection.execute(update(AuditHead).values(last_hash=previous))
    db.dispose()
    assert runner.invoke(app, ["audit", "verify", "--url", url]).exit_code == 0
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(saved)])
    assert verified.exit_code == 2
    assert "audit entry 3" in _flat(verified) and "hash" in _flat(verified)


def test_a_checkpoint_file_that_is_not_one_is_named(tmp_path, monkeypatch):
    url, db = _database(tmp_path, monkeypatch, entries=1)
    db.dispose()
    bad = tmp_path / "head.json"
    bad.write_text("{}", encoding="utf-8")
    verified = runner.invoke(app, ["audit", "verify", "--url", url, "--checkpoint", str(bad)])
    assert verified.exit_code == 2 and "head.json" in _flat(verified)
    missing = runner.invoke(
        app, ["audit", "verify", "--url", url, "--checkpoint", str(tmp_path / "none.json")]
    )
    assert missing.exit_code == 2 and "none.json" in _flat(missing)
