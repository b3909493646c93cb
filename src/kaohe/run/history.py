"""A unit over the years (历年考核结果): its runs of several periods side by side.

The runs are run directories (``kaohe assess`` output) found under a folder by their
manifest.json, each opened like every run (``opened.open_run``). A unit's row per run holds its
score, grade and rank, the chosen indicators' values or the dimensions' shares of points, and the
change since the last earlier run of the same scheme. Runs of different schemes (the 2016-era
provincial scheme until 2020, the transition scheme from 2021) share the table, each row naming
its scheme; where the scheme changes the row says so and no change is computed: their scores and
grades do not measure the same thing. A grade's movement is ``run.compare``'s (tiers by each
scheme's grade order).

The runs are read as ``PeriodRun``: a run directory's (``from_directory``) or one the platform
keeps (``workflow.history``, for ``kaohe history --store``), so the two give the same table.

Rectification items come from the outcomes ledger, which the run layer must not read (it sits
above): the caller passes them in (``attach_rectifications``), plain items with unit, period,
scheme, title, status and deadline.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import text
from .compare import movement_by_order
from .opened import EXPLAIN, RESULTS, OpenedRun, open_run
from .record import MANIFEST
from .results_table import clean


@dataclass(frozen=True)
class HistoryColumn:
    """A figure shown per year: an indicator's value, or a node's share of its points."""

    id: str
    label: str
    label_en: str
    kind: str  # "value" (an indicator's value) or "share" (points earned / points available)
    unit_of_measure: str | None = None


@dataclass
class UnitYear:
    """One unit in one run."""

    period: str
    scheme_id: str
    scheme_title: str
    scheme_version: str
    run: str  # the run directory
    status: str
    score: float | None
    grade: str | None
    rank: int | None
    units: int  # units assessed in the run: the rank is out of these
    score_change: float | None = None  # since the last earlier run of the same scheme
    grade_change: str | None = None  # up, down, same, ungraded (None: nothing to compare with)
    compared_with: str | None = None  # the period the changes are computed from
    scheme_changed_from: str | None = None  # the scheme of the row before, when it differs
    values: dict[str, float | None] = field(default_factory=dict)
    rectifications: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UnitHistory:
    unit: str
    name: str
    columns: list[HistoryColumn]
    years: list[UnitYear]


@dataclass(frozen=True)
class YearSummary:
    """The national picture of one run: grade counts and the median score."""

    period: str
    scheme_id: str
    scheme_title: str
    units: int
    graded: int
    grades: list[tuple[str, int]]  # in the scheme's grade order
    median_score: float | None


@dataclass(frozen=True)
class PeriodRun:
    """One period's run as the history reads it, wherever it is kept."""

    where: str  # the run directory, or the platform's cycle and run
    period: str
    scheme: dict[str, Any]  # id, title, version
    grades: list[str]  # the scheme's grades, best first
    units: dict[str, dict[str, Any]]  # each unit's explanation (explain.json's entry)
    label: Callable[[str, str], str]  # (indicator or node id, "zh" | "en") → its label


def from_directory(run: OpenedRun) -> PeriodRun:
    return PeriodRun(
        where=str(run.run_dir),
        period=period_of(run),
        scheme=scheme_of(run),
        grades=list(run.explanation.get("grades") or run.scheme.model.grading.grades),
        units=run.explanation.get("units", {}),
        label=run.scheme.label,
    )


def _period_runs(runs: Sequence[OpenedRun | PeriodRun]) -> list[PeriodRun]:
    return [run if isinstance(run, PeriodRun) else from_directory(run) for run in runs]


def is_run(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (MANIFEST, EXPLAIN, RESULTS))


def find_runs(directory: Path) -> list[OpenedRun]:
    """Every run directory under ``directory`` (itself included), in period order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(
            text(
                f"--runs：{directory} 不存在或不是目录",
                f"--runs: {directory} does not exist or is not a directory",
            )
        )
    folders = sorted({p.parent for p in directory.rglob(MANIFEST) if is_run(p.parent)})
    if not folders:
        raise UsageError(
            text(
                f"{directory} 下没有考核结果目录（含 manifest.json、explain.json 和 results.csv "
                "的目录）；请先用 kaohe assess 逐年考核",
                f"no run directories under {directory} (folders with manifest.json, "
                "explain.json and results.csv); run kaohe assess for each period first",
            )
        )
    return sorted((open_run(folder) for folder in folders), key=run_order)


def run_order(run: OpenedRun) -> tuple[str, str, str]:
    return (period_of(run), scheme_of(run).get("id", ""), str(run.run_dir))


def period_of(run: OpenedRun) -> str:
    """The run's period; a run without one is named by its directory."""
    return str(run.manifest.get("period") or run.run_dir.name)


def scheme_of(run: OpenedRun) -> dict[str, Any]:
    return run.explanation.get("scheme") or {}


def top_dimensions(run: PeriodRun) -> list[str]:
    """The ids under the tree's root, in the scheme's order (explain.json sorts its keys)."""
    first = next(iter(run.units.values()), {})
    return list(((first.get("nodes") or {}).get("total") or {}).get("children") or [])


def _share(points: Any, available: Any) -> float | None:
    if points is None or not available:
        return None
    return clean(points / available)


