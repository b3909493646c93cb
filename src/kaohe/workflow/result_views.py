"""Read-side views of imported runs, built once per run and kept in memory.

A run and its results never change once imported (a new computation is a new run; approval locks
them), so the ranking table and each unit's parsed explanation are computed once per process and
reused by every request. Entries are keyed by the run's id together with the sha256 of the
``explain.json`` it was imported from (and its import time), so a database whose ids restart — a
restored backup, a test that empties its tables — never serves a stale view.

The cache holds no permissions: callers check role, state and scope before using a view.

Every unit has a status (``graded``, ``withheld`` 不予评定, ``failed`` 计算失败) and a completeness
(the share of its nominal points backed by data), read from its explanation; a unit that is not
graded is shown with no score, grade or rank, whatever the row holds. Dimension points come with
the unit's effective maximum (``effective_points``: the nominal points re-weighted by the scheme's
missing-data rules), which may differ from the nominal points of the run's tree.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import language, text
from ..store.models import Cycle, Result, Run, Unit

RunKey = tuple[int, str, str]  # run id, explain.json sha256, import time

STATUSES = ("graded", "withheld", "failed")
STATUS_LABELS = {
    "graded": ("已评定", "graded"),
    "withheld": ("不予评定（待定）", "withheld (pending)"),
    "failed": ("计算失败", "failed"),
}


def status_label(status: str | None) -> str:
    if status is None:
        return "—"
    zh, en = STATUS_LABELS.get(status, (status, status))
    return text(zh, en)


def share_label(value: float | None) -> str:
    """A share (0–1) as a percentage with two decimals: 0.875 → "87.50 %"."""
    if value is None:
        return "—"
    return f"{100 * value:.2f} %"


_RULES = (  # the grade rules the grade step writes (scoring/grade.py), in either language
    (
        re.compile(r"^score >= (?P<cut>\S+) → (?P<grade>.+)$"),
        ("得分 ≥ {cut} → {grade}", "score ≥ {cut} → {grade}"),
    ),
    (
        re.compile(
            r"^score >= mean (?P<mean>\S+) (?P<sign>[+-]) (?P<k>\S+) × sd (?P<sd>\S+) "
            r"= (?P<cut>\S+) → (?P<grade>.+)$"
        ),
        (
            "得分 ≥ 同组均值 {mean} {sign} {k} × 标准差 {sd} = {cut} → {grade}",
            "score ≥ peer-group mean {mean} {sign} {k} × sd {sd} = {cut} → {grade}",
        ),
    ),
    (
        re.compile(r"^rank (?P<rank>\S+) <= (?P<share>\S+) × (?P<n>\S+) → (?P<grade>.+)$"),
        (
            "同组名次 {rank} ≤ {share} × {n} 个单位 → {grade}",
            "rank in group {rank} ≤ {share} × {n} units → {grade}",
        ),
    ),
    (
        re.compile(r"^rank (?P<rank>\S+) <= (?P<cut>\S+) → (?P<grade>.+)$"),
        ("同组名次 {rank} ≤ {cut} → {grade}", "rank in group {rank} ≤ {cut} → {grade}"),
    ),
    (
        re.compile(r"^(?:其余|otherwise) → (?P<grade>.+)$"),
        ("未达到以上各档 → {grade}", "below every higher band → {grade}"),
    ),
    (
        re.compile(r"^(?:不予评定：|grade withheld: )(?P<reasons>.*)$"),
        ("不予评定：{reasons}", "grade withheld: {reasons}"),
    ),
)
_VETO = re.compile(
    r"(?:；一票否决 (?P<id_zh>[^（\s]+)（(?P<zh>.*?)）|; veto (?P<id_en>\S+) \((?P<en>.*?)\))"
    r"\s*→\s*(?P<grade>[^；;]+)"
)


def _as_recorded(name: str, *_: str) -> str:
    return name


def grade_rule_label(
    rule: str | None,
    grade_label: Callable[[str], str] = _as_recorded,
    veto_reason: Callable[[str, str], str] = _as_recorded,
) -> str:
    """The grade rule of a unit's explanation (``score >= 80 → 较好``, written by the grade step
    in the run's language) in words of the user's language: 得分 ≥ 80 → 较好. Vetoes that
    lowered the grade follow with their reason; a rule of another form is shown as recorded.

    ``grade_label`` names a grade and ``veto_reason(reason, veto id)`` a veto's reason for the
    user (``platform_results.grade_label``: "poor (较差)" on an English page); by default both
    as the rule records them."""
    if not rule:
        return ""
    head, *_ = re.split(r"；一票否决 |; veto ", rule, maxsplit=1)
    shown = head
    for pattern, (zh, en) in _RULES:
        found = pattern.match(head.strip())
        if found:
            parts = found.groupdict()
            if "grade" in parts:
                parts["grade"] = grade_label(parts["grade"].strip())
            shown = text(zh, en).format(**parts)
            break
    for veto in _VETO.finditer(rule[len(head) :]):
        reason = veto_reason(
            veto.group("zh") or veto.group("en") or "", veto.group("id_zh") or veto.group("id_en")
        )
        grade = grade_label(veto.group("grade").strip())
        shown += text(f"；一票否决（{reason}）→ ", f"; veto ({reason}) → ") + grade
    return shown


def preliminary_label(preliminary: dict[str, Any] | None) -> str:
    """Why a run is preliminary, in the user's language (the manifest's ``preliminary``)."""
    if not preliminary:
        return ""
    if isinstance(preliminary, dict):
        chosen = preliminary.get("zh"), preliminary.get("en")
        if chosen[0] or chosen[1]:
            return text(chosen[0] or chosen[1], chosen[1] or chosen[0])
        for key in ("message", "reason"):
            if preliminary.get(key):
                return str(preliminary[key])
    return str(preliminary)


class _Status:
    """Status, completeness and reasons of a unit, with labels for pages."""

    status: str | None
    completeness: float | None
    status_reasons: tuple[str, ...]
    # the reasons in each language, where the run recorded both (runs before: none)
    reasons_by_language: dict[str, tuple[str, ...]]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the grade is withheld or failed, in the user's language where the run says."""
        return self.reasons_by_language.get(language()) or self.status_reasons

    @property
    def graded(self) -> bool:
        return self.status in (None, "graded")

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def completeness_label(self) -> str:
        return share_label(self.completeness)


