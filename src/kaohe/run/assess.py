"""Run an assessment: load the scheme and data, compute measures, score, write the outputs."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ..data.progress import Tracker
from ..data.snapshots import Snapshot, Store
from ..data.source_files import directory_mappings
from ..data.sources import SourceInput, register_source
from ..data.units import load_units
from ..disk_space import writing
from ..errors import DataError, UsageError
from ..i18n import text
from ..measures import ENGINES, plan_measures
from ..measures.collect import collect
from ..measures.duckdb_engine import DuckDBEngine, configure
from ..measures.presence import blank_without_rows, unit_rows, with_row_counts
from ..scheme import LoadedScheme, load_scheme
from ..scoring import ScoringState, score
from ..scoring.state import as_column
from ..staging import clear_abandoned, owner
from .outputs import write_outputs
from .record import check_output_directory
from .result import RunResult
from .results_table import PeriodBefore

_SPILL_PREFIX = "kaohe-spill-"


def assess(
    scheme: str | LoadedScheme,
    data: Path | None,
    out: Path | None,
    period: str | None = None,
    seed: int = 0,
    parameters: dict[str, Any] | None = None,
    created: dt.datetime | None = None,
    *,
    store: Path | None = None,
    snapshots: dict[str, str] | None = None,
    engine: str = "duckdb",
    memory_limit: str | None = None,
    mappings: list[Path] | tuple[Path, ...] = (),
    tracker: Tracker | None = None,
    preliminary: dict[str, Any] | None = None,
    previous: PeriodBefore | None = None,
) -> RunResult:
    """Assess the units of ``data`` by ``scheme`` and write the outputs to ``out`` (if given).

    The data is a directory (``data``) or the snapshot store (``store``): then each source is
    its latest snapshot, or the one ``snapshots`` names by hash (prefix) for that source.
    Measures run on ``engine`` (duckdb, or spark); ``memory_limit`` bounds either engine.
    ``previous``: last period's run (``run.previous.open_previous``) beside the written results.
    """
    tracker = tracker or Tracker()
    clock = _Clock()
    loaded = scheme if isinstance(scheme, LoadedScheme) else load_scheme(scheme, parameters)
    clock.lap("scheme")
    if out is not None:
        check_output_directory(Path(out))  # refuse a wrong --out before computing, not after
    if engine not in ENGINES:
        raise UsageError(
            text(
                f"未知的计算引擎 {engine}；可选：{'、'.join(ENGINES)}",
                f"unknown engine {engine}; use one of {', '.join(ENGINES)}",
            )
        )
    model = loaded.model
    used = sorted({m.source for m in model.measures.values()})
    chosen = _choose_snapshots(data, store, snapshots or {}, used)
    # --mapping files: how an office's files are read as sources (data/mappings.py)
    mapped = directory_mappings(None, mappings)
    attributes = {name: a.type for name, a in model.unit_attributes.items()}
    if store is not None:
        units = load_units(None, attributes, path=chosen["units"].path)
    else:
        units = load_units(Path(data), attributes, mappings=mapped)
    clock.lap("units")
    assessed = units.assessed(model.assesses.kind, model.assesses.level)
    if not assessed:
        raise DataError(
            text(
                f"{units.file}：没有类型为 {model.assesses.kind}、层级为 {model.assesses.level} "
                "的考核对象；请检查 kind 和 level 列",
                f"{units.file}: no units of kind {model.assesses.kind} at level "
                f"{model.assesses.level}; check the kind and level columns",
            )
        )
    with duckdb.connect() as con, _spill_folder() as spill, writing(spill):
        configure(con, memory_limit if engine == "duckdb" else None, spill)
        # a list parameter, not an Arrow table: DuckDB imports pandas (0.3 s) for Arrow
        con.execute(
            "CREATE TEMP TABLE kaohe_units AS SELECT unnest($1::VARCHAR[]) AS unit", [units.codes]
        )
        inputs = []
        for name in used:
            if name in chosen:
                snapshot = chosen[name]
                inputs.append(
                    register_source(
                        con,
                        name,
                        model.sources[name],
                        None,
                        period,
                        path=snapshot.path,
                        facts=snapshot.facts(),
                        sha256=snapshot.sha256,
                    )
                )
            else:
                inputs.append(
                    register_source(
                        con, name, model.sources[name], Path(data), period, mappings=mapped
                    )
                )
        refuse_empty_sources(loaded, inputs, period)
        counted, measure_sources = with_row_counts(
            loaded.measures, {n: m.source for n, m in model.measures.items()}
        )
        plans = plan_measures(counted, measure_sources)
        clock.lap("sources")
        with tracker.step(text("计算基础数据", "computing measures")):
            if engine == "spark":
                # pyspark is an optional extra (kaohe[spark]) and takes seconds to import
                from ..measures.spark_engine import compute_measures_spark, spark_session

                spark = spark_session(memory=memory_limit)
                measures = compute_measures_spark(
                    spark, inputs, plans, units.ancestors(), units.codes
                )
            else:
                measures = collect(
                    DuckDBEngine(con, tracker), plans, units.ancestors(), units.codes
                )
        clock.lap("measures")
        position = {code: i for i, code in enumerate(units.codes)}
        rows = [position[code] for code in assessed]
        per_unit = unit_rows(measures)
        optional = {name for name, source in model.sources.items() if source.optional}
        blank_without_rows(measures, per_unit, measure_sources, optional)
        evidence = source_coverage(inputs, per_unit, rows)
        values: dict[str, np.ndarray] = {}
        for name in model.unit_attributes:
            values[name] = as_column(units.attributes[name][code] for code in assessed)
        for name, column in measures.items():
            values[name] = as_column(column[rows])
        state = ScoringState(
            scheme=loaded,
            units=assessed,
            names=[units.name[code] for code in assessed],
            values=values,
            con=con,
        )
        score(state)
    clock.lap("scoring")
    result = RunResult(
        loaded,
        state,
        units,
        inputs,
        out,
        period,
        seed,
        engine,
        chosen,
        clock.laps,
        clock.cpu,
        preliminary,
        evidence,
        plans,
    )
    if out is not None:
        write_outputs(result, Path(out), created or dt.datetime.now(dt.UTC), previous)
        clock.lap("outputs")
    return result


def _spill_folder() -> tempfile.TemporaryDirectory:
    """Where DuckDB spills what does not fit in memory; the folders of runs that were killed
    (nothing removes them otherwise, and they can be large) are deleted first."""
    clear_abandoned(Path(tempfile.gettempdir()), _SPILL_PREFIX)
    return tempfile.TemporaryDirectory(prefix=f"{_SPILL_PREFIX}{owner()}-")


def refuse_empty_sources(scheme: LoadedScheme, inputs: list[SourceInput], period: str | None):
    """A source with no rows for the period is refused unless the scheme says it may be empty."""
    for item in inputs:
        if item.rows == 0 and not scheme.model.sources[item.name].optional:
            when = text(f"考核期 {period} ", f"for period {period} ") if period else ""
            raise DataError(
                text(
                    f"{item.file}：数据源 {item.name} {when}没有数据行。没有数据不能评定等次；"
                    f"请提供数据，或在考核办法中声明该数据源为可选（sources.{item.name}."
                    "optional: true，表示“无记录即无此类情况”）",
                    f"{item.file}: source {item.name} has no rows {when}. Nothing can be graded "
                    f"on no data: supply the rows, or declare the source optional in the scheme "
                    f"(sources.{item.name}.optional: true: no rows means none to report)",
                )
            )


def source_coverage(
    inputs: list[SourceInput], per_unit: dict[str, np.ndarray], assessed_rows: list[int]
) -> dict[str, dict[str, int]]:
    """Rows read per source, and the assessed units that have rows in it."""
    return {
        item.name: {
            "rows": int(item.rows),
            "units_with_rows": int(sum(1 for r in assessed_rows if per_unit[item.name][r])),
            "units_expected": len(assessed_rows),
        }
        for item in inputs
        if item.name in per_unit
    }


class _Clock:
    """Seconds spent in each phase of a run, for the benchmarks and for anyone asking why:
    wall-clock time, and CPU time of all the process's threads (steadier on a busy machine)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def lap(self, phase: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[phase] = now - self._last
        self.cpu[phase] = cpu - self._last_cpu
        self._last, self._last_cpu = now, cpu


