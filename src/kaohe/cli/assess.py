"""``kaohe assess``: run a scheme over a data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from .app import app, console, parse_params, user_errors


@app.command()
@user_errors
def assess(
    scheme: Annotated[str, typer.Option(help="Scheme file, or the name of a bundled scheme.")],
    data: Annotated[
        Path, typer.Option(help="Directory: units.csv and one CSV/Parquet per source.")
    ],
    out: Annotated[Path, typer.Option(help="Output directory (replaced atomically).")],
    period: Annotated[
        str | None, typer.Option(help="Period to select in sources with a period column.")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed recorded in the manifest (for random steps).")
    ] = 0,
    param: Annotated[list[str], typer.Option(help="Override a scheme parameter: name=value.")] = [],  # noqa: B006
) -> None:
    """Assess units: data + scheme → results.csv/.parquet/.xlsx, explain.json, manifest.json."""
    from ..run import assess as run_assess

    result = run_assess(scheme, data, out, period=period, seed=seed, parameters=parse_params(param))
    print_results(result)
    console.print(text(f"结果已写入 {out}", f"results written to {out}"))


def print_results(result, limit: int = 40) -> None:
    from ..run.results import result_rows

    rows = result_rows(result.state)
    model = result.scheme.model
    table = Table(title=f"{model.title}（{model.id} {model.version}）", title_justify="left")
    for header in (
        text("名次", "rank"),
        text("代码", "unit"),
        text("名称", "name"),
        text("得分", "score"),
        text("等次", "grade"),
        text("结果应用", "outcomes"),
    ):
        table.add_column(header)
    decimals = 3 if result.scheme.tree.points <= 10 else 2  # 0–1 indices need more digits
    for row in rows[:limit]:
        table.add_row(
            str(row["rank"] or ""),
            row["unit"],
            row["name"],
            "" if row["score"] is None else f"{row['score']:.{decimals}f}",
            row["grade"] or "",
            row["outcomes"],
        )
    if len(rows) > limit:
        table.caption = text(
            f"另有 {len(rows) - limit} 个考核对象，见 results.csv",
            f"{len(rows) - limit} more in results.csv",
        )
    console.print(table)
