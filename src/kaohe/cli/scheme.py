"""``kaohe scheme …``: check and list schemes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..i18n import text
from .app import console, scheme_app, user_errors, with_columns

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@scheme_app.command("check")
@user_errors
def scheme_check(
    file: Annotated[str, typer.Argument(help="Scheme file or bundled scheme name.")],
) -> None:
    """Check a scheme: exit 0 when valid, 2 with FILE:LINE messages otherwise."""
    from ..scheme import load_scheme

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
    from ..scheme import bundled_schemes, load_scheme

    table = with_columns(
        Table(),
        (
            "id",
            text("名称", "title"),
            text("版本", "version"),
            text("年度", "years"),
            text("依据", "source"),
        ),
    )
    for name, path in sorted(bundled_schemes().items()):
        model = load_scheme(str(path)).model
        years = model.years.label() if model.years else ""
        table.add_row(name, model.title, model.version, years, model.policy_source)
    console.print(table)
