"""``kaohe documents RUN_DIR``: the official documents of a run — the results circular (考核结果通报)
and a feedback letter (反馈意见) per unit, as Word and PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import text
from .app import app, console, user_errors

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@app.command()
@user_errors
def documents(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by kaohe assess.")],
    out: Annotated[Path, typer.Option(help="Output directory (replaced whole).")],
    authority: Annotated[str, typer.Option(help="Issuing authority (发文机关).")],
    number: Annotated[str, typer.Option(help="Document number (文号), e.g. 国开发〔2020〕1号.")],
    date: Annotated[
        str,
        typer.Option(help="Decision date (决定日期), YYYY-MM-DD; deadlines count from it."),
    ],
    lang: Annotated[str, typer.Option("--lang", help="Language: zh or en.")] = "zh",
    unit: Annotated[
        list[str] | None,
        typer.Option("--unit", help="A unit to write a feedback letter for (repeat; default all)."),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="docx, pdf or docx,pdf.")] = "docx,pdf",
    days: Annotated[
        int, typer.Option(help="Days to rectify a finding when the scheme sets none.")
    ] = 90,
) -> None:
    """Results circular and feedback letters of a run, as .docx and .pdf (see docs/reports.md)."""
    from ..outcomes.from_run import run_entries
    from ..report.document_content import Issuance, decision_date
    from ..report.documents import check_issuance, parse_formats, write_documents

    formats = parse_formats(format)
    issuance = Issuance(authority, number, decision_date(date), lang)
    check_issuance(issuance)
    # The deadlines are the outcomes ledger's (kaohe outcomes open --date with the same date and
    # --days gives the same items): the report layer does not import the outcomes layer.
    items = run_entries(run_dir, issuance.date, days)
    path = write_documents(run_dir, out, issuance, items, unit, formats)
    console.print(text(f"公文已写入 {path}", f"documents written to {path}"))
