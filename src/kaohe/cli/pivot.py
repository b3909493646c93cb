"""``kaohe pivot``: indicators × units × periods, filtered, with totals rebuilt from their parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ..i18n import text
from .app import app, console, user_errors
from .platform_store import no_published_cycles, platform_session

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

FORMATS = ("table", "csv", "json", "xlsx")


def _many(help_text: str):
    return typer.Option(help=help_text + " Repeatable.")


@app.command()
@user_errors
def pivot(
    runs: Annotated[
        Path | None,
        typer.Option(
            help="A folder holding run directories (kaohe assess output) of several periods."
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="The platform's store (its database URL, e.g. sqlite:///kaohe.db): each "
            "published cycle's latest run."
        ),
    ] = None,
    indicator: Annotated[
        list[str], _many("An indicator id to show (default: every indicator of the runs).")
    ] = [],  # noqa: B006
    unit: Annotated[list[str], _many("Only this unit (its code).")] = [],  # noqa: B006
    period: Annotated[list[str], _many("Only this period.")] = [],  # noqa: B006
    level: Annotated[list[str], _many("Only units of this level (province, county …).")] = [],  # noqa: B006
    peer_group: Annotated[list[str], _many("Only units of this peer group or region.")] = [],  # noqa: B006
    grade: Annotated[list[str], _many("Only unit-years graded so.")] = [],  # noqa: B006
    status: Annotated[
        list[str], _many("Only unit-years of this status: graded, withheld or failed.")
    ] = [],  # noqa: B006
    scheme: Annotated[list[str], _many("Only runs of this scheme id.")] = [],  # noqa: B006
    format: Annotated[str, typer.Option("--format", help="table, csv, json or xlsx.")] = "table",
    out: Annotated[
        Path | None,
        typer.Option(help="Write to this file (required for xlsx; default: standard output)."),
    ] = None,
) -> None:
    """Indicators × units × periods, filtered by unit, period, level, peer group, grade and status.

    Each period's total of an indicator is its formula recomputed on the sums of the measures it
    reads (a ratio: sum of numerators / sum of denominators), never an average of the units'
    values; left empty, with the reason, when a measure does not add up. The score's total is
    the median. Filters select unit-years."""
    from ..run.pivot import PivotFilter
    from ..run.pivot import pivot as build

    if format not in FORMATS:
        raise UsageError(
            text(
                f"--format 应为 table、csv、json 或 xlsx，而不是 {format!r}",
                f"--format takes table, csv, json or xlsx, not {format!r}",
            )
        )
    if format == "xlsx" and out is None:
        raise UsageError(
            text("--format xlsx 需要用 --out 指定文件", "--format xlsx needs a file: --out FILE")
        )
    if (store is None) == (runs is None):
        raise UsageError(
            text(
                "请用 --runs 指定考核结果所在的文件夹，或用 --store 指定平台数据库（二者选一）",
                "name the folder of runs with --runs, or the platform's database with --store "
                "(one of the two)",
            )
        )
    chosen = PivotFilter.of(
        indicator=indicator,
        unit=unit,
        period=period,
        level=level,
        peer_group=peer_group,
        grade=grade,
        status=status,
        scheme=scheme,
    )
    table = _from_store(store, chosen) if store is not None else build(_directories(runs), chosen)
    _write(table, format, out)


def _directories(runs: Path):
    from ..run.history import find_runs
    from ..run.pivot import from_opened

    return [from_opened(run) for run in find_runs(runs)]


def _from_store(url: str, chosen):
    from ..run.pivot import pivot
    from ..workflow.pivot import pivot_runs

    with platform_session(url) as session:
        found = pivot_runs(session, None)
    if not found:
        raise no_published_cycles()
    return pivot(found, chosen)


def _write(table, format: str, out: Path | None) -> None:
    from ..run.pivot_export import pivot_csv, pivot_json, pivot_xlsx

    if format == "xlsx":
        out.write_bytes(pivot_xlsx(table))
        console.print(text(f"已写入 {out}", f"written to {out}"))
        return
    if format == "table":
        if out is not None:
            raise UsageError(
                text(
                    "--out 用于 csv、json 或 xlsx 格式",
                    "--out goes with --format csv, json or xlsx",
                )
            )
        print_pivot(table)
        return
    content = (
        pivot_csv(table)
        if format == "csv"
        else json.dumps(pivot_json(table), ensure_ascii=False, indent=1) + "\n"
    )
    if out is None:
        typer.echo(content, nl=False)
    else:
        out.write_text(content, encoding="utf-8")


def _number(value, unit_of_measure=None) -> str:
    from ..formatting import rate_text

    if value is None:
        return "—"
    return rate_text(value, unit_of_measure) or f"{value:.2f}"


def print_pivot(table) -> None:
    from ..run.pivot_export import figure_label, method_text

    if not table.rows:
        console.print(text("没有符合条件的单位", "no unit matches"))
        return
    periods = [p.period for p in table.periods]
    grid = Table(title=text("数据透视", "Pivot"), title_justify="left")
    grid.add_column(text("单位", "Unit"))
    for p in periods:
        grid.add_column(f"{text('得分', 'Score')} {p}", justify="right")
    for figure in table.figures:
        for p in periods:
            grid.add_column(f"{figure_label(figure)} {p}", justify="right")
    for row in table.rows:
        cells = [f"{row.name}（{row.unit}）"]
        for p in periods:
            year = row.periods.get(p)
            shown = "" if year is None else _number(year.score)
            if year is not None and year.grade:
                shown += f" {year.grade}"
            cells.append(shown)
        for figure in table.figures:
            for p in periods:
                year = row.periods.get(p)
                cells.append(
                    ""
                    if year is None
                    else _number(year.values.get(figure.id), figure.unit_of_measure)
                )
        grid.add_row(*cells)
    grid.add_section()
    cells = [text("合计", "Total")]
    cells += [
        f"{_number(table.totals[p].score.value)} ({text('中位数', 'median')})" for p in periods
    ]
    notes = []
    for figure in table.figures:
        for p in periods:
            total = table.totals[p].indicators[figure.id]
            cells.append(_number(total.value, figure.unit_of_measure))
            if total.reason:
                notes.append(f"{figure_label(figure)} {p}：{total.reason}")
            elif total.method == "recomputed":
                parts = ", ".join(f"{m} = {v:g}" for m, v in total.measures.items())
                notes.append(f"{figure_label(figure)} {p}：{method_text(total)}（{parts}）")
    grid.add_row(*cells)
    grid.caption = "\n".join(notes) or None
    grid.caption_justify = "left"
    console.print(grid)
