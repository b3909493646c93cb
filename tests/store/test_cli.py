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


def test_administration_from_the_command_line(tmp_path, monkeypatch):
    from sqlalchemy import select
    from tests.support.platform_world import WORLD_UNITS, world_run

    from kaohe.store.accounts import check_password, user_for_token
    from kaohe.store.models import Result, User

    monkeypatch.setenv("KAOHE_LANG", "en")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text(WORLD_UNITS, encoding="utf-8")
    assert runner.invoke(app, ["db", "import-units", str(units), "--url", url]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "db",
            "create-user",
            "hebei",
            "--role",
            "province",
            "--unit",
            "130000",
            "--password",
            "a long password",
            "--url",
            url,
        ],
    )
    assert created.exit_code == 0, created.output
    missing_unit = runner.invoke(
        app,
        [
            "db",
            "create-user",
            "x",
            "--role",
            "county",
            "--password",
            "a long password",
            "--url",
            url,
        ],
    )
    assert missing_unit.exit_code == 2 and "--unit" in missing_unit.output
    token = runner.invoke(app, ["db", "issue-token", "hebei", "--url", url]).output.strip()
    cycle = runner.invoke(
        app,
        [
            "db",
            "create-cycle",
            "--scheme",
            "world-test",
            "--period",
            "2019",
            "--title",
            "t",
            "--deadline",
            "submission=2020-01-31",
            "--url",
            url,
        ],
    )
    assert cycle.exit_code == 0, cycle.output
    imported = runner.invoke(
        app, ["db", "import-run", "--cycle", "1", "--run", str(world_run(tmp_path)), "--url", url]
    )
    assert imported.exit_code == 0, imported.output
    db = Database.connect(url)
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == "hebei"))
        assert check_password(user, "a long password") and user.unit_code == "130000"
        assert user_for_token(session, token).username == "hebei"
        assert session.get(Cycle, 1).deadlines == {"submission": "2020-01-31"}
        assert len(session.scalars(select(Result)).all()) == 2
    db.dispose()
    assert runner.invoke(app, ["audit", "verify", "--url", url]).exit_code == 0
