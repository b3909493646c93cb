"""``kaohe demo``: the main job on embedded defaults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..i18n import text
from .app import app, console, user_errors
from .assess import print_results

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


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
    from ..demo.generate import DEFAULT_PERSONS
    from ..demo.job import assess_demo, write_demo_data

    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(
            text("生成演示数据（人）", "generating demo data (persons)"),
            total=persons or DEFAULT_PERSONS,
        )
        data = write_demo_data(out, seed, persons, progress=lambda n: progress.advance(task, n))
    runs = assess_demo(out, seed, on_result=print_results)
    for run_dir, opened in runs.opened:
        console.print(
            text(
                f"{run_dir.name}：{opened.actions} 项结果应用，{opened.rectifications} 项整改，"
                f"{opened.findings} 项问题",
                f"{run_dir.name}: {opened.actions} actions, {opened.rectifications} "
                f"rectifications, {opened.findings} findings",
            )
        )
    console.print(
        text(
            f"结果应用与整改台账：{runs.ledger}（kaohe outcomes list --ledger {runs.ledger}）",
            f"outcomes and rectifications ledger: {runs.ledger} "
            f"(kaohe outcomes list --ledger {runs.ledger})",
        )
    )
    robust = runs.robustness
    scheme, where = robust.run_dir.name, robust.run_dir / "sensitivity"
    console.print(
        text(
            f"{scheme}：{robust.unstable} 个考核对象的原等次在权重与抽样误差扰动下的概率低于 "
            f"{robust.threshold:.0%}（{where}）",
            f"{scheme}: {robust.unstable} units keep their grade in fewer than "
            f"{robust.threshold:.0%} of draws over weights and sampling error ({where})",
        )
    )
    elapsed = time.perf_counter() - started
    console.print(
        text(
            f"演示完成（{elapsed:.1f} 秒）。数据：{data}；结果：{runs.runs}/<办法>/"
            f"（results.csv、results.xlsx、explain.json、manifest.json、scheme.yaml）；"
            f"报告：{runs.report}",
            f"demo finished in {elapsed:.1f} s. data: {data}; results: {runs.runs}/<scheme>/ "
            f"(results.csv, results.xlsx, explain.json, manifest.json, scheme.yaml); "
            f"report: {runs.report}",
        )
    )
