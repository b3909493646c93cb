"""Pivot tables (数据透视): indicators × units × periods, filtered, with totals rebuilt from parts.

The runs are read as ``history.PeriodRun`` (a run directory's, or a published cycle's from the
platform: ``workflow.pivot``), each with the ``Formulas`` of the scheme it kept, so a pivot from
``--runs`` and one from ``--store`` are the same table. Filters select unit-years: a unit graded
差 in 2020 and 中 in 2021 shows only its 2020 cells under ``grade=差``; a unit with no matching
unit-year is not shown.

Totals (合计), one per period and figure, over the units shown in that period:

- An indicator's total is its own formula evaluated on the **sums of the measures it reads**
  (DuckDB, as every expression is run; never Python ``eval``): wrong_exit / exited over a group
  is Σ wrong_exit / Σ exited, never the mean of the units' ratios. This holds only when every
  measure it reads adds up (a count or a sum: ``Expression.rollup == "sum"``) and it reads
  nothing else but the scheme's parameters. Otherwise the total is left empty with the reason:
  a measure that is a mean, median, distinct count, min or max, an estimate from a sample, or a
  unit attribute, cannot be rebuilt from the units' figures, and an average of ratios would be a
  number that no data support. Units lacking one of the parts are left out of the sums and
  named (``left_out``); units of several levels are never summed (a province and its counties
  would count twice).
- The score's total is the number of units with a score and their **median**. Points are not
  added up (a sum of provinces' scores means nothing) nor averaged (a mean moves with one
  outlier and reads as a score no unit earned); the median is a score some unit reached.
- Grades are counted per grade, in the scheme's order.

Every total keeps the sums it was computed from (``measures``), so it can be checked by hand.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from ..errors import UsageError
from ..expr import ExprError, Expression, ExprKind, parse, quote
from ..i18n import text
from ..scheme import LoadedScheme
from .history import PeriodRun, from_directory
from .opened import OpenedRun
from .results_table import clean

STATUSES = ("graded", "withheld", "failed")
SCORE = "score"  # the figure id of the score in totals


# a unit's level as the pages and the workbook name it
LEVELS = {
    "nation": ("全国", "national"),
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "township": ("乡级", "township"),
    "village": ("村级", "village"),
    "bank": ("银行", "bank"),
}


def level_label(level: str) -> str:
    zh, en = LEVELS.get(level, (level, level))
    return text(zh, en)


@dataclass(frozen=True)
class Formulas:
    """What a run's scheme says about rebuilding a total: each indicator's parsed formula (None
    when it could not be read back), the measures that add up, and the parameters' values."""

    indicators: Mapping[str, Expression | None]
    measures: frozenset[str]
    additive: frozenset[str]
    parameters: Mapping[str, Any]
    order: tuple[str, ...] = ()  # the indicators in the scheme's order
    units_of_measure: Mapping[str, str | None] = field(default_factory=dict)
    measure_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # (zh, en)

    def measure_label(self, name: str) -> str:
        zh, en = self.measure_labels.get(name, (name, name))
        return text(zh, en)


def formulas_of(scheme: LoadedScheme) -> Formulas:
    """A run directory's formulas, from the scheme it kept."""
    model = scheme.model
    return Formulas(
        indicators=dict(scheme.indicators),
        measures=frozenset(model.measures),
        additive=frozenset(m for m, e in scheme.measures.items() if e.rollup == "sum"),
        parameters=dict(scheme.parameters),
        order=tuple(model.indicators),
        units_of_measure={i: ind.unit_of_measure for i, ind in model.indicators.items()},
        measure_labels={
            m: (measure.label or m, measure.label_en or measure.label or m)
            for m, measure in model.measures.items()
        },
    )


def _rollup_of(measure_expr: str) -> str:
    """How a recorded measure expression rolls up (its text only: it is never executed here)."""
    try:
        tree = sqlglot.parse_one(measure_expr, dialect="duckdb")
    except ParseError:
        return "recompute"
    return Expression(text=measure_expr, tree=tree, names=frozenset()).rollup