def _choose_snapshots(
    data: Path | None, store: Path | None, named: dict[str, str], used: list[str]
) -> dict[str, Snapshot]:
    """The snapshot of units and of each source a run reads from the store (none for --data)."""
    if (data is None) == (store is None):
        raise UsageError(
            text(
                "请指定数据来源：--data 目录 或 --store 数据仓（二选一）",
                "say where the data is: --data DIR or --store DIR (one of them)",
            )
        )
    if data is not None:
        if named:
            raise UsageError(
                text("--snapshot 只能与 --store 一起使用", "--snapshot goes with --store only")
            )
        if not Path(data).is_dir():
            raise UsageError(
                text(f"数据目录 {data} 不存在", f"the data directory {data} does not exist")
            )
        return {}
    unknown = [name for name in named if name not in ("units", *used)]
    if unknown:
        raise UsageError(
            text(
                f"--snapshot 中的数据源 {', '.join(unknown)} 不是本办法读取的数据源"
                f"（units、{'、'.join(used)}）",
                f"--snapshot names sources the scheme does not read: {', '.join(unknown)} "
                f"(it reads units, {', '.join(used)})",
            )
        )
    if not Path(store).is_dir():
        raise UsageError(text(f"数据仓 {store} 不存在", f"the store {store} does not exist"))
    repository = Store(Path(store))
    return {name: repository.find(name, named.get(name)) for name in ("units", *used)}
