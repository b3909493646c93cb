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
from ..derived.verification import run_verification
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


def _robustness_and_report(out: Path, console: Console) -> Path:
    """How robust the provincial grades are (Monte Carlo), and its report as one HTML file."""
    from ..report import write_report
    from ..sensitivity import Settings, run_sensitivity, write_analysis

    run_dir = out / "runs" / DEMO_SCHEMES[0]
    analysis = run_sensitivity(run_dir, Settings(draws=1000))
    write_analysis(analysis)
    unstable = sum(1 for unit in analysis.units if unit.unstable)
    console.print(
        text(
            f"{DEMO_SCHEMES[0]}：{unstable} 个考核对象的原等次在权重与抽样误差扰动下的概率低于 "
            f"{analysis.settings.threshold:.0%}（{run_dir / 'sensitivity'}）",
            f"{DEMO_SCHEMES[0]}: {unstable} units keep their grade in fewer than "
            f"{analysis.settings.threshold:.0%} of draws over weights and sampling error "
            f"({run_dir / 'sensitivity'})",
        )
    )
    return write_report(run_dir, "html", verification=out / "verification")


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
    report = _robustness_and_report(Path(out), console)
    elapsed = time.perf_counter() - started
    console.print(
        text(
            f"演示完成（{elapsed:.1f} 秒）。数据：{data}；结果：{Path(out) / 'runs'}/<办法>/"
            f"（results.csv、results.xlsx、explain.json、manifest.json、scheme.yaml）；报告：{report}",
            f"demo finished in {elapsed:.1f} s. data: {data}; results: {Path(out) / 'runs'}/<scheme>/ "
            f"(results.csv, results.xlsx, explain.json, manifest.json, scheme.yaml); report: {report}",
        )
    )
    return results
