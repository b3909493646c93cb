"""The whole analysis: reload the run, build the draws, re-score them in chunks, summarize."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import UsageError
from ..i18n import text
from ..scoring import ScoringState
from .draws import Design, InputGroup, Rows, build_design
from .indices import Indices, sobol_indices
from .reload import ReloadedRun, reload_run
from .rescoring import Rescorer, check_nominal
from .sampling import Sampler, build_samplers
from .settings import Settings
from .summary import UnitSummary, summarize

# Called with the rows (model evaluations) scored so far and the rows in all, after each chunk.
DrawProgress = Callable[[int, int], None]

# Rows × units cells scored per chunk: large enough for numpy to stream, small enough that the
# temporaries of a chunk stay in the processor's cache.
CHUNK_CELLS = 1 << 19


@dataclass
class Simulation:
    ranks: np.ndarray  # rows × units
    grades: np.ndarray  # rows × units
    score_stats: np.ndarray  # (mean, p05, p95) × units


@dataclass
class Analysis:
    run_dir: Path
    settings: Settings
    seed: int
    groups: list[InputGroup]
    rows: int
    base: int
    samplers: list[Sampler]
    notes: list[str]
    grades: list[str]
    units: list[UnitSummary]
    indices: Indices
    seconds: float = 0.0
    run_manifest: dict = field(default_factory=dict)


def simulate(
    design: Design,
    rescorer: Rescorer,
    size: int,
    workers: int | None = None,
    progress: DrawProgress | None = None,
) -> Simulation:
    """Score every row of the design; keep ranks and grades, and score summaries;
    ``progress`` is told the rows scored after each chunk.

    Chunks are drawn in order in this thread (so the draws never depend on scheduling) and scored
    by a pool of threads, one per core: numpy, DuckDB and the sort release the GIL. BLAS is held
    to one thread meanwhile — its own threads would only fight the pool for the same cores.
    """
    ranks = np.empty((design.rows, size), dtype=np.int32)
    grades = np.empty((design.rows, size), dtype=np.int8)
    scores = np.empty((design.rows, size), dtype=np.float32)
    per_chunk = max(1, CHUNK_CELLS // (design.width * size))
    workers = workers or os.cpu_count() or 1
    scored_rows = 0

    def score(rows: Rows) -> int:
        scored = rescorer.score(rows)
        window = slice(rows.start, rows.start + rows.count)
        ranks[window] = scored.ranks
        grades[window] = scored.grades
        scores[window] = scored.scores
        return rows.count

    def counted(count: int) -> None:
        # reported from this thread only, as chunks finish in order: the caller's display is
        # never touched by two threads at once
        nonlocal scored_rows
        scored_rows += count
        if progress is not None:
            progress(scored_rows, design.rows)

    if workers == 1:
        with threadpool_limits(limits=1, user_api="blas"):
            for rows in design.chunks(per_chunk):
                counted(score(rows))
        return _summarize_scores(ranks, grades, scores)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        pending: deque[Future] = deque()
        for rows in design.chunks(per_chunk):
            pending.append(pool.submit(score, rows))
            while len(pending) > workers:
                counted(pending.popleft().result())
        for future in pending:
            counted(future.result())
    return _summarize_scores(ranks, grades, scores)


def _summarize_scores(ranks: np.ndarray, grades: np.ndarray, scores: np.ndarray) -> Simulation:
    with np.errstate(invalid="ignore"):
        mean = scores.mean(axis=0, dtype=np.float64)
        low, high = np.quantile(scores, [0.05, 0.95], axis=0)
    return Simulation(ranks, grades, np.stack([mean, low, high]))


# Kept per draw and unit: rank (4 bytes), grade (1), score (4), and about as much again while
# the percentiles are taken.
BYTES_PER_CELL = 18
MEMORY_LIMIT = 8 << 30


def _check_memory(rows: int, size: int) -> None:
    needed = rows * size * BYTES_PER_CELL
    if needed > MEMORY_LIMIT:
        most = max(2, MEMORY_LIMIT // (size * BYTES_PER_CELL))
        raise UsageError(
            text(
                f"{rows} 次抽样 × {size} 个考核对象约需 {needed / 2**30:.0f} GiB 内存；"
                f"请把 --draws 减到 {most} 以下",
                f"{rows} draws × {size} units need about {needed / 2**30:.0f} GiB of memory; "
                f"use --draws {most} or fewer",
            )
        )


def analyse(
    state: ScoringState,
    settings: Settings,
    explanation: dict | None = None,
    progress: DrawProgress | None = None,
) -> tuple[Design, Simulation, Indices, list[UnitSummary], list[Sampler], list[str]]:
    """The analysis of a scoring state (the run's, recomputed) under ``settings``;
    ``progress`` follows the draws as they are scored (``simulate``)."""
    samplers, notes = build_samplers(state, settings, explanation or {})
    scheme = state.scheme
    labels = {}
    for name in [node.id for node in scheme.tree.walk()] + list(scheme.model.indicators):
        labels[name] = scheme.label(name)
        labels[name + ":en"] = scheme.label(name, "en")
    design = build_design(scheme.tree, settings, samplers, labels)
    _check_memory(design.rows, state.size)
    rescorer = Rescorer(state, settings, {s.indicator for s in samplers})
    check_nominal(rescorer, state, settings)
    simulation = simulate(design, rescorer, state.size, progress=progress)
    indices = sobol_indices(simulation.ranks, len(design.groups), seed=settings.seed or 0)
    units = summarize(
        state, simulation.ranks, simulation.grades, simulation.score_stats, settings.threshold
    )
    for i, summary in enumerate(units):
        if indices.variance[i] > 0:
            summary.driver = design.groups[int(np.nanargmax(indices.unit_total[:, i]))].id
    return design, simulation, indices, units, samplers, notes


def run_sensitivity(
    run_dir: Path, settings: Settings, progress: DrawProgress | None = None
) -> Analysis:
    """``kaohe sensitivity RUN_DIR``: the analysis of a finished run (not yet written);
    ``progress`` is called with the draws scored so far and the draws in all."""
    started = time.perf_counter()
    reloaded: ReloadedRun = reload_run(run_dir)
    state = reloaded.result.state
    if settings.seed is None:  # by default the analysis reuses the run's recorded seed
        settings = dataclasses.replace(settings, seed=int(reloaded.manifest.get("seed") or 0))
    design, _, indices, units, samplers, notes = analyse(
        state, settings, reloaded.explanation, progress
    )
    return Analysis(
        run_dir=Path(run_dir),
        settings=settings,
        seed=settings.seed,
        groups=design.groups,
        rows=design.rows,
        base=design.base,
        samplers=samplers,
        notes=notes,
        grades=list(state.scheme.model.grading.grades),
        units=units,
        indices=indices,
        seconds=time.perf_counter() - started,
        run_manifest=reloaded.manifest,
    )
