"""The store against real SQLite and PostgreSQL: migrations, audit chain, locking, units, accounts."""

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from kaohe.store import Database, SchemaOutOfDate, audit_log, require_current
from kaohe.store.accounts import check_password, create_user, issue_token, user_for_token
from kaohe.store.locking import ConflictError, expect_version
from kaohe.store.models import AuditEntry, Cycle, Finding, Role, Unit
from kaohe.store.units import import_units, subtree_codes

UNITS = """unit,name,parent,level,kind,region
000000,全国,,nation,region,
130000,河北省,000000,province,region,中部
130100,石家庄市,130000,city,region,中部
130102,长安区,130100,county,region,中部
140000,山西省,000000,province,region,中部
140100,太原市,140000,city,region,中部
"""


def _units(tmp_path: Path) -> Path:
    file = tmp_path / "units.csv"
    file.write_text(UNITS, encoding="utf-8")
    return file


def test_migrations_seed_roles_and_schema_is_current(db):
    require_current(db.engine)
    with db.read() as session:
        codes = set(session.scalars(select(Role.code)))
    assert {"admin", "province", "county", "verifier", "auditor"} <= codes


def test_migrations_build_exactly_the_models(db):
    """What the shipped migrations create is what the models declare (tables, columns, types,
    indexes, constraints): a model changed without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from kaohe.store.models import Base

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_empty_database_is_refused_with_the_fix(tmp_path):
    db = Database.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate, match="kaohe db upgrade"):
        require_current(db.engine)
    db.dispose()


def test_units_subtree_is_a_path_prefix(db, tmp_path):
    with db.write("tester", "import units") as session:
        assert import_units(session, _units(tmp_path)) == 6
    with db.read() as session:
        assert sorted(subtree_codes(session, "130000")) == ["130000", "130100", "130102"]
        assert session.get(Unit, "130102").path == "/000000/130000/130100/130102/"
        assert session.get(Unit, "130000").attributes["region"] == "中部"


def _cycle_and_finding(db, tmp_path):
    with db.write("tester", "setup") as session:
        import_units(session, _units(tmp_path))
        cycle = Cycle(scheme="s", period="2019", title="t", state="submission", deadlines={})
        session.add(cycle)
        session.flush()
        finding = Finding(cycle_id=cycle.id, unit_code="130102", kind="档案不全", created_by="x")
        session.add(finding)
        session.flush()
        return finding.id


def test_every_write_is_audited_with_before_and_after(db, tmp_path):
    finding_id = _cycle_and_finding(db, tmp_path)
    with db.write("alice", "finding.update") as session:
        session.get(Finding, finding_id).status = "withdrawn"
    with db.read() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.id for e in entries] == list(range(1, len(entries) + 1))
        last = entries[-1]
        assert (last.actor, last.action, last.entity, last.entity_id) == (
            "alice",
            "finding.update",
            "findings",
            str(finding_id),
        )
        assert '"status": "open"' in last.before and '"status": "withdrawn"' in last.after
        assert entries[0].prev_hash == "0" * 64
        assert audit_log.verify(session) == []


def test_audit_verify_names_an_edited_entry(db, tmp_path):
    _cycle_and_finding(db, tmp_path)
    with db.write_engine.begin() as connection:  # tampering behind the application's back
        connection.execute(update(AuditEntry).where(AuditEntry.id == 3).values(actor="mallory"))
    with db.read() as session:
        problems = audit_log.verify(session)
    assert [p.entry_id for p in problems] == [3]


def test_audit_verify_names_a_deleted_entry_in_the_middle_and_at_the_end(db, tmp_path):
    _cycle_and_finding(db, tmp_path)
    with db.read() as session:
        last = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
    with db.write_engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.id == last))
    with db.read() as session:
        assert [p.entry_id for p in audit_log.verify(session)] == [last]
    with db.write_engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    with db.read() as session:
        assert [p.entry_id for p in audit_log.verify(session)] == [2]


def test_rolled_back_write_leaves_no_entry_and_chain_intact(db, tmp_path):
    finding_id = _cycle_and_finding(db, tmp_path)
    with db.read() as session:
        before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
    with pytest.raises(RuntimeError), db.write("bob", "finding.update") as session:
        session.get(Finding, finding_id).cases = 7
        session.flush()
        raise RuntimeError("crash after the flush")
    with db.read() as session:
        assert session.get(Finding, finding_id).cases == 1
        assert session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) == before
        assert audit_log.verify(session) == []
    with db.write("bob", "finding.update") as session:
        session.get(Finding, finding_id).cases = 2
    with db.read() as session:
        assert audit_log.verify(session) == []


def test_two_reviewers_cannot_overwrite_each_other(db, tmp_path):
    finding_id = _cycle_and_finding(db, tmp_path)
    with db.read() as session:
        seen = session.get(Finding, finding_id).version  # both reviewers opened the page
    with db.write("reviewer-a", "finding.update") as session:
        finding = session.get(Finding, finding_id)
        expect_version(finding, seen, "finding")
        finding.status = "upheld"
    with pytest.raises(ConflictError, match="第 2 版"), db.write("b", "u") as session:
        expect_version(session.get(Finding, finding_id), seen, "finding")
    with db.read() as session:
        assert session.get(Finding, finding_id).status == "upheld"


def test_a_write_between_load_and_flush_is_detected(db, tmp_path):
    finding_id = _cycle_and_finding(db, tmp_path)
    with pytest.raises(StaleDataError), db.write("reviewer-b", "finding.update") as session:
        finding = session.get(Finding, finding_id)
        # another writer commits in between (same row, version bumped)
        table = Finding.__table__
        session.connection().execute(
            update(table).where(table.c.id == finding_id).values(version=table.c.version + 1)
        )
        finding.status = "withdrawn"
        session.flush()
    with db.read() as session:
        assert session.get(Finding, finding_id).status == "open"


def test_read_sessions_refuse_writes(db, tmp_path):
    finding_id = _cycle_and_finding(db, tmp_path)
    with pytest.raises(audit_log.ReadOnlyError), db.read() as session:
        session.get(Finding, finding_id).cases = 9
        session.flush()


def test_passwords_and_tokens(db, tmp_path):
    with db.write("admin", "user.create") as session:
        user = create_user(session, "hebei", "correct horse", "province")
        token = issue_token(session, user, "registry push")
    with db.read() as session:
        from kaohe.store.models import User

        stored = session.scalars(select(User).where(User.username == "hebei")).one()
        assert stored.password_hash.startswith("$argon2")
        assert check_password(stored, "correct horse")
        assert not check_password(stored, "wrong")
        assert not check_password(None, "correct horse")
        assert user_for_token(session, token).username == "hebei"
        assert user_for_token(session, token + "x") is None
        entries = session.scalars(select(AuditEntry)).all()
        assert all("argon2" not in (e.after or "") for e in entries)
        assert all(token not in (e.after or "") for e in entries)
