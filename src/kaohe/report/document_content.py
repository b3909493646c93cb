"""What the official documents of a run say: a feedback letter (反馈意见) per unit and the results
circular (考核结果通报), as plain text in the chosen language, ready for any layout (Word, PDF).

Everything comes from the run (``run.opened.open_run``: explain.json, manifest.json and the scheme
as run) and from the rectification items the outcomes ledger derives from the same run
(``outcomes.from_run.run_entries``, passed in by the caller: the layers keep ``report`` and
``outcomes`` apart), so a letter's deadlines are the ledger's, counted from the decision date.

An official document carries no internal reference: every text the scheme or the run wrote goes
through ``public_text.Publisher`` (identifiers become labels; remarks naming files are dropped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..formatting import rate_text
from ..i18n import text
from ..run.opened import OpenedRun
from ..scheme import LoadedScheme
from ..scheme.actions import ACTIONS, localized
from .data import Words
from .public_text import Publisher

# Actions that are the rectification itself (the letter's requirements), not a consequence.
REQUIREMENT_ACTIONS = ("rectify", "request_data", "recheck")
# Grading methods whose grades follow the ranking: only there does a document state the rank.
RANKING_METHODS = ("quantiles", "top_n")


@dataclass(frozen=True)
class Issuance:
    """Who issues the documents, under which number, decided on which day, in which language."""

    authority: str
    number: str
    date: dt.date
    lang: str = "zh"


def decision_date(value: str) -> dt.date:
    """``--date`` as a date; a clear error otherwise (never today's date as a fallback)."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise UsageError(
            text(
                f"--date {value!r} 不是日期，应写成 YYYY-MM-DD（决定日期，整改期限从这一天起算）",
                f"--date {value!r} is not a date; write YYYY-MM-DD (the decision date, from "
                "which the rectification deadlines count)",
            )
        ) from None


@dataclass
class Requirement:
    """What the unit must do, by when (None: no deadline set)."""

    text: str
    deadline: dt.date | None


@dataclass
class ScoreLine:
    label: str
    points: str
    max_points: str


@dataclass
class FeedbackLetter:
    unit: str
    name: str
    grade: str  # the grade's label, or why there is none (不予评定)
    graded: bool
    score: str | None
    rank: str | None  # "3 / 22" where the scheme's grades follow the ranking
    scores: list[ScoreLine]  # points per dimension
    problems: list[str]
    requirements: list[Requirement]
    consequences: list[str]
    notes: list[str]


@dataclass
class GradeGroup:
    grade: str
    units: list[str]  # names, in rank order


@dataclass
class Consequence:
    action: str
    detail: str
    units: list[str]


@dataclass
class ResultsCircular:
    groups: list[GradeGroup]
    ungraded: list[tuple[str, str]]  # (name, why)
    consequences: list[Consequence]
    table: list[tuple[str, str, str]]  # (code, name, grade) in rank order


@dataclass
class Documents:
    """Both documents' content, and what they share: the heading and the scheme's title."""

    issuance: Issuance
    words: Words
    scheme_title: str
    period: str | None
    circular: ResultsCircular
    letters: list[FeedbackLetter] = field(default_factory=list)

    def date_text(self, day: dt.date | None = None) -> str:
        """A date as documents write it: "2020年2月15日", "15 February 2020"."""
        return day_text(day or self.issuance.date, self.words)

    @property
    def year_phrase(self) -> str:
        """ "2019年度" / " (2019)" — empty when the run names no period."""
        if not self.period:
            return ""
        return self.words(f"{self.period}年度", f" ({self.period})")


def build_documents(
    run: OpenedRun,
    issuance: Issuance,
    items: Sequence[tuple[str, dict[str, Any]]],
    units: Iterable[str] | None = None,
) -> Documents:
    """The circular of ``run`` and the letters of ``units`` (default: every assessed unit).

    ``items``: the ledger events ``outcomes.from_run.run_entries(run_dir, issuance.date)`` gives
    for the run; their rectification and finding items give the letters' deadlines.
    """
    words = Words(issuance.lang)
    scheme = run.scheme
    model = scheme.model
    explained = run.explanation.get("units") or {}
    wanted = list(units) if units else None
    unknown = [code for code in wanted or [] if code not in explained]
    if unknown:
        raise UsageError(
            text(
                f"--unit {'、'.join(unknown)}：本次考核没有这些考核对象（共 {len(explained)} 个："
                f"{'、'.join(list(explained)[:8])}…）",
                f"--unit {', '.join(unknown)}: no such unit in this run (it assessed "
                f"{len(explained)}: {', '.join(list(explained)[:8])} …)",
            )
        )
    grade_labels = {
        grade: (model.grading.labels_en.get(grade, grade) if words.lang == "en" else grade)
        for grade in model.grading.grades
    }
    public = Publisher(scheme, words.lang)
    ordered = sorted(
        explained.items(), key=lambda kv: (kv[1].get("rank") is None, kv[1].get("rank") or 0, kv[0])
    )
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for kind, event in items:
        if kind == "item_opened":
            by_unit.setdefault(str(event.get("unit")), []).append(event)
    letters = [
        _letter(code, entry, run, public, words, grade_labels, by_unit.get(code, []), issuance)
        for code, entry in ordered
        if wanted is None or code in wanted
    ]
    title = (model.title_en or model.title) if words.lang == "en" else model.title
    return Documents(
        issuance=issuance,
        words=words,
        scheme_title=public(title),
        period=None if run.manifest.get("period") is None else str(run.manifest["period"]),
        circular=_circular(ordered, words, grade_labels, public, issuance),
        letters=letters,
    )


