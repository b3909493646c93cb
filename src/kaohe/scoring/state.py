"""What the scoring steps share: the assessed units and their values, plus what each step did.

Columns are numpy arrays aligned to ``units`` (code order): numbers as float64 with NaN for missing,
text and booleans as object arrays with None. Each step adds columns and records its parameters in
``log`` — the explanation and the sensitivity analysis read these records, not a second code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np

from ..scheme import LoadedScheme


def as_column(values) -> np.ndarray:
    """Numbers become float64 (NaN for missing); anything else stays an object array."""
    items = list(values)
    present = [v for v in items if v is not None]
    numeric = all(
        isinstance(v, int | float | Decimal | np.number) and not isinstance(v, bool | np.bool_)
        for v in present
    )
    if numeric:
        return np.array([np.nan if v is None else float(v) for v in items], dtype=float)
    return np.array(items, dtype=object)


@dataclass
class ScoringState:
    scheme: LoadedScheme
    units: list[str]
    names: list[str]
    values: dict[str, np.ndarray]  # the scope of expressions: attributes, measures, indicators …
    con: duckdb.DuckDBPyConnection
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # estimates
    normalized: dict[str, np.ndarray] = field(default_factory=dict)
    node_values: dict[str, np.ndarray] = field(default_factory=dict)
    points: dict[str, np.ndarray] = field(default_factory=dict)  # earned points per node/indicator
    max_points: dict[str, np.ndarray] = field(default_factory=dict)  # after re-weighting, per unit
    child_values: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    notes: list[list[str]] = field(default_factory=list)  # per unit: missing data and the like
    adjustments: dict[str, np.ndarray] = field(default_factory=dict)
    veto_hits: list[np.ndarray] = field(default_factory=list)
    veto_undetermined: list[np.ndarray] = field(default_factory=list)  # inputs missing, per veto
    # Per unit: why its grade is withheld (不予评定) or its computation failed; empty when graded.
    withheld: list[list[str]] = field(default_factory=list)
    failed: list[list[str]] = field(default_factory=list)
    grade_rules: list[str] = field(default_factory=list)
    actions: list[list[dict[str, Any]]] = field(default_factory=list)
    log: dict[str, Any] = field(default_factory=dict)  # step → parameters it used

    def __post_init__(self) -> None:
        if not self.notes:
            self.notes = [[] for _ in self.units]
        if not self.withheld:
            self.withheld = [[] for _ in self.units]
        if not self.failed:
            self.failed = [[] for _ in self.units]

    def withhold(self, i: int, reason: str) -> None:
        """Record why unit ``i`` cannot be graded on its evidence (once per reason)."""
        if reason not in self.withheld[i]:
            self.withheld[i].append(reason)

    @property
    def size(self) -> int:
        return len(self.units)
