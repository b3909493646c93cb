"""The demo job: generate the national data set, run every bundled scheme on it, show the results."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..funds.demo import write_funds_demo
from ..i18n import text
from ..outcomes.demo import open_demo_ledger
from ..run import assess
from ..verify.job import run_verification
from .generate import DEFAULT_PERSONS, PERIOD, generate_demo
from .sectors import write_sector_demo

DEMO_SCHEMES = (
    "provincial-effectiveness-2016",
    "financial-institutions-2021",
    "fund-performance-2017",
    "linkage-fund-2021",
    "rural-revitalization-2021",
    "special-post-teachers",
    "east-west-cooperation-2017",
)


def run_demo(out: Path, seed: int, console: Console, persons: int | None = None) -> list:
    """Write ``out/data`` and ``out/runs/<scheme>``; print a results table per scheme."""
    from ..cli.assess import print_results

    started = time.perf_counter()
    data = Path(out) / "data"
    total = persons or DEFAULT_PERSONS
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(
            text("生成演示数据（人）", "generating demo data (persons)"), total=total
        )
        generate_demo(
            data, seed, persons, progress=lambda n: progress.advance(task, n), derived=False
        )
    write_funds_demo(data, seed)  # projects, targets, reports, checks; the funds pipeline run
    write_sector_demo(data, seed)  # monitoring, teachers, east-west, last cycle's rectifications
    # Field-check estimates with intervals and data-quality findings become ordinary sources,
    # which the provincial scheme reads (the verification report itself goes beside the runs).
    run_verification(data, Path(out) / "verification", period=PERIOD, sources_into=data)
    results = []
    for scheme in DEMO_SCHEMES:
        run_dir = Path(out) / "runs" / scheme
        result = assess(scheme, data, run_dir, period=PERIOD, seed=seed)
        print_results(result)
        results.append(result)
    open_demo_ledger(Path(out) / "ledger", [r.out for r in results], console)
    elapsed = time.perf_counter() - started
    console.print(
        text(
            f"演示完成（{elapsed:.1f} 秒）。数据：{data}；结果：{Path(out) / 'runs'}/<办法>/"
            "（results.csv、results.xlsx、explain.json、manifest.json）",
            f"demo finished in {elapsed:.1f} s. data: {data}; results: {Path(out) / 'runs'}/<scheme>/ "
            "(results.csv, results.xlsx, explain.json, manifest.json)",
        )
    )
    return results