def figure(value: Any, unit_of_measure: str | None, lang: str) -> str:
    """A value as an official document shows it: rates as percentages, numbers with their unit.
    (The same rule as the report's ``measure`` filter, kept here so documents need no HTML.)"""
    shown = rate_text(value, unit_of_measure, lang=lang)
    if shown is not None:
        return shown
    if value is None or value != value:
        return "—"
    value = float(value)
    digits = 0 if abs(value) >= 1000 or value.is_integer() else 2 if abs(value) >= 1 else 4
    return f"{value:,.{digits}f}" + (f" {unit_of_measure}" if unit_of_measure else "")


def _points(value: Any) -> str:
    return "—" if value is None or value != value else f"{float(value):.2f}"


def _letter(
    code: str,
    entry: dict[str, Any],
    run: OpenedRun,
    public: Publisher,
    words: Words,
    grade_labels: dict[str, str],
    items: list[dict[str, Any]],
    issuance: Issuance,
) -> FeedbackLetter:
    status = entry.get("status") or "graded"
    grade = entry.get("grade")
    graded = status == "graded" and grade is not None
    figures = Figures(entry, run, public, words)
    problems = _problems(entry, run.scheme, public, words, figures)
    requirements, consequences = _actions(entry, items, public, words, issuance)
    model = run.scheme.model
    rank = None
    if graded and model.grading.method in RANKING_METHODS:
        peers = entry.get("group_rank") if model.grading.peer_group else entry.get("rank")
        if peers is not None:
            rank = str(int(peers))
    nodes = entry.get("nodes") or {}
    top = (nodes.get("total") or {}).get("children") or []
    return FeedbackLetter(
        unit=code,
        name=entry.get("name") or code,
        grade=grade_labels.get(grade, grade)
        if graded
        else words("不予评定等次", "no grade awarded (withheld)"),
        graded=graded,
        score=_points(entry.get("score")) if graded else None,
        rank=rank,
        scores=[
            ScoreLine(
                public.label(node) or "—",
                _points(nodes[node].get("points")),
                _points(nodes[node].get("max_points")),
            )
            for node in top
            if node in nodes
        ],
        problems=problems,
        requirements=requirements,
        consequences=consequences,
        notes=[public(note) for note in entry.get("notes") or []],
    )


class Figures:
    """The figures behind a condition: the labelled indicators and measures it reads, followed
    through the flags it names (parameters are the scheme's thresholds, already in the labels)."""

    def __init__(self, entry: dict[str, Any], run: OpenedRun, public: Publisher, words: Words):
        self.entry, self.scheme, self.public, self.words = entry, run.scheme, public, words
        self.measure_units = run.explanation.get("measure_units") or {}
        self.cited: set[str] = set()
        model = self.scheme.model
        self._order = {name: i for i, name in enumerate([*model.indicators, *model.measures])}

    def of(self, names: Iterable[str], seen: frozenset[str] = frozenset()) -> list[str]:
        shown: list[str] = []
        for name in sorted(names, key=self._position):
            if name in seen:
                continue
            if name in self.scheme.flags:
                shown += [
                    f
                    for f in self.of(self.scheme.flags[name].names, seen | {name})
                    if f not in shown
                ]
            elif (line := self.line(name)) is not None and line not in shown:
                shown.append(line)
        return shown

    def _position(self, name: str) -> tuple[int, str]:
        """Indicators in the scheme's order, then measures, then anything else."""
        return (self._order.get(name, len(self._order)), name)

    def line(self, name: str) -> str | None:
        """ "错退率 3.37 %（95% 置信区间 1.70 %–6.59 %）" for an indicator or measure."""
        label = self.public.label(name)
        indicator = (self.entry.get("indicators") or {}).get(name)
        lang = self.words.lang
        if label is None:
            return None
        if indicator is not None and indicator.get("value") is not None:
            self.cited.add(name)
            unit = indicator.get("unit_of_measure")
            shown = f"{label} {figure(indicator['value'], unit, lang)}"
            interval = indicator.get("interval") or {}
            if interval.get("low") is not None and interval.get("high") is not None:
                level = f"{float(interval.get('level') or 0.95):.0%}"
                low, high = (figure(interval[k], unit, lang) for k in ("low", "high"))
                shown += self.words(
                    f"，{level} 置信区间 {low}–{high}", f", {level} interval {low}–{high}"
                )
            return shown
        measures = self.entry.get("measures") or {}
        if name in measures and measures[name] is not None:
            return f"{label} {figure(measures[name], self.measure_units.get(name), lang)}"
        return None

    def joined(self, names: Iterable[str]) -> str:
        lines = self.of(names)
        if not lines:
            return ""
        return self.words(f"（{'；'.join(lines)}）", f" ({'; '.join(lines)})")


