"""``kaohe audit``: prove the platform's audit log is intact, and keep its head elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import KaoheError
from ..i18n import text
from .app import app, console, user_errors

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

audit_app = typer.Typer(
    help="审计日志 The audit log: verify the hash chain, keep checkpoints of its head.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")

UrlOption = Annotated[
    str,
    typer.Option("--url", help="Database URL (default: $KAOHE_DATABASE_URL or ./kaohe.db)."),
]


class AuditChainBroken(KaoheError):
    """An entry of the audit log was edited or deleted."""


@audit_app.command()
@user_errors
def verify(
    url: UrlOption = "",
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="A checkpoint (kaohe audit checkpoint): also require its entry, its hash and "
            "at least its number of entries — catches a log cut at its newest end or emptied."
        ),
    ] = None,
) -> None:
    """Walk the hash chain; exit 2 naming the first edited or deleted entry."""
    from sqlalchemy import func, select

    from ..store import Database, require_current
    from ..store.audit_checkpoint import check, load
    from ..store.audit_log import verify as verify_chain
    from ..store.models import AuditEntry

    kept = load(checkpoint) if checkpoint is not None else None  # a bad file before the database
    db = Database.connect(url or None)
    try:
        require_current(db.engine)
        with db.read() as session:
            problems = verify_chain(session)
            if kept is not None:
                problems += check(session, kept)
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
    if kept is not None:
        console.print(
            text(
                f"与检查点（{kept.at}，{kept.count} 条，第 {kept.last_id} 条）相符",
                f"consistent with the checkpoint ({kept.at}: {kept.count} entries, "
                f"entry {kept.last_id})",
            )
        )


@audit_app.command("checkpoint")
@user_errors
def checkpoint_command(
    url: UrlOption = "",
    out: Annotated[
        Path | None,
        typer.Option(help="Write the checkpoint to this file (default: standard output)."),
    ] = None,
) -> None:
    """Record the head of the audit log (entry count, last id and hash, time) as JSON, to keep
    where the database's administrators cannot change it; verify against it later with
    ``kaohe audit verify --checkpoint FILE``."""
    from ..run.record import staged_file
    from ..store import Database, require_current
    from ..store.audit_checkpoint import take

    db = Database.connect(url or None)
    try:
        require_current(db.engine)
        with db.read() as session:
            head = take(session)
    finally:
        db.dispose()
    if out is None:
        sys.stdout.write(head.to_json())
        return
    with staged_file(out) as staging:
        staging.write_text(head.to_json(), encoding="utf-8")
    console.print(
        text(
            f"检查点已写入 {out}：{head.count} 条，最新第 {head.last_id} 条",
            f"checkpoint written to {out}: {head.count} entries, the newest is {head.last_id}",
        ),
        highlight=False,
    )
