"""``kaohe data check``: before a run, who would be graded, who withheld, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from ..scoring.status import status_label
from .app import app, console, parse_params, user_errors
from .assess import parse_snapshots

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

data_app = typer.Typer(
    help="数据 Data: check what a run would make of it, before the run.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


@data_app.command("check")
@user_errors
def check(
    scheme: Annotated[str, typer.Option(help="Scheme file, or the name of a bundled scheme.")],
    data: Annotated[
        Path | None, typer.Option(help="Directory: units.csv and one CSV/Parquet per source.")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Snapshot store (kaohe import): the latest snapshots.")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Period to select in sources with a period column.")
    ] = None,
    param: Annotated[list[str], typer.Option(help="Override a scheme parameter: name=value.")] = [],  # noqa: B006
    snapshot: Annotated[
        list[str],
        typer.Option(help="With --store: read this snapshot of a source: source=HASH (a prefix)."),
    ] = [],  # noqa: B006
) -> None:
    """Per source: rows, periods, units covered, unmapped columns; per unit: the completeness
    and status the run would give. Exit 2 when any unit would be withheld or fail."""
    from ..run.check import check_data

    report = check_data(
        scheme,
        data,
        period,
        parse_params(param),
        store=store,
        snapshots=parse_snapshots(snapshot),
    )
    sources = Table(title=text("数据源", "Sources"), title_justify="left")
    for header in (
        text("数据源", "source"),
        text("行数（本期）", "rows (period)"),
        text("考核期", "periods"),
        text("有数据的考核对象", "units with rows"),
        text("未使用的列", "unmapped columns"),
    ):
        sources.add_column(header)
    for item in report.sources:
        sources.add_row(
            item.name,
            str(item.rows),
            ", ".join(f"{p}: {n}" for p, n in item.periods.items()),
            f"{item.units_with_rows} / {item.units_expected}",
            _some(item.unmapped),
        )
    console.print(sources)
    units = Table(title=text("考核对象", "Units"), title_justify="left")
    for header in (
        text("代码", "unit"),
        text("名称", "name"),
        text("状态", "status"),
        text("数据完整度", "completeness"),
        text("原因", "why"),
    ):
        units.add_column(header)
    for unit in report.units:
        units.add_row(
            unit.unit,
            unit.name,
            status_label(unit.status),
            f"{unit.completeness * 100:.2f} %",
            "; ".join(unit.reasons),
        )
    console.print(units)
    missing = report.not_graded
    if missing:
        console.print(
            text(
                f"{len(missing)} / {len(report.units)} 个考核对象将不予评定或计算失败（原因见上表）",
                f"{len(missing)} of {len(report.units)} units would be withheld or fail "
                "(reasons above)",
            )
        )
        raise typer.Exit(2)
    console.print(
        text(
            f"全部 {len(report.units)} 个考核对象均可评定等次",
            f"all {len(report.units)} units can be graded",
        )
    )


def _some(names: tuple[str, ...], shown: int = 6) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (
        text(f" 等 {len(names)} 列", f" … ({more} more)") if more > 0 else ""
    )
