"""Run an assessment: load the scheme and data, compute measures, score, write the outputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..data.sources import SourceInput, register_source
from ..data.units import Units, load_units
from ..errors import DataError, UsageError
from ..i18n import text
from ..measures import compute_measures, plan_measures
from ..scheme import LoadedScheme, load_scheme
from ..scoring import ScoringState, score
from ..scoring.state import as_column
from .outputs import write_outputs


@dataclass
class RunResult:
    scheme: LoadedScheme
    state: ScoringState
    units: Units
    inputs: list[SourceInput]
    out: Path | None
    period: str | None
    seed: int


def assess(
    scheme: str | LoadedScheme,
    data: Path,
    out: Path | None,
    period: str | None = None,
    seed: int = 0,
    parameters: dict[str, Any] | None = None,
    created: dt.datetime | None = None,
) -> RunResult:
    """Assess the units of ``data`` by ``scheme`` and write the outputs to ``out`` (if given)."""
    loaded = scheme if isinstance(scheme, LoadedScheme) else load_scheme(scheme, parameters)
    data = Path(data)
    if not data.is_dir():
        raise UsageError(
            text(f"数据目录 {data} 不存在", f"the data directory {data} does not exist")
        )
    model = loaded.model
    units = load_units(data, {name: a.type for name, a in model.unit_attributes.items()})
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
    with duckdb.connect() as con:
        con.register("kaohe_unit_codes", pa.table({"unit": units.codes}))
        con.execute("CREATE TEMP TABLE kaohe_units AS SELECT * FROM kaohe_unit_codes")
        used = sorted({m.source for m in model.measures.values()})
        inputs = [register_source(con, s, model.sources[s], data, period) for s in used]
        plans = plan_measures(loaded.measures, {n: m.source for n, m in model.measures.items()})
        measures = compute_measures(con, plans, units.ancestors(), units.codes)
        position = {code: i for i, code in enumerate(units.codes)}
        rows = [position[code] for code in assessed]
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
    result = RunResult(loaded, state, units, inputs, out, period, seed)
    if out is not None:
        write_outputs(result, Path(out), created or dt.datetime.now(dt.UTC))
    return result
