"""``kaohe sensitivity RUN_DIR``: how robust is each rank and grade of a finished run?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from .app import app, console, user_errors, with_columns
from .data import progress_display

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@app.command()
@user_errors
def sensitivity(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by kaohe assess.")],
    draws: Annotated[
        int, typer.Option(help="Number of Monte Carlo draws (model evaluations).")
    ] = 1000,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: the run's recorded seed).")
    ] = None,
    weights: Annotated[
        str,
        typer.Option(help="Weight perturbation: uniform:X (±X, default 0.2), dirichlet:C, none."),
    ] = "uniform:0.2",
    methods: Annotated[
        list[str],
        typer.Option(
            help="Alternative methods drawn besides the scheme's: normalize:minmax|percentile, "
            "aggregate:arithmetic|geometric|harmonic|minimum (repeatable)."
        ),
    ] = [],  # noqa: B006
    sampling: Annotated[
        str,
        typer.Option(
            help="Sampling error of estimated indicators: auto (intervals, else binomial), "
            "intervals, binomial, none."
        ),
    ] = "auto",
    estimates: Annotated[
        Path | None,
        typer.Option(
            help="CSV/Parquet with confidence intervals: unit, indicator, low, high[, confidence]."
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Flag units whose nominal grade is less likely than this.")
    ] = 0.8,
) -> None:
    """Monte Carlo over weights, methods and sampling error → rank intervals, grade probabilities."""
    from ..sensitivity import (
        Settings,
        parse_methods,
        parse_weights,
        run_sensitivity,
        write_analysis,
    )

    normalizations, aggregations = parse_methods(methods)
    settings = Settings(
        draws=draws,
        seed=seed,
        weights=parse_weights(weights),
        normalizations=normalizations,
        aggregations=aggregations,
        sampling=sampling,
        estimates=estimates,
        threshold=threshold,
    )
    # The bar pulses while the run is reloaded and its nominal scores checked, then counts the
    # draws (model evaluations: more rows than --draws, one per input group and base draw).
    with progress_display() as display:
        task = display.add_task(
            text(f"蒙特卡洛分析（{draws} 次抽样）", f"Monte Carlo analysis ({draws} draws)"),
            total=None,
        )
        analysis = run_sensitivity(
            run_dir,
            settings,
            progress=lambda done, total: display.update(task, completed=done, total=total),
        )
    out = write_analysis(analysis)
    print_analysis(analysis)
    console.print(
        text(
            f"{analysis.rows} 次抽样，用时 {analysis.seconds:.1f} 秒；结果已写入 {out}",
            f"{analysis.rows} draws in {analysis.seconds:.1f} s; written to {out}",
        )
    )


def print_analysis(analysis, limit: int = 30) -> None:
    for note in analysis.notes:
        console.print(f"[yellow]{note}[/]")
    inputs = with_columns(
        Table(
            title=text(
                "哪些不确定输入最影响排名（方差分解）", "Which uncertain inputs move ranks most"
            ),
            title_justify="left",
        ),
        (
            text("输入", "input"),
            text("一阶指数", "first order"),
            text("总效应指数", "total"),
        ),
    )
    indices = analysis.indices
    order = sorted(range(len(analysis.groups)), key=lambda g: -indices.total[g])
    for g in order:
        group = analysis.groups[g]
        inputs.add_row(
            text(group.label, group.label_en),
            f"{indices.first[g]:.3f} ± {indices.first_conf[g]:.3f}",
            f"{indices.total[g]:.3f} ± {indices.total_conf[g]:.3f}",
        )
    console.print(inputs)
    units = with_columns(
        Table(
            title=text(
                f"排名区间与等次概率（{analysis.rows} 次抽样）",
                f"Rank intervals and grade probabilities ({analysis.rows} draws)",
            ),
            title_justify="left",
        ),
        (
            text("名次", "rank"),
            text("名称", "name"),
            text("等次", "grade"),
            text("排名中位数", "median"),
            text("90% 区间", "90% interval"),
            text("原等次概率", "P(grade)"),
            "",
        ),
    )
    ranked = sorted(analysis.units, key=lambda u: (u.rank or 10**9, u.unit))
    for u in ranked[:limit]:
        units.add_row(
            str(u.rank or "—"),
            u.name,
            u.grade or "",
            str(u.median_rank or "—"),
            f"{u.rank_low}–{u.rank_high}" if u.rank_low else "—",
            f"{u.nominal_probability:.0%}",
            text("⚠ 等次不稳", "⚠ unstable") if u.unstable else "",
        )
    unstable = sum(u.unstable for u in analysis.units)
    units.caption = text(
        f"{unstable} 个考核对象的原等次概率低于 {analysis.settings.threshold:.0%}",
        f"{unstable} units keep their grade in fewer than "
        f"{analysis.settings.threshold:.0%} of draws",
    )
    console.print(units)
