"""Aggregation and computation inside the platform (数据汇总与计算): in the cycle's computation
state an assessor turns the accepted submissions into a data directory, runs the engine
(``kaohe.run.assess``) on it and imports the run as the cycle's result — the same import as
``kaohe db import-run``.

Each attempt has its own directory under the runs folder (``KAOHE_RUNS_DIR``), kept after a
success because the run's manifest names its input files (the records drill-down reads them); a
failed attempt is removed and leaves nothing in the database. The engine runs outside any database
transaction, so a long computation never holds the write lock; the import is one transaction that
checks the cycle is still in computation.

What the data directory holds:
- ``units.csv`` from the platform's units (with their attributes);
- every file of ``KAOHE_BASE_DATA`` (sources the platform does not collect, such as the national
  registry), linked, not copied — registries are large; the manifest records their sha256;
- per collected source, the rows of the latest accepted version of every submission (a per-unit
  source keeps, for each unit, the row of the latest accepted file), with the cycle's period;
- ``field_checks.csv`` from the cycle's verification results, when there are any;
- when the scheme reads them, the sources derived from the field checks
  (``verification_estimates``, ``quality_findings``), recomputed by the verification step.

Coverage: when the scheme reads the field checks (directly or through the sources derived from
them), every household assigned for verification must be checked before the results are computed
(``coverage``: per assessed unit, N of M assigned checks done). While checks are missing the
computation is refused, saying what is missing and for whom; only on the user's explicit choice
(``preliminary=True``) a preliminary run is computed, with the reason and the missing checks
recorded as ``preliminary`` in its manifest. A preliminary run is shown as such on every page and
never goes on to review, approval or publication (``results.require_final``).

On the web a computation is a job (``compute_jobs``, ``jobs``): the request makes the quick checks
(``check_request``: role, state, coverage) and queues it; a worker thread runs ``compute`` and
follows it through a ``Progress`` — the steps (``STEPS``), the attempt's directory, and the
import's transaction, in which the job is marked done so that a run is imported once at most.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from ..data.schemas import load_schema
from ..errors import KaoheError
from ..i18n import text, use_language
from ..run import assess
from ..scheme import load_scheme
from ..store import Database
from ..store.models import (
    Cycle,
    Run,
    Submission,
    SubmissionVersion,
    Unit,
    VerificationAssignment,
    VerificationResult,
)
from .collection import catalog, check_rows, read_table
from .cycles import get_cycle
from .errors import Invalid, WrongState
from .platform_results import PRELIMINARY_REASON, import_run
from .roles import Actor, require

CORE_UNIT_COLUMNS = ("unit", "name", "parent", "level", "kind")
FIELD_CHECKS = "field_checks"
# sources the verification step derives from the field checks (kaohe verify report --sources)
DERIVED = ("verification_estimates", "quality_findings")
# The steps a computation reports, with the share of the work done when each starts (a rough
# share: the engine is most of it), and their names for the progress page.
STEPS: dict[str, tuple[float, str, str]] = {
    "prepare": (0.0, "汇总已接收的报送数据", "aggregating the accepted submissions"),
    "derive": (0.15, "由核查结果推算", "deriving estimates from the field checks"),
    "engine": (0.3, "计算考核结果", "computing the results"),
    "import": (0.9, "导入考核结果", "importing the results"),
}


class Progress(Protocol):
    """Who follows a computation (the job worker); every method is called in the computing
    thread. ``imported`` runs inside the import's transaction: raising there imports nothing."""

    def step(self, name: str) -> None: ...

    def attempt(self, directory: Path) -> None: ...

    def imported(self, session: Session, run_id: int) -> None: ...


class Unobserved:
    """A computation nobody follows (the command line, ``kaohe db compute``)."""

    def step(self, name: str) -> None:
        pass

    def attempt(self, directory: Path) -> None:
        pass

    def imported(self, session: Session, run_id: int) -> None:
        pass


