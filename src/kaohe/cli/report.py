"""``kaohe report RUN_DIR``: the official report of a run as HTML, PDF or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import text
from .app import app, console, user_errors
from .data import progress_display

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@app.command()
@user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by kaohe assess.")],
    format: Annotated[str, typer.Option("--format", help="html, pdf or xlsx.")] = "html",
    lang: Annotated[str, typer.Option("--lang", help="Report language: zh or en.")] = "zh",
    out: Annotated[
        Path | None, typer.Option(help="Output file (default: RUN_DIR/report-LANG.EXT).")
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="Last year's run directory, for the changes.")
    ] = None,
    verification: Annotated[
        Path | None,
        typer.Option(help="The verification report's directory (default: RUN_DIR/verification)."),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="A folder of earlier runs (run directories), for the trend over the years."
        ),
    ] = None,
) -> None:
    """National summary and one score card per unit (with robustness when sensitivity ran)."""
    from ..report import STEPS, write_report

    # Each step is one call (WeasyPrint typesets the whole PDF at once): the bar moves by steps,
    # names the one running and shows the time elapsed.
    with progress_display() as display:
        task = display.add_task(text("报告", "report"), total=None)

        def step(done: int, total: int, name: str) -> None:
            description = text(*STEPS[name]) if name else None
            display.update(task, completed=done, total=total, description=description)

        path = write_report(
            run_dir, format, lang, out, previous, verification, history, progress=step
        )
    console.print(text(f"报告已写入 {path}", f"report written to {path}"))
