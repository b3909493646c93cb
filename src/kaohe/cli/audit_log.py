"""``kaohe audit``: prove the platform's audit log is intact."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import KaoheError
from ..i18n import text
from .app import app, console, user_errors

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

audit_app = typer.Typer(help="审计日志 The audit log: verify the hash chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


class AuditChainBroken(KaoheError):
    """An entry of the audit log was edited or deleted."""


@audit_app.command()
@user_errors
def verify(
    url: Annotated[
        str,
        typer.Option("--url", help="Database URL (default: $KAOHE_DATABASE_URL or ./kaohe.db)."),
    ] = "",
) -> None:
    """Walk the hash chain; exit 2 naming the first edited or deleted entry."""
    from sqlalchemy import func, select

    from ..store import Database, require_current
    from ..store.audit_log import verify as verify_chain
    from ..store.models import AuditEntry

    db = Database.connect(url or None)
    try:
        require_current(db.engine)
        with db.read() as session:
            problems = verify_chain(session)
            count = session.scalar(select(func.count()).select_from(AuditEntry))
    finally:
        db.dispose()
    if problems:
        raise AuditChainBroken("\n".join(p.message for p in problems))
    console.print(
        text(
            f"审计日志完整：{count} 条，哈希链无断点",
            f"audit log intact: {count} entries, chain unbroken",
        )
    )
