"""``kaohe db`` and ``kaohe audit verify`` through the real CLI."""

from sqlalchemy import update
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.store import Database
from kaohe.store.models import AuditEntry, Cycle

runner = CliRunner()


def _flat(result) -> str:
    return " ".join(result.output.split())  # rich wraps long lines


def test_db_upgrade_status_and_audit_verify(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KAOHE_LANG", "en")
    result = runner.invoke(app, ["db", "status", "--url", url])
    assert result.exit_code == 2 and "kaohe db upgrade" in _flat(result)
    result = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["db", "status", "--url", url]).exit_code == 0

    db = Database.connect(url)
    for period in ("2018", "2019", "2020"):
        with db.write("admin", "cycle.create") as session:
            session.add(
                Cycle(scheme="s", period=period, title="t", state="published", deadlines={})
            )
    result = runner.invoke(app, ["audit", "verify", "--url", url])
    assert result.exit_code == 0 and "3 entries" in _flat(result)

    with db.write_engine.begin() as connection:
        connection.execute(update(AuditEntry).where(AuditEntry.id == 2).values(after="{}"))
    db.dispose()
    result = runner.invoke(app, ["audit", "verify", "--url", url])
    assert result.exit_code == 2
    assert "audit entry 2 was edited" in _flat(result)


def test_db_upgrade_uses_the_environment_url(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "env.db").exists()
