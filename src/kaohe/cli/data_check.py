"""``kaohe data check``: before a run, who would be graded, who withheld, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from ..scoring.status import status_label
from .app import (
    MappingOption,
    ParamsOption,
    PeriodOption,
    SourcesOption,
    app,
    console,
    parse_params,
    user_errors,
    with_columns,
)
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
    data: SourcesOption = None,
    mapping: MappingOption = [],  # noqa: B006
    store: Annotated[
        Path | None, typer.Option(help="Snapshot store (kaohe import): the latest snapshots.")
    ] = None,
    period: PeriodOption = None,
    param: ParamsOption = [],  # noqa: B006
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
        mappings=mapping,
    )
    _print_table(
        text("数据源", "Sources"),
        [("数据源", "source"), ("行数（本期）", "rows (period)"), ("考核期", "periods"),
         ("有数据的考核对象", "units with rows"), ("未使用的列", "unmapped columns")],
        [
            [item.name, str(item.rows), ", ".join(f"{p}: {n}" for p, n in item.periods.items()),
             f"{item.units_with_rows} / {item.units_expected}", _some(item.unmapped)]
            for item in report.sources
        ],
    )  # fmt: skip
    _print_table(
        text("考核对象", "Units"),
        [("代码", "unit"), ("名称", "name"), ("状态", "status"),
         ("数据完整度", "completeness"), ("原因", "why")],
        [
            [unit.unit, unit.name, status_label(unit.status),
             f"{unit.completeness * 100:.2f} %", "; ".join(unit.reasons)]
            for unit in report.units
        ],
    )  # fmt: skip
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


def _print_table(title: str, headers: list[tuple[str, str]], rows: list[list[str]]) -> None:
    table = with_columns(Table(title=title, title_justify="left"), headers)
    for row in rows:
        table.add_row(*row)
    console.print(table)