@dataclass(frozen=True)
class RankingRow(_Status):
    unit: str
    name: str
    region: str
    peer_group: str
    score: float | None
    grade: str | None
    rank: int | None
    vetoed: bool
    dimensions: dict[str, Any]
    last_score: float | None = None
    last_rank: int | None = None
    status: str | None = None  # None: a run from before statuses
    completeness: float | None = None
    status_reasons: tuple[str, ...] = ()
    effective_points: dict[str, Any] = field(default_factory=dict)  # dimension -> its maximum
    reasons_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunView:
    """What pages need of a run: its tree, grades, manifest and the ranking rows in rank order."""

    key: RunKey
    id: int
    cycle_id: int
    scheme: str
    tree: list[Any]
    grades: list[Any]
    manifest: dict[str, Any]
    rows: tuple[RankingRow, ...]
    by_unit: dict[str, RankingRow] = field(repr=False)

    @property
    def preliminary(self) -> dict[str, Any] | None:
        """Why the run is preliminary (not the official result), or None."""
        return self.manifest.get("preliminary") or None

    @property
    def preliminary_label(self) -> str:
        return preliminary_label(self.preliminary)


@dataclass(frozen=True)
class UnitResult(_Status):
    """One unit's result with its explanation (the score card's ``result``)."""

    unit_code: str
    score: float | None
    grade: str | None
    rank: int | None
    vetoed: bool
    dimensions: dict[str, Any]
    explain: dict[str, Any]
    status: str | None = None
    completeness: float | None = None
    status_reasons: tuple[str, ...] = ()
    effective_points: dict[str, Any] = field(default_factory=dict)
    reasons_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _heads():
    """The columns that identify a run's immutable content: id, explain.json hash, import time."""
    return (
        Run.id,
        Run.manifest["outputs"]["explain.json"].as_string(),
        Run.created_at,
    )


def _key(row: Any) -> RunKey:
    return (row[0], row[1] or "", str(row[2]))


