"""``RunResult``: what one run produced — the scheme and state it scored, the units, the inputs
read, and the facts its manifest records. ``assess`` returns it; ``outputs`` writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.snapshots import Snapshot
from ..data.sources import SourceInput
from ..data.units import Units
from ..measures.compile import MeasurePlan
from ..scheme import LoadedScheme
from ..scoring import ScoringState


@dataclass
class RunResult:
    scheme: LoadedScheme
    state: ScoringState
    units: Units
    inputs: list[SourceInput]
    out: Path | None
    period: str | None
    seed: int
    engine: str = "duckdb"
    snapshots: dict[str, Snapshot] = field(default_factory=dict)  # source → snapshot read
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase of the run
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per phase, all threads
    # Why the run is only preliminary (e.g. assigned field checks not done), recorded in the
    # manifest so that every reader of the run can say so; None for a run on complete evidence.
    preliminary: dict[str, Any] | None = None
    # Per source: rows read for the period, and how many assessed units have rows (their own or
    # below them) against the units expected; printed by the CLI and kept in the manifest.
    evidence: dict[str, dict[str, int]] = field(default_factory=dict)
    plans: list[MeasurePlan] = field(default_factory=list)  # the measures' SQL as run, per source
