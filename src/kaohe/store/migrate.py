"""Schema migrations (Alembic, shipped inside the package and run programmatically)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ..errors import KaoheError
from ..i18n import text

SCRIPTS = "kaohe.store:migrations"


class SchemaOutOfDate(KaoheError):
    """The database schema is not at the version this Kaohe expects."""


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` in one transaction."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on a schema that is missing or older than this code."""
    have, want = current(engine), head()
    if have != want:
        raise SchemaOutOfDate(
            text(
                f"数据库结构版本为 {have or '（空）'}，需要 {want}；请先运行 `kaohe db upgrade`"
                "（同样的 KAOHE_DATABASE_URL）",
                f"the database schema is at {have or '(empty)'} but this Kaohe needs {want}; "
                "run `kaohe db upgrade` first (with the same KAOHE_DATABASE_URL)",
            )
        )