class ResultViews:
    """A per-process cache of run views and unit explanations (bounded, thread-safe)."""

    def __init__(self, max_runs: int = 64, max_units: int = 4096):
        self._lock = threading.Lock()
        self._runs: OrderedDict[RunKey, RunView] = OrderedDict()
        self._units: OrderedDict[tuple[RunKey, str], UnitResult] = OrderedDict()
        self._derived: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.max_runs = max_runs
        self.max_units = max_units

    def _remember(self, store: OrderedDict, key: Any, value: Any, limit: int) -> Any:
        with self._lock:
            store[key] = value
            store.move_to_end(key)
            while len(store) > limit:
                store.popitem(last=False)
        return value

    def _recall(self, store: OrderedDict, key: Any) -> Any:
        with self._lock:
            value = store.get(key)
            if value is not None:
                store.move_to_end(key)
            return value

    def _view(self, session: Session, head: Any) -> RunView | None:
        if head is None:
            return None
        key = _key(head)
        cached = self._recall(self._runs, key)
        if cached is not None:
            return cached
        return self._remember(self._runs, key, _build_run(session, key), self.max_runs)

    def latest(self, session: Session, cycle_id: int) -> RunView | None:
        """The cycle's latest run (one small query, then memory)."""
        head = session.execute(
            select(*_heads()).where(Run.cycle_id == cycle_id).order_by(Run.id.desc()).limit(1)
        ).first()
        return self._view(session, head)

    def previous(
        self, session: Session, cycle: Cycle, previous_period: str | None
    ) -> RunView | None:
        """The latest run of the same scheme's cycle one period earlier."""
        if previous_period is None:
            return None
        head = session.execute(
            select(*_heads())
            .join(Cycle, Cycle.id == Run.cycle_id)
            .where(Cycle.scheme == cycle.scheme, Cycle.period == previous_period)
            .order_by(Run.id.desc())
            .limit(1)
        ).first()
        return self._view(session, head)

    def unit_result(self, session: Session, view: RunView, unit_code: str) -> UnitResult | None:
        if unit_code not in view.by_unit:
            return None
        key = (view.key, unit_code)
        cached = self._recall(self._units, key)
        if cached is not None:
            return cached
        explain = session.scalar(
            select(Result.explain).where(Result.run_id == view.id, Result.unit_code == unit_code)
        )
        row = view.by_unit[unit_code]
        result = UnitResult(
            unit_code=unit_code,
            score=row.score,
            grade=row.grade,
            rank=row.rank,
            vetoed=row.vetoed,
            dimensions=row.dimensions,
            explain=explain or {},
            status=row.status,
            completeness=row.completeness,
            status_reasons=row.status_reasons,
            effective_points=row.effective_points,
            reasons_by_language=row.reasons_by_language,
        )
        return self._remember(self._units, key, result, self.max_units)

    def indicators(self, session: Session, view: RunView) -> dict[str, dict[str, dict]]:
        """unit -> indicator -> its explanation, for every unit of ``view`` (not cached here:
        ``platform_results.indicator_table`` keeps it as a derived view)."""
        table = {}
        for unit, explained in session.execute(
            select(Result.unit_code, Result.explain["indicators"]).where(Result.run_id == view.id)
        ):
            table[unit] = explained if isinstance(explained, dict) else {}
        return table

    def derived(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """Anything computed from immutable views (e.g. the ranking with last year beside it);
        ``key`` must contain the run keys it was computed from."""
        cached = self._recall(self._derived, key)
        if cached is not None:
            return cached
        return self._remember(self._derived, key, build(), self.max_units)


def _number(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _reasons(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return tuple(str(v) for v in value)


def _order(row: RankingRow) -> tuple[Any, ...]:
    """Ranked units by rank, then unranked graded units, the withheld and the failed."""
    status = STATUSES.index(row.status) if row.status in STATUSES else 0
    return (row.rank is None, row.rank or 0, status, row.unit)


def _build_run(session: Session, key: RunKey) -> RunView:
    run = session.get(Run, key[0])
    top = [d["id"] for d in run.tree or [] if d.get("top")]
    # Only the parts of each explanation the ranking needs, extracted by the database.
    parts = [
        Result.explain["status"].as_string(),
        Result.explain["completeness"].as_float(),
        Result.explain["status_reasons"],
        Result.explain["status_reasons_zh"],
        Result.explain["status_reasons_en"],
        *(Result.explain[("nodes", d, "max_points")].as_float() for d in top),
    ]
    rows = []
    for result, name, attributes, status, completeness, reasons, zh, en, *maxima in session.execute(
        select(Result, Unit.name, Unit.attributes, *parts)
        .join(Unit, Unit.code == Result.unit_code)
        .where(Result.run_id == run.id)
    ):
        attributes = attributes or {}
        graded = status in (None, "graded")
        rows.append(
            RankingRow(
                unit=result.unit_code,
                name=name,
                region=attributes.get("region") or "",
                peer_group=attributes.get("peer_group") or "",
                # never a score, grade or rank for a unit whose grade is withheld or failed
                score=result.score if graded else None,
                grade=result.grade if graded else None,
                rank=result.rank if graded else None,
                vetoed=result.vetoed,
                dimensions=result.dimensions,
                status=status,
                completeness=_number(completeness),
                status_reasons=_reasons(reasons),
                effective_points=dict(zip(top, maxima, strict=True)),
                reasons_by_language={
                    lang: _reasons(shown) for lang, shown in (("zh", zh), ("en", en)) if shown
                },
            )
        )
    rows.sort(key=_order)
    return RunView(
        key=key,
        id=run.id,
        cycle_id=run.cycle_id,
        scheme=run.scheme,
        tree=run.tree,
        grades=run.grades,
        manifest=run.manifest,
        rows=tuple(rows),
        by_unit={row.unit: row for row in rows},
    )