def formulas_from_texts(
    indicator_expressions: Mapping[str, str],
    measure_expressions: Mapping[str, str],
    parameters: Mapping[str, Any],
    attributes: Iterable[str] = (),
    order: Sequence[str] = (),
    units_of_measure: Mapping[str, str | None] | None = None,
    measure_labels: Mapping[str, tuple[str, str]] | None = None,
) -> Formulas:
    """Formulas from the texts a platform run recorded (``platform_results.facts_of``)."""
    scope = set(measure_expressions) | set(parameters) | set(attributes)
    indicators: dict[str, Expression | None] = {}
    for name, source in indicator_expressions.items():
        try:
            indicators[name] = parse(source, scope, ExprKind.ROW)
        except ExprError:
            indicators[name] = None
    return Formulas(
        indicators=indicators,
        measures=frozenset(measure_expressions),
        additive=frozenset(m for m, e in measure_expressions.items() if _rollup_of(e) == "sum"),
        parameters=dict(parameters),
        order=tuple(order) or tuple(indicator_expressions),
        units_of_measure=dict(units_of_measure or {}),
        measure_labels=dict(measure_labels or {}),
    )


@dataclass(frozen=True)
class PivotRun:
    """One period's run with what a pivot needs beside it: formulas and each unit's level."""

    run: PeriodRun
    formulas: Formulas
    levels: Mapping[str, str]  # unit → level (province, county …)


def from_opened(run: OpenedRun) -> PivotRun:
    """A run directory: every unit it graded is at the level its scheme assesses."""
    period_run = from_directory(run)
    level = run.scheme.model.assesses.level
    return PivotRun(period_run, formulas_of(run.scheme), dict.fromkeys(period_run.units, level))


@dataclass(frozen=True)
class PivotFilter:
    """Which unit-years to show; an empty tuple selects everything."""

    indicators: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    peer_groups: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()

    @classmethod
    def of(cls, **chosen: Iterable[str]) -> PivotFilter:
        """From options named as the command line and the API name them, in the singular
        (``indicator=[…]``, ``peer_group=[…]``); empty values select nothing."""
        plural = {name: name + ("es" if name.endswith("s") else "s") for name in chosen}
        return cls(**{plural[name]: tuple(v for v in vs if v) for name, vs in chosen.items()})


@dataclass(frozen=True)
class Figure:
    """An indicator shown for every period."""

    id: str
    label: str
    label_en: str
    unit_of_measure: str | None = None


@dataclass(frozen=True)
class PivotPeriod:
    period: str
    scheme_id: str
    scheme_title: str
    where: str


@dataclass
class UnitPeriod:
    status: str
    grade: str | None
    score: float | None
    values: dict[str, float | None]


@dataclass
class PivotRow:
    unit: str
    name: str
    level: str
    peer_group: str
    periods: dict[str, UnitPeriod]


@dataclass
class Total:
    """A figure's total over the units shown in a period (see the module for the rules)."""

    value: float | None
    method: str  # "recomputed" (formula on summed parts), "median" (scores), "none" (left empty)
    count: int  # units whose figure entered the total
    units: int  # units shown in the period
    measures: dict[str, float] = field(default_factory=dict)  # the sums it was computed from
    labels: dict[str, str] = field(default_factory=dict)  # each summed measure's label
    left_out: list[str] = field(default_factory=list)  # units lacking a part
    reason: str = ""  # why it is empty, or what was left out


@dataclass
class PeriodTotals:
    units: int
    graded: int
    grades: list[tuple[str, int]]
    score: Total
    indicators: dict[str, Total]


@dataclass
class Pivot:
    periods: list[PivotPeriod]
    figures: list[Figure]
    rows: list[PivotRow]
    totals: dict[str, PeriodTotals]


def peer_groups_of(entry: Mapping[str, Any]) -> list[str]:
    """A unit's peer group and region (either may be what a user filters by), known ones only."""
    attributes = entry.get("attributes") or {}
    found = [entry.get("peer_group"), attributes.get("peer_group"), attributes.get("region")]
    return list(dict.fromkeys(str(g) for g in found if g))


