"""The ``kaohe`` command line: one sub-command (group) per area."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import KaoheError, UsageError
from .i18n import set_language, text

app = typer.Typer(
    help="考核 Kaohe — declarative performance assessments (考核办法 → 等次、排名、解释).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
scheme_app = typer.Typer(help="考核办法 schemes: check, list.", no_args_is_help=True)
app.add_typer(scheme_app, name="scheme")

console = Console()
errors = Console(stderr=True)


def user_errors(command: Callable) -> Callable:
    """Print a user's error (a ``KaoheError``) plainly and exit 2; anything else is a bug."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KaoheError as error:
            errors.print(f"[bold red]{text('错误', 'error')}:[/] {error}", highlight=False, markup=True)
            raise typer.Exit(code=error.exit_code) from None

    return wrapper


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
                text(f"--param 应写成 名称=值，而不是 {item!r}", f"--param takes name=value, not {item!r}")
            )
        try:
            params[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[name.strip()] = raw
    return params


@app.command()
@user_errors
def assess(
    scheme: Annotated[str, typer.Option(help="Scheme file, or the name of a bundled scheme.")],
    data: Annotated[Path, typer.Option(help="Directory: units.csv and one CSV/Parquet per source.")],
    out: Annotated[Path, typer.Option(help="Output directory (replaced atomically).")],
    period: Annotated[str | None, typer.Option(help="Period to select in sources with a period column.")] = None,
    seed: Annotated[int, typer.Option(help="Seed recorded in the manifest (for random steps).")] = 0,
    param: Annotated[list[str], typer.Option(help="Override a scheme parameter: name=value.")] = [],  # noqa: B006
) -> None:
    """Assess units: data + scheme → results.csv/.parquet/.xlsx, explain.json, manifest.json."""
    from .run import assess as run_assess

    result = run_assess(scheme, data, out, period=period, seed=seed, parameters=parse_params(param))
    print_results(result)
    console.print(text(f"结果已写入 {out}", f"results written to {out}"))


def print_results(result, limit: int = 40) -> None:
    from .run.results import result_rows

    rows = result_rows(result.state)
    model = result.scheme.model
    table = Table(title=f"{model.title}（{model.id} {model.version}）", title_justify="left")
    for header in (text("名次", "rank"), text("代码", "unit"), text("名称", "name"),
                   text("得分", "score"), text("等次", "grade"), text("结果应用", "outcomes")):
        table.add_column(header)
    for row in rows[:limit]:
        table.add_row(
            str(row["rank"] or ""),
            row["unit"],
            row["name"],
            "" if row["score"] is None else f"{row['score']:.2f}",
            row["grade"] or "",
            row["outcomes"],
        )
    if len(rows) > limit:
        table.caption = text(f"另有 {len(rows) - limit} 个考核对象，见 results.csv", f"{len(rows) - limit} more in results.csv")
    console.print(table)


@scheme_app.command("check")
@user_errors
def scheme_check(
    file: Annotated[str, typer.Argument(help="Scheme file or bundled scheme name.")],
) -> None:
    """Check a scheme: exit 0 when valid, 2 with FILE:LINE messages otherwise."""
    from .scheme import load_scheme

    loaded = load_scheme(file)
    model = loaded.model
    console.print(
        text(
            f"{loaded.file}：有效。{model.title}，{len(model.indicators)} 个指标，"
            f"{len(model.measures)} 项基础数据，等次 {'/'.join(model.grading.grades)}",
            f"{loaded.file}: valid. {model.title_en or model.title}, "
            f"{len(model.indicators)} indicators, {len(model.measures)} measures, "
            f"grades {'/'.join(model.grading.grades)}",
        )
    )


@scheme_app.command("list")
def scheme_list() -> None:
    """List the bundled schemes."""
    from .scheme import bundled_schemes, load_scheme

    table = Table()
    for header in ("id", text("名称", "title"), text("版本", "version"), text("依据", "source")):
        table.add_column(header)
    for name, path in sorted(bundled_schemes().items()):
        model = load_scheme(str(path)).model
        table.add_row(name, model.title, model.version, model.policy_source)
    console.print(table)


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo data and runs.")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2016,
) -> None:
    """Generate the synthetic national data set and run the bundled schemes on it."""
    from .demo import run_demo

    run_demo(out, seed, console)


def run() -> None:  # pragma: no cover - entry point for ``python -m kaohe``
    app(prog_name="kaohe")
    sys.exit(0)