def _problems(
    entry: dict[str, Any], scheme: LoadedScheme, public: Publisher, words: Words, figures: Figures
) -> list[str]:
    """The problems found, each with its figures: vetoes, flags, deductions, missing evidence and
    indicators that missed their target or earned no points."""
    problems: list[str] = []
    stated: set[str] = set()
    vetoes = {
        veto.id: (veto, expr) for veto, expr in zip(scheme.model.vetoes, scheme.vetoes, strict=True)
    }
    for hit in entry.get("vetoes") or []:
        veto, expression = vetoes.get(hit.get("id"), (None, None))
        reason = public.clean(
            (veto.reason_en if veto is not None and words.lang == "en" else None)
            or hit.get("reason")
            or ""
        )
        stated.add(reason)
        if expression is not None:  # a flag the veto names is this same problem
            stated |= {public.label(name) for name in expression.names if name in scheme.flags}
        shown = figures.joined(expression.names) if expression is not None else ""
        problems.append(words(f"一票否决：{reason}{shown}", f"Veto: {reason}{shown}"))
    for flag in entry.get("flags") or []:
        label = public.label(flag)
        if label is None or label in stated:
            continue
        stated.add(label)
        expression = scheme.flags.get(flag)
        problems.append(label + (figures.joined(expression.names) if expression else ""))
    for adjustment in entry.get("adjustments") or []:
        if adjustment.get("kind") != "deduction":
            continue
        name = adjustment.get("id") or ""
        label = public.label(name) or public(adjustment.get("label") or "")
        points = abs(float(adjustment.get("points") or 0))
        reads: set[str] = set()
        for expression in (scheme.adjustment_points.get(name), scheme.adjustment_when.get(name)):
            reads |= set(getattr(expression, "names", ()) or ())
        shown = figures.joined(reads)
        problems.append(
            words(
                f"扣分：{label}{shown}，扣 {points:.2f} 分",
                f"Deduction: {label}{shown}, {points:.2f} points deducted",
            )
        )
    for reason in entry.get(f"status_reasons_{words.lang}") or entry.get("status_reasons") or []:
        problems.append(
            words(f"不予评定等次：{public(reason)}", f"Grade withheld: {public(reason)}")
        )
    for name, item in (entry.get("indicators") or {}).items():
        if item.get("max_points") is None or name in figures.cited:
            continue  # not scored, or already shown as a figure of a problem above
        problem = _indicator_problem(name, item, public, words)
        if problem:
            problems.append(problem)
    return problems


def _indicator_problem(
    name: str, item: dict[str, Any], public: Publisher, words: Words
) -> str | None:
    """An indicator below its target (or above it, for lower-is-better), or one that earned no
    points; None otherwise."""
    label, value = public.label(name), item.get("value")
    if label is None or value is None:
        return None
    unit = item.get("unit_of_measure")
    shown = figure(value, unit, words.lang)
    target = item.get("target")
    if target is not None:
        lower = item.get("direction") == "lower"
        if (value > target) if lower else (value < target):
            goal = figure(target, unit, words.lang)
            return words(
                f"{label}未达到目标：{shown}（目标 {goal}），得 {_points(item.get('points'))} 分"
                f"（满分 {_points(item.get('max_points'))} 分）",
                f"{label} below target: {shown} (target {goal}); "
                f"{_points(item.get('points'))} of {_points(item.get('max_points'))} points",
            )
        return None
    if item.get("normalized") == 0:
        return words(
            f"{label}：{shown}，未得分（满分 {_points(item.get('max_points'))} 分）",
            f"{label}: {shown}, no points (of {_points(item.get('max_points'))})",
        )
    return None


def _action_detail(kind: str, params: dict[str, Any], words: Words, issuance: Issuance) -> str:
    """An action's parameters in words (never ``key=value``): amount, who, reason, deadline."""
    parts = []
    for key, value in localized(params, words.lang).items():
        if key == "amount_yuan":
            parts.append(words(f"{float(value):,.0f} 元", f"CNY {float(value):,.0f}"))
        elif key == "who":
            parts.append(words(f"约谈对象：{value}", f"who: {value}"))
        elif key == "reason":
            parts.append(words(f"事由：{value}", f"reason: {value}"))
        elif key == "days":
            continue  # shown as the deadline
        elif key == "task":
            parts.append(str(value))
        else:
            parts.append(str(value))
    return words("；".join(parts), "; ".join(parts))


