"""``kaohe db``: the platform database (SQLite under the working directory, or $KAOHE_DATABASE_URL)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import text
from .app import app, console, user_errors

db_app = typer.Typer(
    help="平台数据库 The platform database: upgrade, status.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

URL = typer.Option("--url", help="Database URL (default: $KAOHE_DATABASE_URL or ./kaohe.db).")


@db_app.command()
@user_errors
def upgrade(url: Annotated[str, URL] = "") -> None:
    """Create or migrate the schema to this version of Kaohe."""
    from ..store import Database, migrate

    db = Database.connect(url or None)
    try:
        migrate.upgrade(db.write_engine)
        console.print(
            text(
                f"数据库已升级到 {migrate.head()}：{_safe(db.url)}",
                f"database upgraded to {migrate.head()}: {_safe(db.url)}",
            )
        )
    finally:
        db.dispose()


@db_app.command()
@user_errors
def status(url: Annotated[str, URL] = "") -> None:
    """Show the schema version; exit 2 when it is not current."""
    from ..store import Database, migrate

    db = Database.connect(url or None)
    try:
        console.print(
            text(
                f"{_safe(db.url)}：当前 {migrate.current(db.engine) or '（空）'}，最新 {migrate.head()}",
                f"{_safe(db.url)}: at {migrate.current(db.engine) or '(empty)'}, "
                f"latest {migrate.head()}",
            )
        )
        migrate.require_current(db.engine)
    finally:
        db.dispose()


def _safe(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
