"""The records behind a measure (明细): the rows of the measure's source that belong to a unit and
its subtree, read with DuckDB from the very input file the run read (``manifest.json``:
``inputs.<source>.file``), filtered by the source's unit column and the run's period, a page at a
time. Nothing is loaded whole: DuckDB streams the file and stops after the page.

A file that is gone, or no longer has the sha256 the run recorded, is refused rather than shown as
the run's records. The hash is checked once per file state (path, size, modification time) and
process, because a registry can be large.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..data.files import scan_sql
from ..expr import quote
from ..i18n import text
from ..store.models import Cycle, Unit
from .errors import Invalid, NotFound
from .platform_results import scheme_facts
from .result_views import RunView

PAGE = 100
PERIOD_COLUMN = "period"


@dataclass(frozen=True)
class MeasureSource:
    """Where a measure's records are: its source, expression and the source's unit column."""

    measure: str
    source: str
    expr: str
    unit_column: str
    label: str
    unit_of_measure: str | None = None  # "%": a ratio, shown as a percentage


def measure_source(run: RunView, measure: str) -> MeasureSource:
    known = run.manifest.get("measure_sources")
    if known is None:  # a run imported before the platform recorded it
        known = scheme_facts(run.manifest)["measure_sources"]
    found = known.get(measure)
    if found is None:
        raise NotFound(
            text(
                f"基础数据 {measure} 不在本次考核结果的考核办法中（或考核办法文件已不可读）",
                f"measure {measure} is not in the run's scheme (or its scheme file is gone)",
            )
        )
    return MeasureSource(
        measure,
        found["source"],
        found["expr"],
        found["unit_column"],
        found.get("label") or measure,
        found.get("unit_of_measure"),
    )


_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _verified:
            return _verified[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with _lock:
        _verified[key] = digest.hexdigest()
    return _verified[key]


def input_file(run: RunView, source: str) -> Path:
    """The file the run read for ``source``, checked to be unchanged."""
    entry = (run.manifest.get("inputs") or {}).get(source) or {}
    if not entry.get("file"):
        raise NotFound(
            text(
                f"本次考核结果的 manifest.json 没有记录数据源 {source} 的文件",
                f"the run's manifest.json records no file for source {source}",
            )
        )
    path = Path(entry["file"])
    if not path.is_file():
        raise Invalid(
            text(
                f"数据源 {source} 的文件 {path} 已不在原处；请把该文件放回原处后再查看明细",
                f"the file of source {source}, {path}, is no longer there; put it back to see "
                "the records",
            )
        )
    if entry.get("sha256") and _sha256(path) != entry["sha256"]:
        raise Invalid(
            text(
                f"数据源 {source} 的文件 {path} 在计算后被改动（sha256 不符），不能作为本次结果的明细",
                f"the file of source {source}, {path}, changed after the run (sha256 differs); "
                "it cannot be shown as this run's records",
            )
        )
    return path


@dataclass(frozen=True)
class RecordPage:
    measure: MeasureSource
    file: Path
    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int
    page: int
    pages: int
    # the run's period (its rows are read for it) and the cycle's: they differ only for a run
    # computed on another year's data and imported into this cycle, which the page says
    period: str | None = None
    cycle_period: str | None = None

    @property
    def period_differs(self) -> bool:
        return bool(self.period and self.cycle_period) and self.period != self.cycle_period


def subtree(session: Session, unit: Unit) -> list[str]:
    return list(session.scalars(select(Unit.code).where(Unit.path.startswith(unit.path))))


def records(session: Session, run: RunView, unit: Unit, measure: str, page: int = 1) -> RecordPage:
    """One page (``PAGE`` rows, in file order) of the measure's source rows in ``unit``'s subtree
    for the run's period. The caller has checked role and scope."""
    found = measure_source(run, measure)
    path = input_file(run, found.source)
    codes = subtree(session, unit)
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.register("subtree", pa.table({"code": pa.array(codes, pa.string())}))
        scan = scan_sql(path)
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        if found.unit_column not in columns:
            raise Invalid(
                text(
                    f"{path.name} 没有单位列 {found.unit_column}",
                    f"{path.name} has no unit column {found.unit_column}",
                )
            )
        where = f"CAST({quote(found.unit_column)} AS VARCHAR) IN (SELECT code FROM subtree)"
        parameters: list[Any] = []
        period = run.manifest.get("period")
        if period and PERIOD_COLUMN in columns:
            where += f" AND CAST({quote(PERIOD_COLUMN)} AS VARCHAR) = ?"
            parameters.append(str(period))
        total = con.execute(f"SELECT count(*) FROM {scan} WHERE {where}", parameters).fetchone()[0]
        pages = max(1, -(-total // PAGE))
        page = min(max(1, page), pages)
        rows = con.execute(
            f"SELECT * FROM {scan} WHERE {where} LIMIT {PAGE} OFFSET {(page - 1) * PAGE}",
            parameters,
        ).fetchall()
    except duckdb.Error as error:
        raise Invalid(
            text(f"读取 {path.name} 失败：{error}", f"cannot read {path.name}: {error}")
        ) from None
    finally:
        con.close()
    cycle = session.get(Cycle, run.cycle_id)
    return RecordPage(
        found,
        path,
        columns,
        rows,
        total,
        page,
        pages,
        str(period) if period else None,
        cycle.period if cycle is not None else None,
    )
