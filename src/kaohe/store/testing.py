"""Real test databases for the platform's tests: SQLite in a temporary file and PostgreSQL in a
schema of its own, both migrated with the shipped Alembic scripts.

``backends()`` lists the backends to parametrize over; PostgreSQL is skipped (with the reason)
only when it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, delete, text, update

from .database import Database
from .migrate import upgrade
from .models import AuditHead, Base, Role

POSTGRES = os.environ.get(
    "KAOHE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure means: not available here
        return f"PostgreSQL at {POSTGRES} unreachable: {type(error).__name__}: {error}"
    return None


@contextmanager
def migrated_database(backend: str, directory: Path) -> Iterator[Database]:
    """A freshly migrated database; a PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        db = Database.connect(f"sqlite:///{directory / 'kaohe-test.db'}")
        upgrade(db.write_engine)
        try:
            yield db
        finally:
            db.dispose()
        return
    schema = f"kaohe_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database.connect(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(db.write_engine)
        db.schema = schema  # type: ignore[attr-defined]
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty(db: Database) -> None:
    """Delete every row but the seeded ones (roles, a reset audit head): a clean slate per test."""
    with db.write_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in (Role.__tablename__, AuditHead.__tablename__):
                continue
            connection.execute(delete(table))
        connection.execute(update(AuditHead).values(last_id=0, last_hash="0" * 64))