def _actions(
    entry: dict[str, Any],
    items: list[dict[str, Any]],
    public: Publisher,
    words: Words,
    issuance: Issuance,
) -> tuple[list[Requirement], list[str]]:
    """(the rectification required with deadlines, the other consequences the scheme states)."""
    requirements: list[Requirement] = []
    consequences: list[str] = []
    outcomes = entry.get("outcomes") or []
    tasks = [
        public(str(localized(action, words.lang)["task"]))
        for action in outcomes
        if action.get("action") == "rectify" and action.get("task")
    ]
    # The ledger's items (outcomes.from_run): one rectification for the unit, one per finding,
    # all due on the same day the ledger computed from the decision date.
    for item in items:
        deadline = dt.date.fromisoformat(item["deadline"]) if item.get("deadline") else None
        if item.get("kind") == "rectification":
            general = words(
                f"对本反馈意见指出的问题逐项整改，并将整改情况书面报送{issuance.authority}",
                "Rectify each problem this letter names and report the rectification in writing "
                f"to {issuance.authority}",
            )
            requirements.append(Requirement(general, deadline))
            requirements += [Requirement(task, deadline) for task in tasks]
        elif item.get("kind") == "finding":
            basis = str(item.get("basis") or "")
            kind, _, name = basis.partition(":")
            label = public.label(name) if kind in ("flag", "veto") else None
            finding = label or public(str(item.get("title") or ""))
            requirements.append(
                Requirement(words(f"整改：{finding}", f"Rectify: {finding}"), deadline)
            )
    for action in outcomes:
        kind = action.get("action")
        params = {k: v for k, v in action.items() if k not in ("action", "label")}
        names = ACTIONS.get(kind)
        name = (names.en if words.lang == "en" else names.zh) if names else str(kind)
        detail = public(_action_detail(kind, params, words, issuance))
        if kind == "rectify":
            continue  # the ledger's rectification item above
        if kind in REQUIREMENT_ACTIONS:
            # Evidence requests are no ledger item: due ``days`` after the decision, as the
            # ledger counts a rectification.
            due = (
                issuance.date + dt.timedelta(days=int(params["days"]))
                if params.get("days") is not None
                else None
            )
            requirements.append(
                Requirement(f"{name}{words('：', ': ')}{detail}" if detail else name, due)
            )
            continue
        consequences.append(
            f"{name}{words('（', ' (')}{detail}{words('）', ')')}" if detail else name
        )
    return requirements, consequences


def _circular(
    ordered: list[tuple[str, dict[str, Any]]],
    words: Words,
    grade_labels: dict[str, str],
    public: Publisher,
    issuance: Issuance,
) -> ResultsCircular:
    groups = {grade: GradeGroup(label, []) for grade, label in grade_labels.items()}
    ungraded: list[tuple[str, str]] = []
    table: list[tuple[str, str, str]] = []
    consequences: dict[tuple[str, str], Consequence] = {}
    for code, entry in ordered:
        name = entry.get("name") or code
        grade = entry.get("grade")
        if (entry.get("status") or "graded") == "graded" and grade in groups:
            groups[grade].units.append(name)
            table.append((code, name, groups[grade].grade))
        else:
            reasons = entry.get(f"status_reasons_{words.lang}") or entry.get("status_reasons")
            why = words("；", "; ").join(public(r) for r in reasons or [])
            ungraded.append((name, why))
            table.append((code, name, words("不予评定", "withheld")))
        for action in entry.get("outcomes") or []:
            kind = action.get("action")
            params = {k: v for k, v in action.items() if k not in ("action", "label")}
            names = ACTIONS.get(kind)
            label = (names.en if words.lang == "en" else names.zh) if names else str(kind)
            detail = public(_action_detail(kind, params, words, issuance))
            if params.get("days") is not None:
                due = issuance.date + dt.timedelta(days=int(params["days"]))
                day = day_text(due, words)
                detail = (detail + words("；", "; ") if detail else "") + words(
                    f"{day}前完成", f"due by {day}"
                )
            key = (label, detail)
            consequences.setdefault(key, Consequence(label, detail, []))
            consequences[key].units.append(name)
    return ResultsCircular(
        groups=list(groups.values()),
        ungraded=ungraded,
        consequences=list(consequences.values()),
        table=table,
    )


# Month names written out rather than strftime's %B, which follows the process's locale.
MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)


def day_text(day: dt.date, words: Words) -> str:
    return words(
        f"{day.year}年{day.month}月{day.day}日", f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    )