@dataclass(frozen=True)
class ComputeSettings:
    """Where computations write and what they read besides the submissions."""

    runs_dir: Path
    base_data: Path | None = None
    schemes_dir: Path | None = None

    @classmethod
    def from_env(cls) -> ComputeSettings:
        """``KAOHE_RUNS_DIR`` (default ``./kaohe-runs``), ``KAOHE_BASE_DATA`` and
        ``KAOHE_SCHEMES_DIR`` (``<scheme id>.yaml`` for schemes that are not bundled)."""
        base = os.environ.get("KAOHE_BASE_DATA")
        schemes = os.environ.get("KAOHE_SCHEMES_DIR")
        return cls(
            runs_dir=Path(os.environ.get("KAOHE_RUNS_DIR") or Path.cwd() / "kaohe-runs"),
            base_data=Path(base) if base else None,
            schemes_dir=Path(schemes) if schemes else None,
        )

    def scheme_for(self, scheme_id: str) -> str:
        """A local scheme file of that id if there is one, else the bundled scheme's name."""
        if self.schemes_dir is not None and (self.schemes_dir / f"{scheme_id}.yaml").is_file():
            return str(self.schemes_dir / f"{scheme_id}.yaml")
        return scheme_id


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in rows])


def _write_units(session: Session, data: Path) -> None:
    units = list(session.scalars(select(Unit).order_by(Unit.path)))
    extra = sorted({k for u in units for k in (u.attributes or {}) if k not in CORE_UNIT_COLUMNS})
    _write_csv(
        data / "units.csv",
        [*CORE_UNIT_COLUMNS, *extra],
        [
            [
                u.code,
                u.name,
                u.parent,
                u.level,
                u.kind,
                *((u.attributes or {}).get(k) for k in extra),
            ]
            for u in units
        ],
    )


def _link_base(base: Path | None, data: Path) -> None:
    if base is None:
        return
    if not base.is_dir():
        raise Invalid(
            text(
                f"KAOHE_BASE_DATA 指向的 {base} 不是目录",
                f"KAOHE_BASE_DATA points to {base}, which is not a directory",
            )
        )
    for entry in sorted(base.iterdir()):
        if entry.is_file() and entry.name != "units.csv" and not entry.name.startswith("."):
            (data / entry.name).symlink_to(entry.resolve())


def _write_submissions(session: Session, cycle: Cycle, data: Path) -> dict[str, int]:
    """Per collected source, the rows of the accepted versions; returns rows written."""
    accepted = session.execute(
        select(Submission.source, SubmissionVersion)
        .join(
            SubmissionVersion,
            (SubmissionVersion.submission_id == Submission.id)
            & (SubmissionVersion.number == Submission.accepted),
        )
        .options(undefer(SubmissionVersion.content))
        .where(Submission.cycle_id == cycle.id, Submission.accepted.is_not(None))
        .order_by(SubmissionVersion.created_at, SubmissionVersion.id)
    ).all()
    written: dict[str, int] = {}
    for source in catalog().values():
        versions = [v for name, v in accepted if name == source.id]
        if not versions:
            continue
        units = {
            u.code: u
            for u in session.scalars(
                select(Unit).where(Unit.kind == source.kind, Unit.level == source.level)
            )
        }
        by_unit: dict[str, list[Any]] = {}
        rows: list[list[Any]] = []
        for version in versions:  # oldest first: a later accepted file wins for its units
            checked, errors = check_rows(
                source, read_table(version.filename, version.content), units
            )
            if errors:
                # accepted under earlier rules, refused by today's: never drop its rows silently
                # (a unit would lose its figures and be withheld without anyone knowing why)
                first = errors[0]
                raise Invalid(
                    text(
                        f"已接受的文件 {version.filename} 按现行规则有 {len(errors)} 处错误"
                        f"（第 {first.row} 行 {first.column}：{first.message}）；"
                        "请让填报单位重新提交后再计算",
                        f"the accepted file {version.filename} has {len(errors)} errors under "
                        f"today's rules (row {first.row} {first.column}: {first.message}); have "
                        "it submitted again before computing",
                    )
                )
            for row in checked:
                values = [row["unit"], *(row.get(c.id) for c in source.columns), cycle.period]
                if source.per_unit:
                    by_unit[row["unit"]] = values
                else:
                    rows.append(values)
        rows = [by_unit[u] for u in sorted(by_unit)] if source.per_unit else rows
        target = data / f"{source.id}.csv"
        if target.is_symlink():
            target.unlink()  # the platform's accepted submissions replace a base file
        _write_csv(target, ["unit", *(c.id for c in source.columns), "period"], rows)
        written[source.id] = len(rows)
    return written


