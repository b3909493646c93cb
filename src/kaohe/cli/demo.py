"""``kaohe demo``: the main job on embedded defaults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import UsageError
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
            help="Registry size in persons, each year (default 60,000; up to 10^8, written "
            "in chunks)."
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            help="The demo years: one year or a range within 2016-2023 (default: all), "
            "e.g. 2020-2021 or 2019."
        ),
    ] = None,
) -> None:
    """Generate the synthetic national panel year by year (2016–2023) and run each bundled
    scheme on the years of its era, carrying rectification items from year to year."""
    from ..demo.job import PERSONS_PER_YEAR, assess_demo, schemes_of_year, write_demo_data
    from ..demo.years import parse_years

    try:
        chosen = parse_years(years)
    except ValueError as error:
        raise UsageError(str(error)) from None

    started = time.perf_counter()
    with _counting() as progress:
        task = progress.add_task(
            text("生成演示数据（人）", "generating demo data (persons)"),
            total=(persons or PERSONS_PER_YEAR) * len(chosen),
        )
        data = write_demo_data(
            out, seed, persons, progress=lambda n: progress.advance(task, n), years=chosen
        )
    # One step per run; the grades' robustness and the report that follow are not counted.
    # the results printed between stay plain in a pipe
    with _counting(disable=not console.is_terminal) as progress:
        task = progress.add_task(
            text("各年度考核计算", "assessing each year"),
            total=sum(len(schemes_of_year(year)) for year in chosen),
        )

        def on_result(result) -> None:
            print_results(result)
            progress.advance(task)

        runs = assess_demo(out, seed, on_result=on_result, years=chosen)
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
    for year, count in runs.carried.items():
        console.print(
            text(
                f"{year - 1} 年开立的 {count} 项整改与问题结转至 {year} 年跟踪（{data}/{year}/"
                "rectifications.csv）",
                f"{count} items opened for {year - 1} carried into {year} "
                f"({data}/{year}/rectifications.csv)",
            )
        )
    robust = runs.robustness
    if robust is not None:
        scheme, where = robust.run_dir.name, robust.run_dir / "sensitivity"
        console.print(
            text(
                f"{scheme}：{robust.unstable} 个考核对象的原等次在权重与抽样误差扰动下的概率低于 "
                f"{robust.threshold:.0%}（{where}）",
                f"{scheme}: {robust.unstable} units keep their grade in fewer than "
                f"{robust.threshold:.0%} of draws over weights and sampling error ({where})",
            )
        )
    if runs.transition is not None:
        print_transition(runs.transition, runs.runs, runs.ledger)
    elapsed = time.perf_counter() - started
    console.print(
        text(
            f"演示完成（{elapsed:.1f} 秒）。数据：{data}/<年度>/；结果：{runs.runs}/<年度>/<办法>/"
            f"（results.csv、results.xlsx、explain.json、manifest.json、scheme.yaml）；"
            f"报告：{runs.report or '—'}",
            f"demo finished in {elapsed:.1f} s. data: {data}/<year>/; results: {runs.runs}/<year>/<scheme>/ "
            f"(results.csv, results.xlsx, explain.json, manifest.json, scheme.yaml); "
            f"report: {runs.report or '—'}",
        )
    )


def print_transition(transition, runs: Path, ledger: Path) -> None:
    """One province from 2020 to 2021: grades under the two schemes, the items carried, how the
    schemes differ, then its ``kaohe history`` table."""
    from ..outcomes.lifecycle import status_name  # the ledger's status names
    from .history import history  # the history command prints the province's years

    t = transition
    console.print(
        text(
            f"\n[bold]2020→2021 过渡：{t.name}（{t.unit}）[/bold]",
            f"\n[bold]From 2020 to 2021: {t.name} ({t.unit})[/bold]",
        )
    )
    console.print(
        text(
            f"2020 年省级成效考核：{t.old_grade or '不予评定'}（{_points(t.old_score)} 分，"
            f"第 {_rank(t.old_rank)} 名）",
            f"2020 provincial effectiveness assessment: {t.old_grade or 'withheld'} "
            f"({_points(t.old_score)} points, rank {_rank(t.old_rank)})",
        )
    )
    overdue = sum(item.overdue for item in t.items)
    console.print(
        text(
            f"结转 2021 年的整改与问题 {len(t.items)} 项，年末逾期未整改 {overdue} 项：",
            f"{len(t.items)} items carried into 2021, {overdue} overdue at the end of 2021:",
        )
    )
    for item in t.items:
        late = text("（逾期）", " (overdue)") if item.overdue else ""
        console.print(f"  - {item.title}［{status_name(item.status)}］{late}", markup=False)
    console.print(
        text(
            f"2021 年衔接考核评估：{t.new_grade or '不予评定'}（{_points(t.new_score)} 分，"
            f"第 {_rank(t.new_rank)} 名；逾期未整改 {t.counted} 项（含往年遗留），"
            f"扣 {t.deduction:g} 分）",
            f"2021 transition assessment: {t.new_grade or 'withheld'} "
            f"({_points(t.new_score)} points, rank {_rank(t.new_rank)}; {t.counted} overdue "
            f"items, earlier years' included, cost {t.deduction:g} points)",
        )
    )
    console.print(
        text(
            f"两套办法：共同指标 {len(t.shared)} 个（{'、'.join(t.shared) or '无'}），"
            f"仅 2016 办法 {len(t.only_old)} 个，仅 2021 办法 {len(t.only_new)} 个；"
            "得分与等次不可直接比较",
            f"the two schemes: {len(t.shared)} shared indicators "
            f"({', '.join(t.shared) or 'none'}), {len(t.only_old)} only in the 2016 scheme, "
            f"{len(t.only_new)} only in the 2021 scheme; scores and grades are not comparable",
        )
    )
    history(
        unit=t.unit,
        runs=runs,
        store=None,
        indicator=[],
        scheme=["provincial-effectiveness-2016", "rural-revitalization-2021"],
        ledger=ledger,
        format="table",
    )
    console.print(
        text(
            f"（kaohe history --runs {runs} --unit {t.unit} --ledger {ledger}）",
            f"(kaohe history --runs {runs} --unit {t.unit} --ledger {ledger})",
        )
    )


def _points(score: float | None) -> str:
    return "—" if score is None else f"{score:.2f}"


def _rank(rank: float | None) -> str:
    return "—" if rank is None else f"{rank:g}"


def _counting(disable: bool = False) -> Progress:
    """A bar that counts done of total (persons written, runs made), with the time spent."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )
