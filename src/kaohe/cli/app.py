"""The ``kaohe`` application object and what every command shares: console, errors, options."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import __version__
from ..disk_space import write_error
from ..errors import KaoheError, UsageError
from ..i18n import set_language, text
from ..memory_limit import checked_limit, out_of_memory

app = typer.Typer(
    help="考核 Kaohe — declarative performance assessments (考核办法 → 等次、排名、解释).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
# Options several commands share, declared once so that their help reads the same everywhere.
DataOption = Annotated[Path, typer.Option(help="Data directory: units.csv and the source files.")]
# assess and data check: a data directory, or a store instead
SourcesOption = Annotated[
    Path | None,
    typer.Option(
        help="Directory: units and one file per source (CSV, Excel, Parquet, or a "
        "workbook with a sheet per source)."
    ),
]
PeriodOption = Annotated[
    str | None, typer.Option(help="Period to select in sources with a period column.")
]
ParamsOption = Annotated[list[str], typer.Option(help="Override a scheme parameter: name=value.")]


def _memory_limit(value: str | None) -> str | None:
    try:
        return checked_limit(value)
    except UsageError as error:  # while the options are read: click's own bad-parameter exit 2
        raise typer.BadParameter(str(error)) from None


MemoryLimitOption = Annotated[
    str | None,
    typer.Option(
        callback=_memory_limit,
        help="Memory limit, e.g. 4GB: beyond it DuckDB spills to a scratch folder on disk "
        "(Spark: the driver's memory).",
    ),
]
MappingOption = Annotated[
    list[Path],
    typer.Option(
        help="Mapping file (kaohe data map): how a file's headers and values are read as a "
        "source. Repeatable; DATA/*.mapping.yaml are read too."
    ),
]

scheme_app = typer.Typer(help="考核办法 schemes: check, list.", no_args_is_help=True)
app.add_typer(scheme_app, name="scheme")

console = Console()
# soft_wrap: a 'FILE:LINE: message' stays on one line in CI logs and pipes.
errors = Console(stderr=True, soft_wrap=True)


def with_columns(table: Table, headers: Iterable[str | tuple[str, str]], **options: Any) -> Table:
    """``table`` with one column per header — a text, or a (Chinese, English) pair shown in the
    user's language — each with the same ``options`` (e.g. no_wrap)."""
    for header in headers:
        table.add_column(header if isinstance(header, str) else text(*header), **options)
    return table


def user_errors(command: Callable) -> Callable:
    """Print a user's error (a ``KaoheError``) plainly and exit 2; anything else is a bug —
    except a full disk or DuckDB out of memory under the limit, which no command can prevent:
    wherever they strike they are the same clear line (``disk_space.write_error``,
    ``memory_limit.out_of_memory``), not a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KaoheError as error:
            _print_error(error)
            raise typer.Exit(code=error.exit_code) from None
        except Exception as error:
            # typer's and click's own control flow (Exit, Abort) is never a full disk
            control = isinstance(error, typer.Exit | click.exceptions.ClickException)
            known = None if control else write_error(error) or out_of_memory(error)
            if known is None:
                raise
            _print_error(known)
            raise typer.Exit(code=known.exit_code) from None

    return wrapper


def _print_error(error: KaoheError) -> None:
    errors.print(
        f"[bold red]{text('错误', 'error')}:[/] {escape(str(error))}", highlight=False, markup=True
    )


def _version(value: bool) -> None:
    if value:
        console.print(f"kaohe {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    lang: Annotated[
        str, typer.Option("--lang", help="界面语言 zh|en (default: $KAOHE_LANG or zh)")
    ] = "",
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    if lang:
        try:
            set_language(lang)
        except ValueError as error:
            errors.print(str(error))
            raise typer.Exit(code=2) from None


def parse_params(items: list[str]) -> dict[str, Any]:
    """``name=value`` pairs; values are read as JSON where they parse (numbers, true, null)."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise UsageError(
                text(
                    f"--param 应写成 名称=值，而不是 {item!r}",
                    f"--param takes name=value, not {item!r}",
                )
            )
        try:
            params[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[name.strip()] = raw
    return params