def _write_field_checks(session: Session, cycle: Cycle, data: Path) -> int:
    rows = session.execute(
        select(VerificationAssignment, VerificationResult)
        .join(VerificationResult, VerificationResult.assignment_id == VerificationAssignment.id)
        .where(VerificationAssignment.cycle_id == cycle.id)
        .order_by(VerificationAssignment.unit_code, VerificationAssignment.household_id)
    ).all()
    if not rows:
        return 0
    target = data / f"{FIELD_CHECKS}.csv"
    if target.is_symlink():
        target.unlink()
    _write_csv(
        target,
        list(load_schema("field_checks").model.columns),  # the declared order
        [
            [
                a.unit_code,
                a.household_id,
                a.registered,
                a.exited,
                r.verdict,
                r.recognizes,
                r.satisfied_team,
                r.satisfied_cadre,
                r.income_verified,
                a.weight,
                a.stratum,
                cycle.period,
            ]
            for a, r in rows
        ],
    )
    return len(rows)


@dataclass(frozen=True)
class UnitCoverage:
    """The field checks of one assessed unit (its subtree): assigned and done."""

    unit: str
    name: str
    assigned: int
    done: int

    @property
    def complete(self) -> bool:
        return self.done >= self.assigned

    def describe(self) -> str:
        return text(
            f"{self.name} 已完成 {self.done} / {self.assigned}",
            f"{self.name}: {self.done} of {self.assigned} done",
        )


