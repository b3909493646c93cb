"""What a report shows, gathered from a run directory: the numbers, in the reader's language.

Everything comes from files the run (and its follow-ups) wrote, opened by ``run.opened.open_run``:
explain.json, manifest.json and the scheme the run kept (its labels, in English too);
sensitivity/sensitivity.json when ``kaohe sensitivity`` ran; verification/estimates.csv when the
verification report was written into the run; with ``--previous``, the explain.json of last
year's run for the changes; and, for the trend over the years, the earlier runs (``history``, the
run's own ``--previous`` chain, or its previous-period columns: ``run.history``). The HTML, PDF
and Excel renderers only lay these numbers out.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.files import sha256_of
from ..run.history import (
    UnitYear,
    YearSummary,
    find_runs,
    national_picture,
    period_of,
    scheme_of,
    years_of,
)
from ..run.opened import OpenedRun, open_run, read_run_json
from ..run.record import MANIFEST
from ..scheme.actions import ACTIONS, localized
from ..scoring.rank import competition_rank
from ..scoring.status import status_label


@dataclass
class Words:
    """The report's language, chosen per report (``--lang``) rather than for the whole process."""

    lang: str

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh


@dataclass
class Dimension:
    id: str
    label: str
    max_points: float


@dataclass
class IndicatorRow:
    id: str
    label: str
    value: float | None
    unit_of_measure: str | None
    target: float | None
    points: float | None
    max_points: float | None
    rank: int | None  # among the assessed units, by normalized score


@dataclass
class Outcome:
    label: str
    detail: str
    deadline: str | None = None  # rectification: the date by which it is due


@dataclass
class UnitCard:
    unit: str
    name: str
    score: float | None
    grade: str | None
    grade_label: str  # the grade, or the status of a unit without one (不予评定)
    rank: int | None
    grade_rule: str
    bonus: float
    deduction: float
    dimensions: list[tuple[Dimension, float | None]]  # earned points per dimension
    indicators: list[IndicatorRow]
    findings: list[str]
    outcomes: list[Outcome]
    status: str = "graded"  # graded, withheld (不予评定) or failed
    completeness: float | None = None  # share of nominal points backed by data
    status_reasons: tuple[str, ...] = ()
    sensitivity: dict[str, Any] | None = None
    change: dict[str, Any] | None = None
    verification: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Trend:
    """The units and the nation over the periods available (two at least)."""

    national: list[YearSummary]  # one per run, in period order
    units: dict[str, list[UnitYear]]  # unit code → its years
    scheme_changes: list[tuple[str, str, str]]  # (period, scheme before, scheme from then)
    partial: bool = False  # an earlier year known only from this run's previous-period columns

    def row(self, code: str) -> list[UnitYear | None]:
        """The unit's years aligned with ``national`` (None where it was not assessed)."""
        years = {(y.period, y.scheme_id): y for y in self.units.get(code, [])}
        return [years.get((n.period, n.scheme_id)) for n in self.national]

    def changed_before(self, i: int) -> bool:
        """Whether the scheme changed between run ``i - 1`` and run ``i``."""
        return i > 0 and self.national[i].scheme_id != self.national[i - 1].scheme_id


@dataclass
class ReportData:
    words: Words
    title: str
    scheme_id: str
    version: str
    policy_source: str
    period: str | None
    created: str
    grades: list[str]
    grade_labels: dict[str, str]
    dimensions: list[Dimension]
    cards: list[UnitCard]  # in rank order
    distribution: list[tuple[str, int]]
    profile: list[tuple[Dimension, float | None]]  # mean share of each dimension's points
    sensitivity: dict[str, Any] | None
    previous_period: str | None
    outcome_counts: list[tuple[str, int]]
    verification_columns: list[str] = field(default_factory=list)
    trend: Trend | None = None

    @property
    def lang(self) -> str:
        return self.words.lang


