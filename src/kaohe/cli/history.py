"""``kaohe history``: one unit's scores, grades, indicators and rectification over the years."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ..i18n import language, text
from .app import app, console, user_errors, with_columns
from .platform_store import no_published_cycles, platform_session

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

FORMATS = ("table", "csv", "json")
CHANGES = {"up": ("上升", "up"), "down": ("下降", "down"), "same": ("持平", "same")}


@app.command()
@user_errors
def history(
    unit: Annotated[str, typer.Option(help="The unit's code.")],
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
            "published cycle's results, and the unit's rectification items there."
        ),
    ] = None,
    indicator: Annotated[
        list[str],
        typer.Option(
            help="An indicator (its value) or tree node (its share of points) to show; "
            "repeatable. Default: each scheme's top-level dimensions."
        ),
    ] = [],  # noqa: B006
    scheme: Annotated[
        list[str], typer.Option(help="Only runs of this scheme id; repeatable.")
    ] = [],  # noqa: B006
    ledger: Annotated[
        Path | None,
        typer.Option(help="Outcomes ledger directory: the unit's rectification items per year."),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """A unit across the runs of several periods: score, grade, rank, indicators, rectification.

    Runs of different schemes share the table, each row naming its scheme; where the scheme
    changes, scores are not comparable and no change is computed."""
    from ..run.history import attach_rectifications, find_runs, unit_history

    if format not in FORMATS:
        raise UsageError(
            text(
                f"--format 应为 table、csv 或 json，而不是 {format!r}",
                f"--format takes table, csv or json, not {format!r}",
            )
        )
    if (store is None) == (runs is None):
        raise UsageError(
            text(
                "请用 --runs 指定考核结果所在的文件夹，或用 --store 指定平台数据库（二者选一）",
                "name the folder of runs with --runs, or the platform's database with --store "
                "(one of the two)",
            )
        )
    if store is not None and ledger is not None:
        raise UsageError(
            text(
                "--ledger 只用于 --runs：平台的整改事项已在 --store 指定的数据库中",
                "--ledger goes with --runs only: the platform's rectification items are in the "
                "database named by --store",
            )
        )
    if store is not None:
        result = _from_store(store, unit, indicator, scheme)
    else:
        found = find_runs(runs)
        if scheme:
            found = [r for r in found if (r.explanation.get("scheme") or {}).get("id") in scheme]
        result = unit_history(found, unit, indicator)
        if ledger is not None:
            attach_rectifications(result, _ledger_items(ledger))
    if format == "csv":
        typer.echo(history_csv(result), nl=False)
    elif format == "json":
        typer.echo(json.dumps(history_json(result), ensure_ascii=False, indent=1))
    else:
        print_history(result)


def _from_store(url: str, unit: str, indicators: list[str], schemes: list[str]):
    """The unit's history from the platform's published cycles and rectification items."""
    from ..run.history import attach_rectifications, unit_history
    from ..workflow.history import published_cycles, stored_items, stored_runs

    with platform_session(url) as session:
        cycles = published_cycles(session, schemes)
        if not cycles:
            raise no_published_cycles(schemes)
        result = unit_history(stored_runs(session, cycles), unit, indicators)
        attach_rectifications(result, stored_items(session, unit, cycles))
    return result


def _ledger_items(path: Path):
    # the ledger is another area's (outcomes): imported only when --ledger is given
    from ..outcomes.ledger import Ledger

    if not path.is_dir():
        raise UsageError(
            text(
                f"--ledger：台账目录 {path} 不存在",
                f"--ledger: the ledger directory {path} does not exist",
            )
        )
    return Ledger(path).state().items.values()


def _rectification_text(items: list[dict]) -> str:
    from ..outcomes.lifecycle import status_name  # the ledger's status names, with --ledger only

    return "; ".join(f"{i['title']} [{status_name(i['status'])}]" for i in items)


def _unresolved(items: list[dict]) -> int:
    return sum(i["status"] != "closed" for i in items)


CSV_COLUMNS = (
    "unit",
    "name",
    "period",
    "scheme",
    "scheme_version",
    "scheme_changed_from",
    "status",
    "score",
    "grade",
    "rank",
    "units",
    "score_change",
    "grade_change",
    "compared_with",
)


def history_csv(result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            *CSV_COLUMNS,
            *(c.id for c in result.columns),
            "rectification_items",
            "rectification_unresolved",
            "rectifications",
        ]
    )
    for year in result.years:
        facts = {
            "unit": result.unit,
            "name": result.name,
            "period": year.period,
            "scheme": year.scheme_id,
            "scheme_version": year.scheme_version,
            "scheme_changed_from": year.scheme_changed_from,
            "status": year.status,
            "score": year.score,
            "grade": year.grade,
            "rank": year.rank,
            "units": year.units,
            "score_change": year.score_change,
            "grade_change": year.grade_change,
            "compared_with": year.compared_with,
        }
        writer.writerow(
            [
                *("" if facts[c] is None else facts[c] for c in CSV_COLUMNS),
                *("" if year.values[c.id] is None else year.values[c.id] for c in result.columns),
                len(year.rectifications),
                _unresolved(year.rectifications),
                _rectification_text(year.rectifications) if year.rectifications else "",
            ]
        )
    return buffer.getvalue()


def history_json(result) -> dict:
    return {
        "unit": result.unit,
        "name": result.name,
        "columns": [asdict(c) for c in result.columns],
        "years": [asdict(year) for year in result.years],
    }


def _number(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_history(result) -> None:
    english = language() == "en"
    table = with_columns(
        Table(title=f"{result.name}（{result.unit}）", title_justify="left"),
        (
            ("考核期", "period"),
            ("考核办法", "scheme"),
            ("得分", "score"),
            ("等次", "grade"),
            ("名次", "rank"),
            ("得分变化", "score change"),
            ("等次变化", "grade change"),
        ),
    )
    for column in result.columns:
        suffix = text("（得分率）", " (share)") if column.kind == "share" else ""
        table.add_column((column.label_en if english else column.label) + suffix)
    show_items = any(year.rectifications for year in result.years)
    if show_items:
        table.add_column(text("整改事项", "rectification"))
    notes = []
    for year in result.years:
        scheme = f"{year.scheme_id} {year.scheme_version}"
        if year.scheme_changed_from:
            table.add_section()  # a line where the scheme changed
            scheme += text("（办法变更）", " (scheme changed)")
            notes.append(
                text(
                    f"{year.period} 起考核办法由 {year.scheme_changed_from} 变更为 "
                    f"{year.scheme_id}：前后得分与等次不可比，不计算变化",
                    f"from {year.period} the scheme changed from {year.scheme_changed_from} to "
                    f"{year.scheme_id}: scores and grades before and after are not comparable, "
                    "no change is computed",
                )
            )
        change = CHANGES.get(year.grade_change or "")
        cells = [
            year.period,
            scheme,
            _number(year.score),
            year.grade or year.status,
            "—" if year.rank is None else f"{year.rank}/{year.units}",
            "" if year.score_change is None else f"{year.score_change:+.2f}",
            text(*change) if change else (year.grade_change or ""),
        ]
        for column in result.columns:
            value = year.values[column.id]
            if column.kind == "share":
                cells.append("—" if value is None else f"{value * 100:.1f} %")
            else:
                cells.append(_number(value, 4))
        if show_items:
            cells.append(
                text(
                    f"{len(year.rectifications)} 项，未销号 {_unresolved(year.rectifications)}",
                    f"{len(year.rectifications)}, {_unresolved(year.rectifications)} unresolved",
                )
                if year.rectifications
                else ""
            )
        table.add_row(*cells)
    table.caption = "\n".join(notes) or None
    console.print(table)