def _refuse(option: str, wrong: Sequence[str], known: Iterable[str]) -> None:
    if not wrong:
        return
    shown = list(dict.fromkeys(known))  # in the order given (a scheme's grades best first)
    some = "、".join(shown[:12]) + ("…" if len(shown) > 12 else "")
    raise UsageError(
        text(
            f"--{option}：{'、'.join(wrong)} 不在这些考核结果中（可选：{some or '无'}）",
            f"--{option}: {', '.join(wrong)} is not in these runs (known: "
            f"{', '.join(shown[:12]) + (' …' if len(shown) > 12 else '') or 'none'})",
        )
    )


def _choose_runs(runs: Sequence[PivotRun], chosen: PivotFilter) -> list[PivotRun]:
    _refuse(
        "scheme",
        [s for s in chosen.schemes if s not in {r.run.scheme.get("id") for r in runs}],
        sorted(str(r.run.scheme.get("id")) for r in runs),
    )
    _refuse(
        "period",
        [p for p in chosen.periods if p not in {r.run.period for r in runs}],
        sorted(r.run.period for r in runs),
    )
    kept = [
        r
        for r in runs
        if (not chosen.schemes or r.run.scheme.get("id") in chosen.schemes)
        and (not chosen.periods or r.run.period in chosen.periods)
    ]
    by_period: dict[str, list[str]] = {}
    for r in kept:
        by_period.setdefault(r.run.period, []).append(str(r.run.scheme.get("id", "")))
    clashes = {p: ids for p, ids in by_period.items() if len(ids) > 1}
    if clashes:
        period, ids = next(iter(sorted(clashes.items())))
        raise UsageError(
            text(
                f"{period} 年有 {len(ids)} 个考核结果（{'、'.join(ids)}）：同一指标可能含义不同，"
                "请用 --scheme 选择考核办法",
                f"{period} has {len(ids)} runs ({', '.join(ids)}): the same indicator may mean "
                "different things; choose the scheme with --scheme",
            )
        )
    return sorted(kept, key=lambda r: (r.run.period, str(r.run.scheme.get("id", ""))))


def _check_values(runs: Sequence[PivotRun], chosen: PivotFilter) -> None:
    entries = [(r, code, e) for r in runs for code, e in r.run.units.items()]
    _refuse(
        "unit",
        [u for u in chosen.units if u not in {c for _, c, _ in entries}],
        sorted(c for _, c, _ in entries),
    )
    levels = {r.levels.get(c, "") for r, c, _ in entries}
    _refuse("level", [v for v in chosen.levels if v not in levels], sorted(levels - {""}))
    groups = {g for _, _, e in entries for g in peer_groups_of(e)}
    _refuse("peer-group", [g for g in chosen.peer_groups if g not in groups], sorted(groups))
    grades = [g for r in runs for g in r.run.grades]
    _refuse("grade", [g for g in chosen.grades if g not in grades], grades)
    _refuse("status", [s for s in chosen.statuses if s not in STATUSES], STATUSES)
    known = {i for r in runs for e in r.run.units.values() for i in (e.get("indicators") or {})}
    _refuse("indicator", [i for i in chosen.indicators if i not in known], sorted(known))


def _selected(run: PivotRun, code: str, entry: Mapping[str, Any], chosen: PivotFilter) -> bool:
    status = entry.get("status") or "graded"
    return (
        (not chosen.units or code in chosen.units)
        and (not chosen.levels or run.levels.get(code, "") in chosen.levels)
        and (not chosen.peer_groups or set(peer_groups_of(entry)) & set(chosen.peer_groups))
        and (not chosen.statuses or status in chosen.statuses)
        and (not chosen.grades or (status == "graded" and entry.get("grade") in chosen.grades))
    )


def _figures(runs: Sequence[PivotRun], wanted: Sequence[str]) -> list[Figure]:
    """The chosen indicators, or every indicator of the runs (each scheme's order, first seen
    first); labels and units from the latest run that has the indicator."""
    order: list[str] = []
    for r in runs:
        having = {i for e in r.run.units.values() for i in (e.get("indicators") or {})}
        for name in [*r.formulas.order, *sorted(having)]:
            if name in having and name not in order:
                order.append(name)
    figures = []
    for name in wanted or order:
        latest = next(
            r
            for r in reversed(runs)
            if any(name in (e.get("indicators") or {}) for e in r.run.units.values())
        )
        unit = latest.formulas.units_of_measure.get(name)
        if unit is None:
            first = next(
                e for e in latest.run.units.values() if name in (e.get("indicators") or {})
            )
            unit = first["indicators"][name].get("unit_of_measure")
        figures.append(
            Figure(name, latest.run.label(name, "zh"), latest.run.label(name, "en"), unit)
        )
    return figures