def load_report_data(
    run_dir: Path,
    lang: str,
    previous: Path | None = None,
    verification: Path | None = None,
    history: Path | None = None,
) -> ReportData:
    """``history``: a folder of earlier runs (run directories) for the trend over the years."""
    run_dir = Path(run_dir)
    words = Words(lang)
    opened = open_run(run_dir)  # the scheme it kept gives the English labels
    explanation, manifest, scheme = opened.explanation, opened.manifest, opened.scheme
    model = scheme.model
    grades = list(explanation.get("grades") or [])
    labels_en = model.grading.labels_en
    grade_labels = {g: (labels_en.get(g, g) if lang == "en" else g) for g in grades}
    reasons_en = {v.id: v.reason_en for v in model.vetoes if v.reason_en}

    def label(name: str, fallback: str | None) -> str:
        return scheme.label(name, lang)  # the id when the scheme does not know it

    units = explanation.get("units", {})
    first = next(iter(units.values()), {})
    nodes = first.get("nodes") or {}
    order = _tree_order(nodes)
    dimensions = [
        Dimension(
            node_id,
            label(node_id, nodes[node_id].get("label")),
            float(nodes[node_id].get("max_points") or 0),
        )
        for node_id in order
        if node_id in nodes and node_id != "total"
    ]
    position = {name: i for i, name in enumerate(order)}
    indicator_ranks = _indicator_ranks(units)
    sensitivity = _read_sensitivity(run_dir)
    previous_units, previous_period = _read_previous(previous)
    created = str(manifest.get("created", ""))[:10]
    verification_rows, verification_columns = _read_verification(
        Path(verification) if verification else run_dir / "verification"
    )
    cards = []
    for code, entry in units.items():
        grade = entry.get("grade")
        status = entry.get("status") or "graded"
        cards.append(
            UnitCard(
                unit=code,
                name=entry.get("name") or code,
                score=entry.get("score"),
                grade=grade,
                grade_label=grade_labels.get(grade, grade)
                if grade
                else (status_label(status) if status != "graded" else "—"),
                status=status,
                completeness=entry.get("completeness"),
                status_reasons=tuple(
                    entry.get(f"status_reasons_{words.lang}") or entry.get("status_reasons") or ()
                ),
                rank=None if entry.get("rank") is None else int(entry["rank"]),
                grade_rule=entry.get("grade_rule") or "",
                bonus=entry.get("bonus") or 0.0,
                deduction=entry.get("deduction") or 0.0,
                dimensions=[
                    (d, (entry.get("nodes") or {}).get(d.id, {}).get("points")) for d in dimensions
                ],
                indicators=[
                    IndicatorRow(
                        id=name,
                        label=label(name, item.get("label")),
                        value=item.get("value"),
                        unit_of_measure=item.get("unit_of_measure"),
                        target=item.get("target"),
                        points=item.get("points"),
                        max_points=item.get("max_points"),
                        rank=indicator_ranks.get(name, {}).get(code),
                    )
                    for name, item in sorted(
                        (entry.get("indicators") or {}).items(),
                        key=lambda kv: position.get(kv[0], len(position)),
                    )
                    if item.get("max_points") is not None  # scored indicators only
                ],
                findings=_findings(entry, words, label, reasons_en),
                outcomes=_outcomes(entry, words, created),
                sensitivity=_unit_sensitivity(sensitivity, code, words),
                change=_change(entry, previous_units.get(code)) if previous_units else None,
                verification=verification_rows.get(code, []),
            )
        )
    cards.sort(key=lambda c: (c.rank if c.rank is not None else 10**9, c.unit))
    counts = {g: 0 for g in grades}
    for card in cards:
        if card.grade in counts:
            counts[card.grade] += 1
    outcome_counts: dict[str, int] = {}
    for card in cards:
        for outcome in card.outcomes:
            outcome_counts[outcome.label] = outcome_counts.get(outcome.label, 0) + 1
    return ReportData(
        words=words,
        title=(model.title_en or model.title)
        if lang == "en"
        else (explanation.get("scheme") or {}).get("title", ""),
        scheme_id=(explanation.get("scheme") or {}).get("id", ""),
        version=str((explanation.get("scheme") or {}).get("version", "")),
        policy_source=model.policy_source,
        period=manifest.get("period"),
        created=created,
        grades=grades,
        grade_labels=grade_labels,
        dimensions=dimensions,
        cards=cards,
        distribution=[(grade_labels[g], counts[g]) for g in grades],
        profile=_profile(cards, dimensions),
        sensitivity=_sensitivity_summary(sensitivity, words),
        previous_period=previous_period,
        outcome_counts=sorted(outcome_counts.items(), key=lambda kv: -kv[1]),
        verification_columns=verification_columns,
        trend=_trend(opened, previous, history),
    )


def _tree_order(nodes: dict[str, Any]) -> list[str]:
    """Node and indicator ids in the scheme's tree order (explain.json sorts its keys)."""
    order: list[str] = []

    def visit(name: str) -> None:
        order.append(name)
        for child in (nodes.get(name) or {}).get("children") or []:
            visit(child)

    visit("total")
    return order


