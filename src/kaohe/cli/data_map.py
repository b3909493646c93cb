"""``kaohe data map``: propose how an office's file is read as a source (a mapping file)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ..i18n import text
from .app import console, user_errors, with_columns
from .data_check import data_app

# Commands import their area inside the function (see cli/data.py): the command line starts
# without DuckDB and fastexcel.


@data_app.command("map")
@user_errors
def map_command(
    file: Annotated[Path, typer.Argument(help="The file: CSV, Excel (.xlsx, .xls) or Parquet.")],
    source: Annotated[str, typer.Option(help="The source it holds (or a schema file, .yaml).")],
    sheet: Annotated[str | None, typer.Option(help="Excel: the worksheet to read.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the mapping (default: FILE's name + .mapping.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing mapping file.")] = False,
) -> None:
    """Find the header (under title rows, two rows joined), match it to the source's columns by
    id, label, alias, then similarity, list values the columns' rules would refuse, and write a
    mapping for you to confirm and pass with --mapping."""
    from ..data.mapping_proposals import propose
    from ..data.schemas import load_schema

    if not file.is_file():
        raise UsageError(text(f"找不到文件 {file}", f"no such file: {file}"))
    schema = load_schema(source)
    target = out or file.with_name(f"{file.stem}.{schema.source}.mapping.yaml")
    if target.exists() and not force:
        raise UsageError(
            text(
                f"{target} 已存在；确认后用 --force 覆盖，或用 --out 另写一个文件",
                f"{target} exists; replace it with --force, or write another with --out",
            )
        )
    with tempfile.TemporaryDirectory(prefix="kaohe-map-") as scratch:
        proposal = propose(file, schema, sheet=sheet, scratch=Path(scratch))
    table = with_columns(
        Table(title=text("列的对应", "Columns"), title_justify="left"),
        (("列", "column"), ("文件中的表头", "file header"), ("依据", "by"),
         ("不符合规则的值", "values refused")),
    )  # fmt: skip
    how = {
        "id": ("列名", "id"),
        "label": ("名称", "label"),
        "alias": ("别名", "alias"),
        "fuzzy": ("相似", "similar"),
        "missing": ("未找到", "not found"),
    }
    for item in proposal.columns:
        by = text(*how[item.how])
        if item.how == "fuzzy":
            by += f" {item.score:.2f}"
        table.add_row(item.column, item.header or "", by, "、".join(item.unknown_values))
    console.print(table)
    target.write_text(proposal.to_yaml(), encoding="utf-8")
    console.print(
        text(
            f"映射已写入 {target}：请确认后用 --mapping {target} 运行 kaohe data check 或 assess",
            f"mapping written to {target}: confirm it, then pass --mapping {target} to "
            "kaohe data check or assess",
        ),
        highlight=False,
    )
