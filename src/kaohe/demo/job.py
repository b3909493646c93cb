"""The demo job (``kaohe demo``): the national data set, every bundled scheme run on it, the
outcomes recorded, and the provincial run's robustness and report.

Two steps, so that a caller can show progress on the first: ``write_demo_data`` writes
``OUT/data`` (and the verification report ``OUT/verification``), ``assess_demo`` writes
``OUT/runs/<scheme>``, ``OUT/ledger`` and the report. Neither prints: each returns what it did,
and ``kaohe demo`` shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..derived.verification import run_verification
from ..outcomes.from_run import Opened
from ..report import write_report
from ..run import RunResult, assess
from ..sensitivity import Settings, run_sensitivity, write_analysis
from .fund_year import write_funds_demo
from .generate import generate_demo
from .outcome_ledger import open_demo_ledger
from .sectors import write_sector_demo
from .world import PERIOD

DEMO_SCHEMES = (
    "provincial-effectiveness-2016",
    "financial-institutions-2021",
    "fund-performance-2017",
    "linkage-fund-2021",
    "rural-revitalization-2021",
    "special-post-teachers",
    "east-west-cooperation-2017",
    "east-west-cooperation-west-2017",
    "paired-assistance-2017",
)
ROBUSTNESS_DRAWS = 1000


@dataclass(frozen=True)
class Robustness:
    """How many units of a run keep their grade in fewer than ``threshold`` of the draws."""

    run_dir: Path
    unstable: int
    threshold: float


@dataclass(frozen=True)
class DemoRuns:
    """What ``assess_demo`` wrote: a run per scheme, the ledger of their outcomes, and the
    provincial run's robustness and report."""

    runs: Path
    results: list[RunResult]
    ledger: Path
    opened: list[tuple[Path, Opened]]  # per run: what its outcomes opened in the ledger
    robustness: Robustness
    report: Path


def write_demo_data(
    out: Path,
    seed: int,
    persons: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write the demo data set into ``out/data`` and return it; ``progress`` is called with the
    number of registry persons written after each county."""
    out = Path(out)
    data = out / "data"
    generate_demo(data, seed, persons, progress=progress, derived=False)
    write_funds_demo(data, seed)  # projects, targets, reports, checks; the funds pipeline run
    write_sector_demo(data, seed)  # monitoring, teachers, assistance, last cycle's rectifications
    # Field-check estimates with intervals and data-quality findings become ordinary sources,
    # which the provincial scheme reads (the verification report itself goes beside the runs).
    run_verification(data, out / "verification", period=PERIOD, sources_into=data)
    return data


def assess_demo(
    out: Path, seed: int, on_result: Callable[[RunResult], None] | None = None
) -> DemoRuns:
    """Run every bundled demo scheme on ``out/data`` (``on_result`` is called after each run),
    record the outcomes in ``out/ledger``, and analyse and report the provincial run."""
    out = Path(out)
    results = []
    for scheme in DEMO_SCHEMES:
        result = assess(scheme, out / "data", out / "runs" / scheme, period=PERIOD, seed=seed)
        if on_result is not None:
            on_result(result)
        results.append(result)
    opened = open_demo_ledger(out / "ledger", [r.out for r in results])
    run_dir = out / "runs" / DEMO_SCHEMES[0]
    robustness = _robustness(run_dir)
    report = write_report(run_dir, "html", verification=out / "verification")
    return DemoRuns(out / "runs", results, out / "ledger", opened, robustness, report)


def _robustness(run_dir: Path) -> Robustness:
    """How robust the run's grades are (Monte Carlo), written beside it (``sensitivity/``)."""
    analysis = run_sensitivity(run_dir, Settings(draws=ROBUSTNESS_DRAWS))
    write_analysis(analysis)
    unstable = sum(1 for unit in analysis.units if unit.unstable)
    return Robustness(run_dir, unstable, analysis.settings.threshold)
