"""``kaohe data check``: before a run, what the data would give — per source and per unit.

The answer comes from the run itself (the same measures and scoring, without writing outputs),
so what it says about completeness and withheld grades is what the run will do, not an estimate;
the sources' periods are those the run's checks counted (no second scan of a registry).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.sources import PERIOD_COLUMN
from ..scoring.status import status_reasons
from .assess import assess
from .result import RunResult


@dataclass(frozen=True)
class SourceCheck:
    name: str
    file: str
    rows: int  # for the chosen period
    periods: dict[str, int]  # rows per period in the file (empty without a period column)
    units_with_rows: int
    units_expected: int
    unmapped: tuple[str, ...]  # the file's columns the scheme does not read


@dataclass(frozen=True)
class UnitCheck:
    unit: str
    name: str
    status: str
    completeness: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DataCheck:
    result: RunResult
    sources: list[SourceCheck]
    units: list[UnitCheck]

    @property
    def not_graded(self) -> list[UnitCheck]:
        return [unit for unit in self.units if unit.status != "graded"]


def check_data(
    scheme: str,
    data: Path | None,
    period: str | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    store: Path | None = None,
    snapshots: dict[str, str] | None = None,
    mappings: list[Path] | tuple[Path, ...] = (),
) -> DataCheck:
    result = assess(
        scheme,
        data,
        None,
        period,
        parameters=parameters,
        store=store,
        snapshots=snapshots,
        mappings=mappings,
    )
    model = result.scheme.model
    sources = []
    for item in result.inputs:
        declaration = model.sources[item.name]
        read = {declaration.unit_column, PERIOD_COLUMN, *declaration.columns}
        evidence = result.evidence.get(item.name, {})
        sources.append(
            SourceCheck(
                name=item.name,
                file=str(item.file),
                rows=item.rows,
                periods=item.periods,
                units_with_rows=evidence.get("units_with_rows", 0),
                units_expected=evidence.get("units_expected", len(result.state.units)),
                unmapped=tuple(c for c in item.columns if c not in read),
            )
        )
    state = result.state
    units = [
        UnitCheck(
            unit=code,
            name=state.names[i],
            status=state.values["status"][i],
            completeness=float(state.values["completeness"][i]),
            reasons=tuple(status_reasons(state, i)),
        )
        for i, code in enumerate(state.units)
    ]
    return DataCheck(result, sources, units)
