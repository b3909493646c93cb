"""Connecting to the platform database: SQLite under the working directory by default,
PostgreSQL (psycopg 3) when ``KAOHE_DATABASE_URL`` says so.

Reads and writes use separate session factories. On SQLite a writing transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue on the database lock instead of one failing when it
upgrades a read lock; readers keep plain ``BEGIN`` and, with WAL, never wait for writers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from . import audit_log as audit

DEFAULT_FILE = "kaohe.db"
ENV = "KAOHE_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$KAOHE_DATABASE_URL``, else ``./kaohe.db``."""
    if url:
        return url
    if os.environ.get(ENV):
        return os.environ[ENV]
    return f"sqlite:///{Path.cwd() / DEFAULT_FILE}"


def _sqlite_engine(url: str, begin: str, **options) -> Engine:
    connect_args = {"timeout": 30, "check_same_thread": False, **options.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling is wrong
        # for locking); WAL lets readers run while a writer commits.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


@dataclass
class Database:
    """The engines and session factories of one database."""

    url: str
    engine: Engine
    write_engine: Engine

    @classmethod
    def connect(cls, url: str | None = None, **options) -> Database:
        url = database_url(url)
        if url.startswith("sqlite"):
            return cls(
                url,
                _sqlite_engine(url, "BEGIN", **options),
                _sqlite_engine(url, "BEGIN IMMEDIATE", **options),
            )
        engine = create_engine(url, pool_pre_ping=True, **options)
        return cls(url, engine, engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; anything it tries to flush is refused."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.info["read_only"] = True
            yield session  # closing ends the transaction; loaded objects stay readable

    @contextmanager
    def write(self, actor: str, action: str) -> Iterator[Session]:
        """A transaction that commits on success; every change it makes is audited as ``action``
        by ``actor``; on any error nothing of it is kept."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            session.info["actor"] = actor
            session.info["action"] = action
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


audit.install()