def pivot(runs: Sequence[PivotRun], chosen: PivotFilter | None = None) -> Pivot:
    """The pivot of ``runs`` under ``chosen``: rows by unit, cells by period and indicator."""
    chosen = chosen or PivotFilter()
    if not runs:
        return Pivot([], [], [], {})
    kept = _choose_runs(runs, chosen)
    _check_values(kept, chosen)
    figures = _figures(kept, chosen.indicators)
    rows: dict[str, PivotRow] = {}
    periods, totals = [], {}
    with duckdb.connect() as con:
        for r in kept:
            run = r.run
            periods.append(
                PivotPeriod(
                    run.period,
                    str(run.scheme.get("id", "")),
                    str(run.scheme.get("title", "")),
                    run.where,
                )
            )
            shown = {
                code: entry
                for code, entry in sorted(run.units.items())
                if _selected(r, code, entry, chosen)
            }
            for code, entry in shown.items():
                row = rows.setdefault(
                    code,
                    PivotRow(
                        code,
                        entry.get("name") or code,
                        r.levels.get(code, ""),
                        (peer_groups_of(entry) or [""])[0],
                        {},
                    ),
                )
                indicators = entry.get("indicators") or {}
                row.periods[run.period] = UnitPeriod(
                    status=entry.get("status") or "graded",
                    grade=entry.get("grade"),
                    score=entry.get("score"),
                    values={f.id: (indicators.get(f.id) or {}).get("value") for f in figures},
                )
            totals[run.period] = _period_totals(con, r, shown, figures)
    ordered = sorted(rows.values(), key=lambda row: row.unit)
    return Pivot(periods, figures, ordered, totals)


def _period_totals(
    con: duckdb.DuckDBPyConnection,
    r: PivotRun,
    shown: Mapping[str, Mapping[str, Any]],
    figures: Sequence[Figure],
) -> PeriodTotals:
    counts = dict.fromkeys(r.run.grades, 0)
    graded = 0
    for entry in shown.values():
        if (entry.get("status") or "graded") == "graded":
            graded += 1
            if entry.get("grade") in counts:
                counts[entry["grade"]] += 1
    scores = [e["score"] for e in shown.values() if e.get("score") is not None]
    score = Total(
        value=clean(statistics.median(scores)) if scores else None,
        method="median",
        count=len(scores),
        units=len(shown),
        reason="" if scores else text("没有得分", "no scores"),
    )
    levels = {r.levels.get(code, "") for code in shown}
    return PeriodTotals(
        units=len(shown),
        graded=graded,
        grades=list(counts.items()),
        score=score,
        indicators={f.id: indicator_total(con, r, shown, f.id, levels) for f in figures},
    )


def _empty(shown: Mapping[str, Any], reason: str) -> Total:
    return Total(None, "none", 0, len(shown), reason=reason)


