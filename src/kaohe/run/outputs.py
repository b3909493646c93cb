"""Write a run's outputs: results (CSV, Parquet, Excel), explain.json, the scheme and measure SQL
as run (scheme.yaml, measures.sql) and manifest.json — atomically, through the run record.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from ..data.cell_safety import csv_cell, write_cell
from ..formatting import XLSX_PERCENT
from ..i18n import language
from .as_run import MEASURES_FILE, SCHEME_FILE, compiled_measures, scheme_as_run
from .explain import explain
from .record import (
    check_output_directory,
    input_entry,
    jsonable,
    staged_directory,
    write_json,
    write_manifest,
)
from .result import RunResult
from .results_table import Column, PeriodBefore, result_columns, result_rows, with_previous_columns

_ARROW = {
    "text": pa.string(),
    "number": pa.float64(),
    "percent": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(csv_cell(value))  # a unit's name from units.csv may read as a formula


def write_csv(path: Path, columns: list[Column], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([_csv_value(row[c.name]) for c in columns])


def write_parquet(path: Path, columns: list[Column], rows: list[dict]) -> None:
    table = pa.table(
        {c.name: pa.array([row[c.name] for row in rows], type=_ARROW[c.kind]) for c in columns}
    )
    pq.write_table(table, path)


# The document date of every workbook a run writes: a constant, so that identical runs give
# byte-identical files (and manifest.json's sha256 reproduces); the run's time is in manifest.json.
XLSX_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def reproducible_workbook(path: Path) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook without clock times: the document properties carry ``XLSX_DATE``
    and the ZIP members xlsxwriter's fixed 1980-01-01 (in memory: no temporary files, whose
    times and modes would otherwise vary)."""
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": XLSX_DATE})
    return book


def write_xlsx(path: Path, columns: list[Column], rows: list[dict], result: RunResult) -> None:
    model = result.scheme.model
    book = reproducible_workbook(path)
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    formats = {
        "number": book.add_format({"num_format": "0.00"}),
        "percent": book.add_format({"num_format": XLSX_PERCENT}),
        "integer": book.add_format({"num_format": "0"}),
        "text": None,
        "boolean": None,
    }
    sheet = book.add_worksheet("考核结果")
    for j, column in enumerate(columns):
        write_cell(sheet, 0, j, column.label, header)
        sheet.set_column(j, j, 12 if column.kind != "text" else 16, formats[column.kind])
    for i, row in enumerate(rows, start=1):
        for j, column in enumerate(columns):
            value = row[column.name]
            if value is None:
                continue
            if column.kind == "boolean":
                sheet.write_string(i, j, "是" if value else "否")
            else:
                write_cell(sheet, i, j, value)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    about = book.add_worksheet("说明")
    facts = [
        ("考核办法", model.title),
        ("办法编号", model.id),
        ("版本", model.version),
        ("政策依据", model.policy_source),
        ("考核期", result.period or ""),
        ("列名", "第一行为中文名称；results.csv 中为机器列名"),
        ("比率", "计量单位为 % 的指标以百分比显示（1.50%），单元格中的值为比率（0.015）"),
    ]
    for i, (key, value) in enumerate(facts):
        write_cell(about, i, 0, key, header)
        write_cell(about, i, 1, value)  # the scheme's title and source, as its author wrote them
    about.set_column(0, 0, 14)
    about.set_column(1, 1, 80)
    book.close()


def manifest_facts(result: RunResult) -> dict[str, Any]:
    """What a run's manifest records beside the common part (see ``record.manifest``)."""
    scheme = result.scheme
    return {
        "period": result.period,
        "seed": result.seed,
        "language": language(),  # of the text columns (notes, grade rules): part of the inputs
        "scheme": {
            "id": scheme.model.id,
            "version": scheme.model.version,
            "file": scheme.file,
            "sha256": scheme.sha256,
            "parameters": scheme.parameters,
        },
        "engine": {"measures": result.engine, "duckdb_version": duckdb.__version__},
        "inputs": {
            "units": input_entry(result.units.file, result.units.sha256),
            **{
                item.name: input_entry(
                    item.file,
                    item.sha256,
                    **{
                        "rows": item.rows,
                        **item.read_as(),
                        **result.evidence.get(item.name, {}),
                    },
                )
                for item in result.inputs
            },
        },
        "preliminary": result.preliminary,
    }


def write_outputs(
    result: RunResult, out: Path, created: dt.datetime, previous: PeriodBefore | None = None
) -> None:
    """Write the run; with ``previous`` (``kaohe assess --previous``), the results carry last
    period's grade, score and rank and their changes, and the manifest names that run."""
    check_output_directory(out)
    with staged_directory(out) as staging:
        state = result.state
        columns = result_columns(state)
        rows = result_rows(state)
        if previous is not None:
            columns = with_previous_columns(columns, previous)
            previous.extend(rows)
        write_csv(staging / "results.csv", columns, rows)
        write_parquet(staging / "results.parquet", columns, rows)
        write_xlsx(staging / "results.xlsx", columns, rows, result)
        write_json(staging / "explain.json", explain(state))
        (staging / SCHEME_FILE).write_text(scheme_as_run(result.scheme), encoding="utf-8")
        (staging / MEASURES_FILE).write_text(
            compiled_measures(result.plans, result.engine), encoding="utf-8"
        )
        facts = manifest_facts(result)
        if previous is not None:  # only then: runs without --previous stay byte-identical
            facts["previous"] = previous.manifest_entry()
        write_manifest(staging, created, **facts)


__all__ = ["check_output_directory", "jsonable", "write_json", "write_outputs"]
