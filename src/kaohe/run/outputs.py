"""Write a run's outputs atomically: results (CSV, Parquet, Excel), explain.json, manifest.json.

Everything is written to a temporary directory beside OUT and renamed into place at the end, so
a failed run never leaves a half-written output directory (and never destroys the previous one).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from .. import __version__
from ..data.files import sha256_of
from ..errors import UsageError
from ..formatting import XLSX_PERCENT
from ..i18n import language, text
from .explain import explain
from .results import Column, result_columns, result_rows

if TYPE_CHECKING:
    from .assess import RunResult

_ARROW = {
    "text": pa.string(),
    "number": pa.float64(),
    "percent": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}


def jsonable(value: Any) -> Any:
    """Plain JSON: NaN/inf become null, tuples lists, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def write_json(path: Path, payload: Any) -> None:
    path.write_text(
        json.dumps(jsonable(payload), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
        sheet.write(0, j, column.label, header)
        sheet.set_column(j, j, 12 if column.kind != "text" else 16, formats[column.kind])
    for i, row in enumerate(rows, start=1):
        for j, column in enumerate(columns):
            value = row[column.name]
            if value is None:
                continue
            if column.kind == "boolean":
                sheet.write_string(i, j, "是" if value else "否")
            else:
                sheet.write(i, j, value)
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
        about.write(i, 0, key, header)
        about.write(i, 1, value)
    about.set_column(0, 0, 14)
    about.set_column(1, 1, 80)
    book.close()


def manifest(result: RunResult, created: dt.datetime, outputs: dict[str, str]) -> dict[str, Any]:
    scheme = result.scheme
    return {
        "kaohe_version": __version__,
        "created": created.isoformat(timespec="seconds"),
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
            "units": {"file": str(result.units.file), "sha256": result.units.sha256},
            **{
                item.name: {
                    "file": str(item.file),
                    "sha256": item.sha256,
                    "rows": item.rows,
                    **result.evidence.get(item.name, {}),
                }
                for item in result.inputs
            },
        },
        "outputs": outputs,
        "preliminary": result.preliminary,
    }


def check_output_directory(out: Path) -> None:
    """Refuse an OUT that a run must not replace: a file, or a directory that is not a run.

    A run replaces its output directory whole, so ``--out`` pointing at the data directory or a
    home folder by mistake would delete it; only a new or empty directory, or an earlier run's
    (it has manifest.json), is replaced.
    """
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(
            text(
                f"{out} 已存在且不是目录；请为结果另选一个目录",
                f"{out} exists and is not a directory; choose a directory for the results",
            )
        )
    if any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise UsageError(
            text(
                f"{out} 不是空目录，也不是以前的考核结果（没有 manifest.json）。考核会整体替换输出"
                "目录，请选择新的或空的目录",
                f"{out} is not empty and holds no earlier run (no manifest.json). A run replaces "
                "its output directory whole: choose a new or empty directory",
            )
        )


def write_outputs(result: RunResult, out: Path, created: dt.datetime) -> None:
    check_output_directory(out)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        state = result.state
        columns = result_columns(state)
        rows = result_rows(state)
        write_csv(staging / "results.csv", columns, rows)
        write_parquet(staging / "results.parquet", columns, rows)
        write_xlsx(staging / "results.xlsx", columns, rows, result)
        write_json(staging / "explain.json", explain(state))
        outputs = {p.name: sha256_of(p) for p in sorted(staging.iterdir())}
        write_json(staging / "manifest.json", manifest(result, created, outputs))
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; an existing ``out`` is swapped out only once the new one is whole."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
