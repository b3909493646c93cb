"""The demo job (``kaohe demo``): the national panel year by year (2016–2023), every bundled
scheme run on the years of its era, the outcomes recorded and carried from year to year, and the
provincial run's robustness and report.

Two steps, so that a caller can show progress on the first: ``write_demo_data`` writes
``OUT/data/<year>`` (and the verification reports ``OUT/verification/<year>``), ``assess_demo``
writes ``OUT/runs/<year>/<scheme>``, one ledger ``OUT/ledger`` and the report. Before a year's
runs, the items the previous year's runs opened are carried through the year in the ledger and
exported as that year's ``rectifications.csv`` (``sectors.previous_rectifications``). Neither
step prints: each returns what it did, and ``kaohe demo`` shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..derived.verification import run_verification
from ..outcomes.from_run import Opened
from ..report import write_report
from ..run import RunResult, assess
from ..run.previous import PreviousRun, open_previous
from ..scheme import LoadedScheme, bundled_schemes, load_scheme
from ..sensitivity import Settings, run_sensitivity, write_analysis
from .fund_year import write_funds_demo
from .generate import DERIVED_MEMORY_LIMIT, generate_demo
from .outcome_ledger import open_demo_ledger
from .sectors import write_sector_demo
from .sectors.previous_rectifications import carry_rectifications
from .transition import Transition, transition_of
from .world import CAMPAIGN_END
from .years import DEMO_YEARS, TRANSITION_YEAR, demo_year

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
PROVINCIAL = DEMO_SCHEMES[0]
# persons in the registry each year when none are asked for: eight years of 300,000 (the
# single-year default of ``generate_demo``) took ten times the one-year demo; 60,000 still give
# every province some 200 exited households a year, what the quality checks' bunching test needs
PERSONS_PER_YEAR = 60_000
ROBUSTNESS_DRAWS = 1000


@dataclass(frozen=True)
class Robustness:
    """How many units of a run keep their grade in fewer than ``threshold`` of the draws."""

    run_dir: Path
    unstable: int
    threshold: float


@dataclass(frozen=True)
class DemoRuns:
    """What ``assess_demo`` wrote: a run per scheme and year, the ledger of their outcomes, the
    provincial run's robustness and report (of the last campaign year asked for), and the
    transition from 2020 to 2021 of one province (when both years were asked for)."""

    runs: Path
    results: list[RunResult]
    ledger: Path
    opened: list[tuple[Path, Opened]]  # per run: what its outcomes opened in the ledger
    carried: dict[int, int]  # per year: the previous year's items carried through it
    robustness: Robustness | None
    report: Path | None
    transition: Transition | None


def schemes_of_year(year: int) -> list[str]:
    """The demo schemes whose era (the scheme's ``years``) covers ``year``, in demo order."""
    chosen = []
    for scheme in DEMO_SCHEMES:
        era = _loaded(scheme).model.years
        if era is None or era.covers(year):
            chosen.append(scheme)
    return chosen


@functools.cache
def _loaded(scheme: str) -> LoadedScheme:
    """A bundled scheme, loaded once for every year's run (loading one takes about 0.3 s)."""
    return load_scheme(str(bundled_schemes()[scheme]))


def data_dir(out: Path, year: int) -> Path:
    return Path(out) / "data" / str(year)


def run_dir(out: Path, year: int, scheme: str) -> Path:
    return Path(out) / "runs" / str(year) / scheme


def write_demo_data(
    out: Path,
    seed: int,
    persons: int | None = None,
    progress: Callable[[int], None] | None = None,
    years: Sequence[int] = DEMO_YEARS,
) -> Path:
    """Write one data set per demo year into ``out/data/<year>`` and return ``out/data``;
    ``progress`` is called with the number of registry persons written after each county."""
    out = Path(out)
    persons = persons or PERSONS_PER_YEAR
    for year in years:
        with demo_year(year):
            data = data_dir(out, year)
            generate_demo(data, seed, persons, progress=progress, derived=False)
            write_funds_demo(data, seed)  # projects, targets, reports, checks; the funds pipeline
            # monitoring (read from 2021), teachers, assistance, rectifications
            write_sector_demo(data, seed, monitoring=year >= TRANSITION_YEAR)
            if year <= CAMPAIGN_END:
                # Field-check estimates with intervals and data-quality findings become ordinary
                # sources, which the provincial scheme reads (the report goes beside the runs);
                # after 2020 there is no registry exit test to verify.
                verification = out / "verification" / str(year)
                run_verification(
                    data,
                    verification,
                    period=str(year),
                    sources_into=data,
                    memory_limit=DERIVED_MEMORY_LIMIT,
                )
    return out / "data"


def assess_demo(
    out: Path,
    seed: int,
    on_result: Callable[[RunResult], None] | None = None,
    years: Sequence[int] = DEMO_YEARS,
) -> DemoRuns:
    """Run every demo scheme on the years of its era in ``out/data`` (``on_result`` is called
    after each run), record the outcomes in ``out/ledger`` year after year, carrying each year's
    items into the next, and analyse and report the provincial run of the last campaign year."""
    out = Path(out)
    ledger = out / "ledger"
    results: list[RunResult] = []
    opened: list[tuple[Path, Opened]] = []
    carried: dict[int, int] = {}
    for i, year in enumerate(sorted(years)):
        data = data_dir(out, year)
        with demo_year(year):
            if i and year - 1 in years:  # last year's items, not the synthetic previous cycle
                carried[year] = carry_rectifications(ledger, data, seed)
            year_runs = []
            for scheme in schemes_of_year(year):
                result = assess(
                    scheme,
                    data,
                    run_dir(out, year, scheme),
                    period=str(year),
                    seed=seed,
                    previous=_previous(out, year, scheme),
                )
                if on_result is not None:
                    on_result(result)
                results.append(result)
                year_runs.append(result.out)
            opened += open_demo_ledger(ledger, year_runs, data, fresh=i == 0)
    campaign = [y for y in sorted(years) if y <= CAMPAIGN_END]
    robustness = report = None
    if campaign:
        provincial = run_dir(out, campaign[-1], PROVINCIAL)
        robustness = _robustness(provincial)
        verification = out / "verification" / str(campaign[-1])
        # the trend over the years: every run of the years up to this one (runs/ holds them)
        report = write_report(provincial, "html", verification=verification, history=out / "runs")
    transition = None
    if {2020, 2021} <= set(years):
        transition = transition_of(out / "runs", ledger, data_dir(out, 2021))
    return DemoRuns(out / "runs", results, ledger, opened, carried, robustness, report, transition)


def _previous(out: Path, year: int, scheme: str) -> PreviousRun | None:
    """Last year's run of the same scheme, if the demo ran it: results then carry last year's
    grade, score and rank and the change (``--previous``)."""
    before = run_dir(out, year - 1, scheme)
    return open_previous(before, _loaded(scheme)) if before.is_dir() else None


def _robustness(run_dir: Path) -> Robustness:
    """How robust the run's grades are (Monte Carlo), written beside it (``sensitivity/``)."""
    analysis = run_sensitivity(run_dir, Settings(draws=ROBUSTNESS_DRAWS))
    write_analysis(analysis)
    unstable = sum(1 for unit in analysis.units if unit.unstable)
    return Robustness(run_dir, unstable, analysis.settings.threshold)
