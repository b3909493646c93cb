"""``kaohe template``: the Excel workbook an office fills in, from source schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..i18n import text
from .app import DataOption, PeriodOption, app, console, user_errors

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


@app.command("template")
@user_errors
def template(
    sources: Annotated[
        list[str],
        typer.Argument(help="Sources: a bundled source's name (households …) or a schema file."),
    ],
    out: Annotated[Path, typer.Option(help="The workbook to write (.xlsx).")],
    prefill: Annotated[
        bool,
        typer.Option(
            "--prefill", help="Fill in the rows --data already holds for --unit and units below it."
        ),
    ] = False,
    data: DataOption = None,  # type: ignore[assignment]  (only with --prefill)
    unit: Annotated[
        str | None, typer.Option(help="With --prefill: the unit whose rows are filled in.")
    ] = None,
    period: PeriodOption = None,
) -> None:
    """The Excel workbook an office fills in: one sheet per source (headers in the user's
    language, drop-downs for allowed values and 是/否, ranges, number formats) and an
    instructions sheet 说明; with --prefill, the rows --data already holds for --unit."""
    from ..data.prefill import known_rows
    from ..data.schemas import load_schema
    from ..data.templates import schema_sheet, write_template

    _check_options(prefill, data, unit, period)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(
            text(f"--out 应为 .xlsx 文件：{out}", f"--out must be an .xlsx file: {out}")
        )
    loaded = [load_schema(source) for source in sources]
    sheets = []
    for schema in loaded:
        if not prefill:
            sheets.append(schema_sheet(schema.model))
            continue
        known = known_rows(schema, data, unit, period)
        sheets.append(schema_sheet(schema.model, known.rows, known.units))
        if known.file is None:
            console.print(
                text(
                    f"{data} 中没有数据源 {schema.source} 的文件：该工作表未预填数据",
                    f"{data} holds no file for source {schema.source}: nothing prefilled there",
                )
            )
    notes = [
        [
            text(
                "填报模板：每个工作表是一个数据源，填好后用 kaohe import 导入",
                "Template: one sheet per source; import the filled sheets with kaohe import",
            )
        ],
        *(
            [
                sheet.title,
                text(
                    f"数据源 {schema.source}（格式第 {schema.model.version} 版）："
                    f"kaohe import {schema.source} 文件 --sheet {sheet.title} --store 目录",
                    f"source {schema.source} (schema version {schema.model.version}): "
                    f"kaohe import {schema.source} FILE --sheet {sheet.title} --store DIR",
                ),
            ]
            for schema, sheet in zip(loaded, sheets, strict=True)
        ),
    ]
    if prefill:
        notes.insert(
            1,
            [
                text(
                    f"已预填 {data} 中考核对象 {unit} 及其下级的数据，请核对",
                    f"Prefilled with what {data} holds for unit {unit} and the units below it: "
                    "check it",
                )
            ],
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(write_template(sheets, notes))
    rows = sum(len(sheet.rows) for sheet in sheets)
    console.print(
        text(
            f"已写出 {out}：{len(sheets)} 个数据源" + (f"，预填 {rows} 行" if prefill else ""),
            f"wrote {out}: {len(sheets)} source(s)"
            + (f", {rows} rows prefilled" if prefill else ""),
        )
    )


def _check_options(prefill: bool, data: Path | None, unit: str | None, period: str | None) -> None:
    if prefill and (data is None or unit is None):
        raise UsageError(
            text(
                "--prefill 需要 --data 目录 和 --unit 考核对象代码",
                "--prefill needs --data DIR and --unit CODE",
            )
        )
    if not prefill and (data is not None or unit is not None or period is not None):
        raise UsageError(
            text(
                "--data、--unit、--period 只与 --prefill 一起使用",
                "--data, --unit and --period go with --prefill",
            )
        )