def _indicator_ranks(units: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Each unit's rank on each indicator by normalized score (1 = best; ties share)."""
    codes = list(units)
    names = list(next(iter(units.values()), {}).get("indicators") or {})
    ranks: dict[str, dict[str, int]] = {}
    for name in names:
        values = np.array(
            [
                np.nan
                if (v := (units[c].get("indicators") or {}).get(name, {}).get("normalized")) is None
                else float(v)
                for c in codes
            ]
        )
        if np.isnan(values).all():
            continue
        ranked = competition_rank(values)
        ranks[name] = {
            code: int(r) for code, r, v in zip(codes, ranked, values, strict=True) if v == v
        }
    return ranks


def _findings(entry: dict[str, Any], words: Words, label, reasons_en: dict[str, str]) -> list[str]:
    found = []
    for veto in entry.get("vetoes") or []:
        reason = veto.get("reason")
        found.append(
            words(f"一票否决：{reason}", f"veto: {reasons_en.get(veto.get('id'), reason)}")
        )
    for flag in entry.get("flags") or []:
        found.append(label(flag, flag))
    for adjustment in entry.get("adjustments") or []:
        if adjustment.get("kind") == "deduction":
            found.append(
                words(
                    f"扣分：{adjustment.get('label') or adjustment.get('id')} "
                    f"{adjustment.get('points')}",
                    f"deduction: {adjustment.get('label') or adjustment.get('id')} "
                    f"{adjustment.get('points')}",
                )
            )
    found += [note for note in entry.get("notes") or []]
    return found


def _outcomes(entry: dict[str, Any], words: Words, created: str) -> list[Outcome]:
    outcomes = []
    for action in entry.get("outcomes") or []:
        kind = action.get("action")
        names = ACTIONS.get(kind)
        name = (names.en if words.lang == "en" else names.zh) if names else str(kind)
        params = localized(
            {k: v for k, v in action.items() if k not in ("action", "label")}, words.lang
        )
        deadline = None
        if kind == "rectify" and params.get("days") is not None and created:
            due = dt.date.fromisoformat(created) + dt.timedelta(days=int(params["days"]))
            deadline = due.isoformat()
        detail = "; ".join(f"{k}={_plain(v)}" for k, v in params.items())
        outcomes.append(Outcome(name, detail, deadline))
    return outcomes


def _plain(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 10000:
        return f"{value:,.0f}"
    return str(value)


def _read_sensitivity(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "sensitivity" / "sensitivity.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _unit_sensitivity(payload: dict | None, code: str, words: Words) -> dict[str, Any] | None:
    if not payload or code not in payload.get("units", {}):
        return None
    unit = dict(payload["units"][code])
    groups = {g["id"]: words(g["label"], g["label_en"]) for g in payload.get("inputs", [])}
    unit["driver_label"] = groups.get(unit.get("driver") or "", "")
    return unit


def _sensitivity_summary(payload: dict | None, words: Words) -> dict[str, Any] | None:
    if not payload:
        return None
    settings = payload.get("settings", {})
    inputs = sorted(payload.get("inputs", []), key=lambda i: -(i.get("total") or 0))
    return {
        "draws": settings.get("rows_evaluated"),
        "seed": settings.get("seed"),
        "weights": settings.get("weights"),
        "methods": [m for m in settings.get("normalizations", [])[1:]]
        + [m for m in settings.get("aggregations", [])[1:]],
        "threshold": settings.get("threshold"),
        "unstable": len(payload.get("unstable", [])),
        "inputs": [
            {
                "label": words(i["label"], i["label_en"]),
                "first": i.get("first_order"),
                "total": i.get("total"),
            }
            for i in inputs
        ],
        "sampling": payload.get("sampling", []),
    }


def _read_previous(previous: Path | None) -> tuple[dict[str, Any], str | None]:
    if previous is None:
        return {}, None
    explanation = read_run_json(Path(previous) / "explain.json")
    manifest = read_run_json(Path(previous) / "manifest.json")
    # the previous run's period names it; a run without periods is named by its directory
    return explanation.get("units", {}), str(manifest.get("period") or Path(previous).name)


def _change(entry: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any] | None:
    if before is None:
        return None
    score, old = entry.get("score"), before.get("score")
    rank, old_rank = entry.get("rank"), before.get("rank")
    return {
        "score": old,
        "score_delta": None if score is None or old is None else round(score - old, 6),
        "rank": None if old_rank is None else int(old_rank),
        # positive: moved up (a smaller rank number)
        "rank_delta": None if rank is None or old_rank is None else int(old_rank - rank),
        "grade": before.get("grade"),
    }


def _profile(cards: list[UnitCard], dimensions: list[Dimension]) -> list:
    profile = []
    for j, dimension in enumerate(dimensions):
        shares = [
            card.dimensions[j][1] / dimension.max_points
            for card in cards
            if card.dimensions[j][1] is not None and dimension.max_points
        ]
        profile.append((dimension, float(np.mean(shares)) if shares else None))
    return profile


def _read_verification(directory: Path) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The verification report's estimates (``DIR/estimates.csv``), per unit."""
    path = directory / "estimates.csv"
    if not path.is_file():
        return {}, []
    by_unit: dict[str, list[dict[str, Any]]] = {}
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            by_unit.setdefault(row.get("unit", ""), []).append(row)
    return by_unit, list(reader.fieldnames or [])


def _earlier_runs(opened: OpenedRun, previous: Path | None, history: Path | None) -> list:
    """The runs of the trend: ``history``'s, ``previous``, the chain of previous runs each
    manifest names (while unchanged: same sha256), and this one; each run once."""
    runs = [opened, *(find_runs(history) if history else [])]
    if previous is not None:
        runs.append(open_run(Path(previous)))
    step = opened
    while (recorded := step.manifest.get("previous")) and len(runs) < 100:
        folder = Path(recorded.get("run") or "")
        if not (folder / MANIFEST).is_file():
            break
        if sha256_of(folder / MANIFEST) != recorded.get("manifest_sha256"):
            break  # replaced since: no longer the run this one was compared with
        step = open_run(folder)
        runs.append(step)
    unique = {run.run_dir.resolve(): run for run in reversed(runs)}
    return list(unique.values())


def _trend(opened: OpenedRun, previous: Path | None, history: Path | None) -> Trend | None:
    """This run's units over the years; None when only one period is known.

    Runs of other schemes count where they assess this run's units, except in a period that has
    a run of this run's scheme (several schemes assess the same provinces in one year)."""
    codes = set(opened.explanation.get("units", {}))
    scheme_id = scheme_of(opened).get("id")
    # a report speaks of its period and before: later periods in ``history`` are left out
    # (periods are compared as text, which orders the years and the YYYY-MM forms alike)
    period = opened.manifest.get("period")
    runs = [
        run
        for run in _earlier_runs(opened, previous, history)
        if codes & set(run.explanation.get("units", {}))
        and not (period and run.manifest.get("period") and str(run.manifest["period"]) > period)
    ]
    own_periods = {period_of(run) for run in runs if scheme_of(run).get("id") == scheme_id}
    runs = [
        run
        for run in runs
        if scheme_of(run).get("id") == scheme_id or period_of(run) not in own_periods
    ]
    national = sorted(
        (national_picture(run) for run in runs), key=lambda y: (y.period, y.scheme_id)
    )
    units = {code: years_of(runs, code) for code in opened.explanation.get("units", {})}
    partial = False
    if len({y.period for y in national}) < 2:
        carried = _from_previous_columns(opened, national[-1], units)
        if carried is None:
            return None
        national.insert(0, carried)
        partial = True
    changes = [
        (b.period, a.scheme_id, b.scheme_id)
        for a, b in zip(national, national[1:], strict=False)
        if a.scheme_id != b.scheme_id
    ]
    return Trend(national, units, changes, partial)


def _number_or_none(raw: str | None) -> float | None:
    return None if raw in (None, "") else float(raw)


def _from_previous_columns(
    opened: OpenedRun, current: YearSummary, units: dict[str, list[UnitYear]]
) -> YearSummary | None:
    """Last year from this run's previous-period columns (``kaohe assess --previous``) when
    that run itself is not at hand: its units in this run only."""
    recorded = opened.manifest.get("previous")
    if not recorded or "previous_grade" not in opened.columns:
        return None
    period = str(recorded.get("period") or Path(recorded.get("run") or "?").name)
    scheme = recorded.get("scheme") or {}
    grades = [g for g, _ in current.grades]
    counts = dict.fromkeys(grades, 0)
    scores = []
    for row in opened.results:
        code, grade = row["unit"], row.get("previous_grade") or None
        score = _number_or_none(row.get("previous_score"))
        rank = _number_or_none(row.get("previous_rank"))
        if grade in counts:
            counts[grade] += 1
        if score is not None:
            scores.append(score)
        years = units.get(code, [])
        if years:  # this year's changes, as the run computed them
            years[-1].score_change = _number_or_none(row.get("score_change"))
            years[-1].grade_change = row.get("grade_change") or None
            years[-1].compared_with = period
        if grade is None and score is None:
            continue  # not assessed last year
        before = UnitYear(
            period=period,
            scheme_id=str(scheme.get("id", "")),
            scheme_title=current.scheme_title,
            scheme_version=str(scheme.get("version", "")),
            run=str(recorded.get("run") or ""),
            status="graded" if grade else "",
            score=score,
            grade=grade,
            rank=None if rank is None else int(rank),
            units=0,  # unknown: that run is not at hand
        )
        units[code] = [before, *years]
    return YearSummary(
        period=period,
        scheme_id=str(scheme.get("id", "")),
        scheme_title=current.scheme_title,
        units=sum(1 for years in units.values() if years and years[0].period == period),
        graded=sum(counts.values()),
        grades=list(counts.items()),
        median_score=float(np.median(scores)) if scores else None,
    )
