"""``kaohe assess``: run a scheme over a data directory or the snapshot store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ..i18n import text
from ..scoring.status import status_label
from .app import (
    MappingOption,
    MemoryLimitOption,
    ParamsOption,
    PeriodOption,
    SourcesOption,
    app,
    console,
    parse_params,
    user_errors,
    with_columns,
)

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@app.command()
@user_errors
def assess(
    scheme: Annotated[str, typer.Option(help="Scheme file, or the name of a bundled scheme.")],
    out: Annotated[Path, typer.Option(help="Output directory (replaced atomically).")],
    data: SourcesOption = None,
    mapping: MappingOption = [],  # noqa: B006
    period: PeriodOption = None,
    seed: Annotated[
        int, typer.Option(help="Seed recorded in the manifest (for random steps).")
    ] = 0,
    param: ParamsOption = [],  # noqa: B006
    store: Annotated[
        Path | None,
        typer.Option(
            help="Snapshot store (kaohe import): read the latest snapshot of each source."
        ),
    ] = None,
    snapshot: Annotated[
        list[str],
        typer.Option(help="With --store: read this snapshot of a source: source=HASH (a prefix)."),
    ] = [],  # noqa: B006
    engine: Annotated[
        str, typer.Option(help="Where measures run: duckdb (in-process) or spark (pyspark).")
    ] = "duckdb",
    memory_limit: MemoryLimitOption = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="The previous period's run directory (same scheme): results gain last year's "
            "grade, score, rank and the changes."
        ),
    ] = None,
) -> None:
    """Assess units: data + scheme → results.csv/.parquet/.xlsx, explain.json, manifest.json,
    with the scheme as run (scheme.yaml) and its compiled measures (measures.sql)."""
    from ..data.progress import Tracker
    from ..run import assess as run_assess
    from .data import progress_display

    parameters = parse_params(param)
    scheme_to_run, prior = scheme, None
    if previous is not None:
        from ..run.previous import open_previous
        from ..scheme import load_scheme

        # the scheme first: a previous run of another scheme is refused before any computing
        scheme_to_run = load_scheme(scheme, parameters)
        prior = open_previous(previous, scheme_to_run)
    with progress_display() as progress:
        result = run_assess(
            scheme_to_run,
            data,
            out,
            period=period,
            seed=seed,
            parameters=parameters,
            previous=prior,
            store=store,
            snapshots=parse_snapshots(snapshot),
            engine=engine,
            memory_limit=memory_limit,
            tracker=Tracker(progress),
            mappings=mapping,
        )
    print_results(result)
    console.print(text(f"结果已写入 {out}", f"results written to {out}"))


def parse_snapshots(items: list[str]) -> dict[str, str]:
    """``source=HASH`` pairs of --snapshot."""
    chosen: dict[str, str] = {}
    for item in items:
        name, sep, digest = item.partition("=")
        if not sep or not name.strip() or not digest.strip():
            raise UsageError(
                text(
                    f"--snapshot 应写成 数据源=快照哈希（可只写开头几位），而不是 {item!r}",
                    f"--snapshot takes source=HASH (a prefix will do), not {item!r}",
                )
            )
        chosen[name.strip()] = digest.strip()
    return chosen


def print_results(result, limit: int = 40) -> None:
    from ..run.results_table import result_rows

    rows = result_rows(result.state)
    model = result.scheme.model
    # fmt: off
    table = with_columns(
        Table(title=f"{model.title}（{model.id} {model.version}）", title_justify="left"),
        (  # (Chinese, English) pairs
            ("名次", "rank"), ("代码", "unit"), ("名称", "name"),
            ("得分", "score"), ("等次", "grade"), ("数据完整度", "completeness"),
            ("结果应用", "outcomes"),
        ),
    )
    # fmt: on
    decimals = 3 if result.scheme.tree.points <= 10 else 2  # 0–1 indices need more digits
    for row in rows[:limit]:
        table.add_row(
            str(row["rank"] or ""),
            row["unit"],
            row["name"],
            "" if row["score"] is None else f"{row['score']:.{decimals}f}",
            row["grade"] or status_label(row["status"]),
            f"{row['completeness'] * 100:.2f} %",
            row["outcomes"],
        )
    if len(rows) > limit:
        table.caption = text(
            f"另有 {len(rows) - limit} 个考核对象，见 results.csv",
            f"{len(rows) - limit} more in results.csv",
        )
    console.print(table)
    print_evidence(result)


def print_evidence(result) -> None:
    """Each source's rows against the units expected, and the units whose grade is withheld."""
    for name, counts in result.evidence.items():
        console.print(
            text(
                f"数据源 {name}：{counts['rows']} 行，{counts['units_with_rows']} / "
                f"{counts['units_expected']} 个考核对象有数据",
                f"source {name}: {counts['rows']} rows, {counts['units_with_rows']} of "
                f"{counts['units_expected']} units have rows",
            )
        )
    status = list(result.state.values["status"])
    held = sum(s != "graded" for s in status)
    if held:
        console.print(
            text(
                f"注意：{held} / {len(status)} 个考核对象不予评定或计算失败（无等次、无排名、"
                "无结果应用），原因见 results.csv 的“不予评定原因”列；"
                "kaohe data check 可在考核前列出",
                f"note: {held} of {len(status)} units are withheld or failed (no grade, rank or "
                "outcome); see the status_reasons column of results.csv; kaohe data check lists "
                "them before a run",
            )
        )
