"""``kaohe demo``: the main job on embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, console, user_errors


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo data and runs.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2016,
    persons: Annotated[
        int | None,
        typer.Option(
            help="Registry size in persons (default 300,000; up to 10^8, written in chunks)."
        ),
    ] = None,
) -> None:
    """Generate the synthetic national data set and run the bundled schemes on it."""
    from ..demo import run_demo

    run_demo(out, seed, console, persons=persons)