def _figure(entry: dict[str, Any], column: HistoryColumn) -> float | None:
    node = (entry.get("nodes") or {}).get(column.id)
    indicator = (entry.get("indicators") or {}).get(column.id)
    if column.kind == "value":
        return None if indicator is None else indicator.get("value")
    source = node if node is not None else indicator
    return None if source is None else _share(source.get("points"), source.get("max_points"))


def _columns(runs: Sequence[PeriodRun], indicators: Sequence[str]) -> list[HistoryColumn]:
    """The chosen indicators (or nodes), or every run's top-level dimensions, first seen first."""
    columns: dict[str, HistoryColumn] = {}
    wanted = list(indicators)
    for run in runs:
        first = next(iter(run.units.values()), {})
        nodes, known = first.get("nodes") or {}, first.get("indicators") or {}
        for name in wanted or top_dimensions(run):
            if name in columns or (name not in nodes and name not in known):
                continue
            kind = "value" if wanted and name in known else "share"
            columns[name] = HistoryColumn(
                name,
                run.label(name, "zh"),
                run.label(name, "en"),
                kind,
                (known.get(name) or {}).get("unit_of_measure") if kind == "value" else None,
            )
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise UsageError(
            text(
                f"--indicator：{'、'.join(missing)} 不是这些考核结果中的指标或维度",
                f"--indicator: {', '.join(missing)} is no indicator or dimension of these runs",
            )
        )
    return [columns[name] for name in (wanted or columns)]


def years_of(
    runs: Sequence[OpenedRun | PeriodRun], unit: str, columns: Sequence[HistoryColumn] = ()
) -> list[UnitYear]:
    """``unit``'s row in each run that assessed it, in period order, with the changes."""
    years: list[UnitYear] = []
    found: list[tuple[PeriodRun, dict[str, Any]]] = []
    for run in sorted(
        _period_runs(runs), key=lambda r: (r.period, r.scheme.get("id", ""), r.where)
    ):
        entry = run.units.get(unit)
        if entry is None:
            continue
        year = UnitYear(
            period=run.period,
            scheme_id=str(run.scheme.get("id", "")),
            scheme_title=str(run.scheme.get("title", "")),
            scheme_version=str(run.scheme.get("version", "")),
            run=run.where,
            status=entry.get("status") or "graded",
            score=entry.get("score"),
            grade=entry.get("grade"),
            rank=entry.get("rank"),
            units=len(run.units),
            values={c.id: _figure(entry, c) for c in columns},
        )
        if years and years[-1].scheme_id != year.scheme_id:
            year.scheme_changed_from = years[-1].scheme_id
        earlier = next(
            (i for i in range(len(years) - 1, -1, -1) if years[i].scheme_id == year.scheme_id),
            None,
        )
        if earlier is not None and year.scheme_changed_from is None:
            before_run, before = found[earlier]
            _, _, movement = movement_by_order(before, entry, before_run.grades, run.grades)
            year.grade_change = movement
            year.compared_with = years[earlier].period
            if year.score is not None and before.get("score") is not None:
                year.score_change = clean(year.score - before["score"])
        years.append(year)
        found.append((run, entry))
    return years


def unit_history(
    runs: Sequence[OpenedRun | PeriodRun], unit: str, indicators: Sequence[str] = ()
) -> UnitHistory:
    """``unit`` across ``runs``: the chosen indicators (ids of indicators or tree nodes), or
    every scheme's top-level dimensions as shares of their points."""
    having = [run for run in _period_runs(runs) if unit in run.units]
    if not having:
        raise UsageError(
            text(
                f"--unit：{unit} 不在任何考核结果中（共 {len(runs)} 个考核结果）；请检查单位代码",
                f"--unit: {unit} is in none of the {len(runs)} runs; check the unit code",
            )
        )
    columns = _columns(having, indicators)
    years = years_of(having, unit, columns)
    name = having[-1].units[unit].get("name") or unit
    return UnitHistory(unit, name, columns, years)


def attach_rectifications(history: UnitHistory, items: Iterable[Any]) -> None:
    """Add the unit's ledger items (``outcomes.lifecycle.Item``-like) to the year they were
    opened in: same period, and same scheme when the item names one."""
    for item in items:
        if item.unit != history.unit:
            continue
        for year in history.years:
            if item.period == year.period and item.scheme in ("", year.scheme_id):
                year.rectifications.append(
                    {
                        "id": item.id,
                        "kind": item.kind,
                        "title": item.title,
                        "status": item.status,
                        "deadline": item.deadline.isoformat(),
                    }
                )
                break


def national_picture(run: OpenedRun | PeriodRun) -> YearSummary:
    """Grade counts (in the scheme's grade order) and the median score of one run."""
    (run,) = _period_runs([run])
    counts = dict.fromkeys(run.grades, 0)
    for entry in run.units.values():
        if entry.get("grade") in counts:
            counts[entry["grade"]] += 1
    scores = [e["score"] for e in run.units.values() if e.get("score") is not None]
    return YearSummary(
        period=run.period,
        scheme_id=str(run.scheme.get("id", "")),
        scheme_title=str(run.scheme.get("title", "")),
        units=len(run.units),
        graded=sum(counts.values()),
        grades=list(counts.items()),
        median_score=clean(statistics.median(scores)) if scores else None,
    )