def indicator_total(
    con: duckdb.DuckDBPyConnection,
    r: PivotRun,
    shown: Mapping[str, Mapping[str, Any]],
    indicator: str,
    levels: set[str],
) -> Total:
    """``indicator``'s formula on the sums of its measures over ``shown`` (see the module)."""
    formulas = r.formulas
    if not shown:
        return _empty(shown, "")
    if not any(indicator in (e.get("indicators") or {}) for e in shown.values()):
        return _empty(
            shown, text("本期考核办法无此指标", "not an indicator of this period's scheme")
        )
    if len(levels) > 1:
        return _empty(
            shown,
            text(
                f"所列单位属于不同层级（{'、'.join(sorted(levels))}），相加会重复计算；请按层级筛选",
                f"the units shown are of several levels ({', '.join(sorted(levels))}): adding "
                "them would count twice; filter by level",
            ),
        )
    expression = formulas.indicators.get(indicator)
    if expression is None:
        return _empty(shown, text("考核结果未保存该指标的公式", "the run kept no formula for it"))
    other = sorted(expression.names - formulas.measures - set(formulas.parameters))
    if other:
        return _empty(
            shown,
            text(
                f"公式使用单位属性 {'、'.join(other)}，不能由各单位相加得出",
                f"its formula reads the unit attribute {', '.join(other)}, which does not add up",
            ),
        )
    parts = sorted(expression.names & formulas.measures)
    if not parts:
        return _empty(shown, text("公式不含基础数据", "its formula reads no measure"))
    fixed = sorted(m for m in parts if m not in formulas.additive)
    if fixed:
        named = [formulas.measure_label(m) for m in fixed]
        return _empty(
            shown,
            text(
                f"基础数据 {'、'.join(named)} 不可相加（均值、中位数、估计值、最大最小值等），"
                "合计不取各单位的平均，留空",
                f"the measure {', '.join(named)} does not add up (a mean, median, estimate, "
                "minimum or maximum): the total is left empty rather than averaged",
            ),
        )
    complete = {
        code: entry["measures"]
        for code, entry in shown.items()
        if all((entry.get("measures") or {}).get(m) is not None for m in parts)
    }
    left_out = sorted(set(shown) - set(complete))
    if not complete:
        return Total(
            None,
            "none",
            0,
            len(shown),
            left_out=left_out,
            reason=text("所列单位均缺少基础数据", "every unit shown lacks a measure"),
        )
    sums = {m: clean(math.fsum(float(v[m]) for v in complete.values())) for m in parts}
    value = _evaluate(con, expression, sums, formulas.parameters)
    reasons = []
    if left_out:
        reasons.append(
            text(
                f"{len(left_out)} 个单位缺少基础数据，未计入：{'、'.join(left_out)}",
                f"{len(left_out)} units lack a measure and are left out: {', '.join(left_out)}",
            )
        )
    if value is None:
        reasons.append(text("分母合计为零或结果不可计算", "the summed denominator is zero"))
    return Total(
        value,
        "recomputed" if value is not None else "none",
        len(complete),
        len(shown),
        sums,
        {m: formulas.measure_label(m) for m in parts},
        left_out,
        "；".join(reasons) if reasons else "",
    )


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    expression: Expression,
    sums: Mapping[str, float],
    parameters: Mapping[str, Any],
) -> float | None:
    """The formula on one row of summed measures and the parameters' values, in DuckDB."""
    names = sorted(expression.names)
    columns = [
        f"CAST(? AS DOUBLE) AS {quote(n)}" if n in sums else f"? AS {quote(n)}" for n in names
    ]
    values = [sums[n] if n in sums else parameters.get(n) for n in names]
    (result,) = con.execute(
        f"SELECT {expression.sql()} FROM (SELECT {', '.join(columns)})", values
    ).fetchone()
    if result is None:
        return None
    result = float(result)
    return clean(result) if math.isfinite(result) else None


@dataclass(frozen=True)
class Choices:
    """What a pivot of ``runs`` can be filtered by (the web page's selects)."""

    schemes: list[tuple[str, str]]  # (id, title), latest period first
    periods: list[str]
    levels: list[str]
    peer_groups: list[str]
    grades: list[str]
    indicators: list[Figure]


def choices(runs: Sequence[PivotRun]) -> Choices:
    ordered = sorted(runs, key=lambda r: r.run.period)
    schemes: dict[str, str] = {}
    for r in reversed(ordered):
        schemes.setdefault(str(r.run.scheme.get("id", "")), str(r.run.scheme.get("title", "")))
    grades: list[str] = []
    for r in ordered:
        grades += [g for g in r.run.grades if g not in grades]
    entries = [(r, code, e) for r in ordered for code, e in r.run.units.items()]
    return Choices(
        schemes=list(schemes.items()),
        periods=sorted({r.run.period for r in ordered}),
        levels=sorted({r.levels.get(code, "") for r, code, _ in entries} - {""}),
        peer_groups=sorted({g for _, _, e in entries for g in peer_groups_of(e)}),
        grades=grades,
        indicators=_figures(ordered, ()) if entries else [],
    )