@dataclass(frozen=True)
class Coverage:
    """Whether the evidence the computation needs is in: the assigned field checks per assessed
    unit. ``needed`` is False when the scheme reads no field checks (they do not enter grades)."""

    units: tuple[UnitCoverage, ...]
    needed: bool = True

    @property
    def missing(self) -> tuple[UnitCoverage, ...]:
        return tuple(u for u in self.units if not u.complete)

    @property
    def met(self) -> bool:
        return not self.needed or not self.missing

    @property
    def assigned(self) -> int:
        return sum(u.assigned for u in self.units)

    @property
    def done(self) -> int:
        return sum(u.done for u in self.units)

    def describe(self) -> str:
        """What is missing and for whom, in the user's language."""
        return text(
            f"核查未完成：已分配的入户核查共 {self.assigned} 户，已完成 {self.done} 户（"
            + "；".join(u.describe() for u in self.missing)
            + "）",
            f"field checks not done: {self.done} of {self.assigned} assigned households checked ("
            + "; ".join(u.describe() for u in self.missing)
            + ")",
        )

    def record(self, actor: Actor) -> dict[str, Any]:
        """The ``preliminary`` entry of a run's manifest (both languages: readers differ)."""

        with use_language("zh"):
            zh = self.describe()
        with use_language("en"):
            en = self.describe()
        return {
            "reason": PRELIMINARY_REASON,
            "zh": zh,
            "en": en,
            "assigned": self.assigned,
            "done": self.done,
            "missing": [
                {"unit": u.unit, "name": u.name, "assigned": u.assigned, "done": u.done}
                for u in self.missing
            ],
            "requested_by": actor.username,
            "requested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }


def _reads_field_checks(scheme_name: str) -> tuple[bool, tuple[str, str] | None]:
    """Whether the scheme reads the field checks (or sources derived from them), and the kind
    and level of the units it assesses. A scheme that does not load is taken to read them (the
    engine reports its error later). Cached per scheme file and modification time."""
    file = Path(scheme_name)
    stamp = file.stat().st_mtime_ns if file.is_file() else 0
    return _scheme_reads(scheme_name, stamp)


@functools.lru_cache(maxsize=32)
def _scheme_reads(scheme_name: str, _stamp: int) -> tuple[bool, tuple[str, str] | None]:

    try:
        model = load_scheme(scheme_name).model
    except KaoheError:
        return True, None
    assesses = getattr(model, "assesses", None)
    level = (assesses.kind, assesses.level) if assesses is not None else None
    return bool(set(model.sources) & {FIELD_CHECKS, *DERIVED}), level


def coverage(session: Session, cycle: Cycle, settings: ComputeSettings | None = None) -> Coverage:
    """Per assessed unit (the scheme's level; the assignment's own unit when none is above it):
    households assigned for verification in this cycle and how many are checked."""
    settings = settings or ComputeSettings.from_env()
    needed, assesses = _reads_field_checks(settings.scheme_for(cycle.scheme))
    counts = session.execute(
        select(
            VerificationAssignment.unit_code,
            func.count(VerificationAssignment.id),
            func.count(VerificationResult.id),
        )
        .outerjoin(
            VerificationResult, VerificationResult.assignment_id == VerificationAssignment.id
        )
        .where(VerificationAssignment.cycle_id == cycle.id)
        .group_by(VerificationAssignment.unit_code)
    ).all()
    if not counts:
        return Coverage((), needed)
    units = {u.code: u for u in session.scalars(select(Unit))}
    totals: dict[str, list[int]] = {}
    for code, assigned, done in counts:
        owner = code
        unit = units.get(code)
        if unit is not None and assesses is not None:
            for ancestor in reversed([c for c in unit.path.split("/") if c]):
                candidate = units.get(ancestor)
                if candidate is not None and (candidate.kind, candidate.level) == assesses:
                    owner = ancestor
                    break
        total = totals.setdefault(owner, [0, 0])
        total[0] += assigned
        total[1] += done
    return Coverage(
        tuple(
            UnitCoverage(code, units[code].name if code in units else code, assigned, done)
            for code, (assigned, done) in sorted(totals.items())
        ),
        needed,
    )


def _require_computation(cycle: Cycle) -> None:
    if cycle.state != "computation":
        raise WrongState(
            text(
                "只能在“数据汇总与计算”阶段计算考核结果",
                "results are computed only while the cycle is in aggregation and computation",
            )
        )


@dataclass(frozen=True)
class Prepared:
    """A data directory ready for the engine."""

    cycle_id: int
    scheme: str
    period: str
    attempt: Path
    data: Path
    out: Path
    written: dict[str, int]
    preliminary: dict[str, Any] | None = None


def _require_coverage(covered: Coverage, preliminary: bool) -> None:
    if preliminary and covered.met:
        raise WrongState(
            text(
                "计算所需的核查没有缺少，无需计算初步结果；请计算正式考核结果",
                "no field check the computation needs is missing: compute the results, not a "
                "preliminary run",
            )
        )
    if not preliminary and not covered.met:
        raise WrongState(
            text(
                f"{covered.describe()}。请待核查完成后再计算考核结果；"
                "如确需先看初步结果，请选择“计算初步结果”（不作为正式考核结果，不能提交审核）",
                f"{covered.describe()}. Compute the results once the checks are done; to see "
                "preliminary results meanwhile, choose “compute preliminary results” (not the "
                "official results; they cannot be submitted for review)",
            )
        )


def check_request(
    session: Session,
    actor: Actor,
    cycle_id: int,
    settings: ComputeSettings,
    preliminary: bool = False,
) -> Coverage:
    """The checks a request makes before a computation is queued, quick enough to answer at
    once (who, when, the field checks' coverage); ``prepare`` makes them again when it runs."""
    require(actor, "results.compute")
    cycle = get_cycle(session, cycle_id)
    _require_computation(cycle)
    covered = coverage(session, cycle, settings)
    _require_coverage(covered, preliminary)
    return covered


def prepare(
    session: Session,
    actor: Actor,
    cycle_id: int,
    settings: ComputeSettings,
    preliminary: bool = False,
    progress: Progress = Unobserved(),
) -> Prepared:
    """Check who and when, and write the data directory of a new attempt (a reading session).
    While assigned field checks are missing, refuse — unless ``preliminary`` was chosen."""
    covered = check_request(session, actor, cycle_id, settings, preliminary)
    cycle = get_cycle(session, cycle_id)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    attempt = settings.runs_dir / f"cycle-{cycle.id}" / f"{stamp}-{uuid.uuid4().hex[:8]}"
    progress.attempt(attempt)  # recorded before anything is written: a dead attempt is found
    data = attempt / "data"
    data.mkdir(parents=True)
    try:
        _write_units(session, data)
        _link_base(settings.base_data, data)
        written = _write_submissions(session, cycle, data)
        checks = _write_field_checks(session, cycle, data)
        if checks:
            written[FIELD_CHECKS] = checks
    except BaseException:
        shutil.rmtree(attempt, ignore_errors=True)
        raise
    return Prepared(
        cycle.id,
        settings.scheme_for(cycle.scheme),
        cycle.period,
        attempt,
        data,
        attempt / "run",
        written,
        covered.record(actor) if preliminary else None,
    )


def _derive(prepared: Prepared) -> None:
    """Recompute the sources derived from the field checks (design-weighted estimates, data
    quality findings) with the verification step, so that they follow the platform's
    verification results rather than whatever the base data held."""

    for name in DERIVED:
        for suffix in (".csv", ".json", ".parquet"):
            linked = prepared.data / f"{name}{suffix}"
            if linked.is_symlink():
                linked.unlink()  # never write through a link into the base data
    # Imported here: it loads statsmodels and scipy (1.4 s), which only a computation job needs
    from ..derived.verification import run_verification

    run_verification(prepared.data, period=prepared.period, sources_into=prepared.data)


def run_engine(prepared: Prepared, progress: Progress = Unobserved()) -> None:
    """The engine on the prepared directory; its error becomes the user's 4xx message."""

    try:
        scheme = load_scheme(prepared.scheme)
        if set(DERIVED) & set(scheme.model.sources):
            progress.step("derive")
            _derive(prepared)
        progress.step("engine")
        assess(
            scheme,
            prepared.data,
            prepared.out,
            period=prepared.period,
            preliminary=prepared.preliminary,
        )
    except KaoheError as error:
        discard(prepared)
        raise Invalid(
            text(
                f"计算失败，未导入任何结果：{error}",
                f"the computation failed; nothing was imported: {error}",
            )
        ) from None
    except BaseException:
        discard(prepared)
        raise


def import_result(session: Session, actor: Actor, prepared: Prepared) -> Run:
    """Import the finished run into the cycle (one writing transaction, still in computation)."""
    cycle = get_cycle(session, prepared.cycle_id)
    _require_computation(cycle)
    return import_run(session, actor, cycle.id, prepared.out)


def discard(prepared: Prepared) -> None:
    shutil.rmtree(prepared.attempt, ignore_errors=True)


def compute(
    db: Database,
    actor: Actor,
    cycle_id: int,
    settings: ComputeSettings,
    preliminary: bool = False,
    progress: Progress = Unobserved(),
) -> int:
    """Prepare, run and import; returns the new run's id. On any failure nothing is imported
    and the attempt's directory is removed. ``preliminary``: the user's explicit choice to
    compute a preliminary run while assigned field checks are missing."""
    progress.step("prepare")
    with db.read() as session:
        prepared = prepare(session, actor, cycle_id, settings, preliminary, progress)
    run_engine(prepared, progress)
    try:
        progress.step("import")
        with db.write(actor.username, "results.compute") as session:
            run_id = import_result(session, actor, prepared).id
            progress.imported(session, run_id)
    except BaseException:
        discard(prepared)
        raise
    return run_id
