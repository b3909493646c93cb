"""Results in the platform: a run directory (``kaohe assess`` output) imported into the database,
the ranking with filters, a unit's score card with its explanation, last year and the province's
self-evaluation (省级自评) beside it. Importing a final run turns self-scores overstated beyond the
scheme's threshold into findings (``self_evaluation.flag_overstatements``).

A run whose manifest says it is ``preliminary`` (computed while evidence was missing, on the
user's explicit choice) is never the cycle's official result: ``require_final`` refuses to send a
cycle on to review, approval or publication while its latest run is preliminary."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import KaoheError
from ..i18n import text
from ..run.opened import NotARun, open_run, recorded_scheme
from ..scheme import LoadedScheme
from ..scheme.actions import ACTIONS
from ..store.models import Cycle, Result, Run, Unit
from .collection import previous_period
from .cycles import get_cycle, latest_run, require_final  # noqa: F401  (the cycle's rules)
from .errors import Forbidden, Invalid, NotFound, WrongState
from .result_views import (
    RankingRow,
    ResultViews,
    RunView,
    UnitResult,
)
from .roles import Actor, require
from .self_evaluation import Comparison, compare, entries, flag_overstatements, threshold_of
from .states import ORDER

# manifest.json → preliminary.reason of a run computed while assigned field checks were missing
PRELIMINARY_REASON = "field_checks_incomplete"


def _number(raw: str | None) -> float | None:
    if raw in (None, ""):
        return None
    return float(raw)


def import_run(
    session: Session,
    actor: Actor,
    cycle_id: int,
    run_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Read results.csv, explain.json and manifest.json of ``run_dir`` into a new run, with the
    facts pages need of the scheme it kept (``facts_of``). ``progress`` is told the result rows
    written and their number, from (0, rows) to (rows, rows)."""
    require(actor, "results.compute")
    cycle = get_cycle(session, cycle_id)
    try:
        opened = open_run(run_dir)
        rows, header = opened.results, opened.columns
    except NotARun as error:
        raise Invalid(
            text(
                f"{run_dir} 不是完整的考核结果目录：缺少 {error.missing}",
                f"{run_dir} is not a complete run: {error.missing} is missing",
            )
        ) from None
    except KaoheError as error:  # its scheme.yaml changed since, or an older run's scheme is gone
        raise Invalid(str(error)) from None
    explain, manifest = opened.explanation, opened.manifest
    scheme_id = explain["scheme"]["id"]
    if scheme_id != cycle.scheme:
        raise Invalid(
            text(
                f"结果属于考核办法 {scheme_id}，而本考核周期使用 {cycle.scheme}",
                f"the run is of scheme {scheme_id} but the cycle uses {cycle.scheme}",
            )
        )
    first = next(iter(explain["units"].values()), {})
    nodes = first.get("nodes", {})
    if "total" in nodes:  # the root node: its children are the dimensions
        top = list(nodes["total"].get("children", []))
    else:
        children = {c for node in nodes.values() for c in node.get("children", [])}
        top = [c for c in header if c in nodes and c not in children]
    # The tree holds each node's nominal points (the scheme's): a unit's effective maximum may
    # differ (re-weighted for missing data) and is read from its own explanation.
    tree = [
        {
            "id": node_id,
            "label": node.get("label") or node_id,
            "max_points": node.get("nominal_points", node.get("max_points")),
            "nominal_points": node.get("nominal_points", node.get("max_points")),
            "children": node.get("children", []),
            "top": node_id in top,
        }
        for node_id, node in sorted(
            nodes.items(), key=lambda kv: (top.index(kv[0]) if kv[0] in top else len(top), kv[0])
        )
    ]
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_([r["unit"] for r in rows]))))
    missing = [r["unit"] for r in rows if r["unit"] not in known]
    if missing:
        raise Invalid(
            text(
                f"结果中的单位未导入平台：{', '.join(missing[:5])}",
                f"units of the run are not in the platform: {', '.join(missing[:5])}",
            )
        )
    if manifest.get("preliminary") and cycle.state != "computation":
        raise WrongState(
            text(
                "初步结果只能在“数据汇总与计算”阶段导入，且不能作为正式考核结果",
                "a preliminary run can be imported only during aggregation and computation, "
                "and never as the official result",
            )
        )
    threshold = threshold_of(opened.scheme.parameters)
    manifest = {
        **manifest,
        **facts_of(opened.scheme),
        "self_evaluation_threshold": threshold,
        # each peer group's mean, sd and size where grades are by mean ± k·sd (the bands' cuts)
        "grade_groups": explain.get("steps", {}).get("grade", {}).get("groups", {}),
    }
    run = Run(
        cycle_id=cycle.id,
        scheme=scheme_id,
        manifest=manifest,
        tree=tree,
        grades=explain.get("grades", []),
    )
    session.add(run)
    session.flush()
    # Written a batch at a time, so that the count follows the writing (inserting the rows and
    # their audit entries is most of the work); batches took no longer than one flush of every
    # row (measured on 2,200 and 4,400 rows), and with a unit's explanation at about 11 kB a
    # batch holds a few megabytes.
    batch = 500
    if progress is not None:
        progress(0, len(rows))
    for number, row in enumerate(rows, start=1):
        rank = _number(row.get("rank"))
        explained = dict(explain["units"].get(row["unit"], {}))
        for column in ("status", "completeness", "status_reasons"):  # results.csv's, if not there
            if column not in explained and row.get(column) not in (None, ""):
                value = row[column]
                if column == "completeness":
                    value = float(value)
                elif column == "status_reasons":
                    value = [part.strip() for part in value.split(";") if part.strip()]
                explained[column] = value
        session.add(
            Result(
                run_id=run.id,
                cycle_id=cycle.id,
                unit_code=row["unit"],
                score=_number(row.get("score")),
                grade=row.get("grade") or None,
                rank=None if rank is None else int(rank),
                vetoed=row.get("vetoed") == "true",
                dimensions={d: _number(row.get(d)) for d in top},
                explain=explained,
            )
        )
        if number % batch == 0 or number == len(rows):
            session.flush()
            if progress is not None:
                progress(number, len(rows))
    if not manifest.get("preliminary"):  # a preliminary run decides nothing
        flag_overstatements(session, actor, cycle, explain["units"], threshold)
    return run


FACTS = (
    "indicator_expressions",
    "indicator_measures",
    "measure_sources",
    "labels_en",
    "grading",
    "veto_reasons_en",
)


def facts_of(scheme: LoadedScheme) -> dict[str, dict]:
    """What pages need of the scheme a run used, recorded with the run when it is imported:
    indicator formulas and the measures each reads (the drill-down to measures), each measure's
    source, unit column and labels (the drill-down to records), the English labels of indicators
    and nodes, the grading (the grade bands drawn on the ranking's charts, the grades' English
    names) and the vetoes' English reasons (the run explains a veto by its Chinese reason)."""
    model = scheme.model
    return {
        "indicator_expressions": {
            name: indicator.expr for name, indicator in model.indicators.items()
        },
        "indicator_measures": {
            name: sorted(expression.names & set(model.measures))
            for name, expression in scheme.indicators.items()
        },
        "measure_sources": {
            name: {
                "source": measure.source,
                "expr": measure.expr,
                "unit_column": model.sources[measure.source].unit_column,
                "label": measure.label or name,
                "label_en": measure.label_en,
                "unit_of_measure": measure.unit_of_measure,
            }
            for name, measure in model.measures.items()
            if measure.source in model.sources
        },
        "labels_en": {
            **{name: i.label_en for name, i in model.indicators.items() if i.label_en},
            **_node_labels_en(model.tree.children),
        },
        "grading": {
            "method": model.grading.method,
            "bands": [list(band) for band in model.grading.bands],
            "labels_en": dict(model.grading.labels_en),
        },
        "veto_reasons_en": {veto.id: veto.reason_en for veto in model.vetoes if veto.reason_en},
    }


def _node_labels_en(children: Sequence) -> dict[str, str]:
    labels = {}
    for child in children:
        if isinstance(child, str):
            continue
        if child.label_en:
            labels[child.id] = child.label_en
        labels.update(_node_labels_en(child.children))
    return labels


def scheme_facts(manifest: dict) -> dict[str, dict]:
    """A stored run's scheme facts (``facts_of``), as recorded when it was imported.

    A run imported before the platform recorded all of them has them from the scheme file its
    manifest names, only while that file is what the run read (same sha256); else those not
    recorded are empty (pages show values without formulas, measure ids for their labels, the
    grades and vetoes in Chinese only, and no grade bands). A scheme is never looked up by its id:
    another version of it may be bundled now."""
    if all(key in manifest for key in FACTS):
        return {key: manifest[key] for key in FACTS}
    found = _recorded_facts(manifest) or {key: {} for key in FACTS}
    return {key: manifest[key] if key in manifest else found[key] for key in FACTS}


# (scheme file, sha256, parameters) -> its facts. Every run imported before a fact was added to
# FACTS reads its scheme file on each page that asks for facts (~0.1 s a load): the facts of a
# file with a given sha256 never change, so they are loaded once per process. A file found gone
# or changed is not remembered: it may be put back.
_FILE_FACTS: dict[tuple[str, str, str], dict[str, dict]] = {}


def _recorded_facts(manifest: dict) -> dict[str, dict] | None:
    recorded = manifest.get("scheme") or {}
    key = (
        str(recorded.get("file")),
        str(recorded.get("sha256")),
        json.dumps(recorded.get("parameters"), sort_keys=True, default=str),
    )
    if key in _FILE_FACTS:
        return _FILE_FACTS[key]
    scheme = recorded_scheme(manifest)
    if scheme is None:
        return None
    if len(_FILE_FACTS) >= 64:  # a few schemes per deployment: bounded all the same
        _FILE_FACTS.clear()
    _FILE_FACTS[key] = facts_of(scheme)
    return _FILE_FACTS[key]


def policy_term(chinese: str, english: str | None) -> str:
    """A policy term (a grade, a veto, an action of 结果应用) in the user's language: on a
    Chinese page its Chinese name; on an English page its English name with the Chinese beside
    it ("poor (较差)"), as the policy documents and appeals cite the Chinese; the Chinese alone
    where the scheme gives no English name (or the same one)."""
    if not english or english == chinese:
        return chinese
    return text(chinese, f"{english} ({chinese})")


def grade_label(facts: dict[str, dict], grade: str | None) -> str:
    """A grade as stored (the scheme's Chinese name) in the user's language (``policy_term``),
    by the English names the run recorded; "" for no grade."""
    if not grade:
        return ""
    return policy_term(grade, ((facts.get("grading") or {}).get("labels_en") or {}).get(grade))


def veto_label(facts: dict[str, dict], veto: dict) -> str:
    """A veto of a unit's explanation (its id and Chinese reason) in the user's language."""
    reason = veto.get("reason") or veto.get("id") or ""
    return policy_term(reason, (facts.get("veto_reasons_en") or {}).get(veto.get("id")))


def outcome_label(outcome: dict) -> str:
    """An action of 结果应用 in a unit's explanation (``{"action": "interview", "label": "约谈",
    …}``) in the user's language: its kind's English name (``scheme.actions``) beside the
    Chinese the run recorded."""
    kind = outcome.get("action") or ""
    known = ACTIONS.get(kind)
    chinese = outcome.get("label") or (known.zh if known else kind)
    return policy_term(chinese, known.en if known else None)


def measure_label(facts: dict[str, dict], measure: str) -> str:
    """A measure's label in the user's language (its Chinese one where it has no English one);
    its id only when the run recorded no label."""
    source = facts["measure_sources"].get(measure) or {}
    label = source.get("label") or measure
    return text(label, source.get("label_en") or label)


def node_label(facts: dict[str, dict], node: str, label: str | None) -> str:
    """An indicator's or node's label (Chinese, as the run explains it) in the user's language."""
    label = label or node
    return text(label, facts["labels_en"].get(node) or label)


def indicator_table(
    session: Session, view: RunView, views: ResultViews
) -> dict[str, dict[str, dict]]:
    """unit -> indicator -> its explanation (value, points, maximum, label, unit of measure,
    direction) for every unit of the run: each indicator's distribution across the units."""
    return views.derived(("indicators", view.key), lambda: views.indicators(session, view))


def require_results(actor: Actor, cycle: Cycle) -> None:
    require(actor, "results.view")
    if ORDER[cycle.state] < ORDER["publication"] and not actor.can("results.view.unpublished"):
        raise Forbidden(text("结果尚未审定发布", "the results are not approved and published yet"))


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    period = previous_period(cycle.period)
    if period is None:
        return None
    return session.scalar(select(Cycle).where(Cycle.scheme == cycle.scheme, Cycle.period == period))


def ranking(
    session: Session,
    actor: Actor,
    cycle_id: int,
    grade: str = "",
    region: str = "",
    query: str = "",
    views: ResultViews | None = None,
    status: str = "",
) -> tuple[RunView | None, list[RankingRow]]:
    """The ranking of the cycle's latest run with last period's score and rank beside it.

    Built once per (run, last period's run) and kept in ``views``; each request only checks
    the actor and filters."""
    cycle = get_cycle(session, cycle_id)
    require_results(actor, cycle)
    views = views or ResultViews()
    view = views.latest(session, cycle.id)
    if view is None:
        return None, []
    last = views.previous(session, cycle, previous_period(cycle.period))

    def combine() -> tuple[RankingRow, ...]:
        if last is None:
            return view.rows
        return tuple(
            replace(
                row,
                last_score=last.by_unit[row.unit].score if row.unit in last.by_unit else None,
                last_rank=last.by_unit[row.unit].rank if row.unit in last.by_unit else None,
            )
            for row in view.rows
        )

    rows = views.derived(("ranking", view.key, last.key if last else None), combine)
    return view, filter_rows(rows, grade, region, query, status)


def filter_rows(
    rows: Sequence[RankingRow],
    grade: str = "",
    region: str = "",
    query: str = "",
    status: str = "",
) -> list[RankingRow]:
    return [
        row
        for row in rows
        if (not grade or row.grade == grade)
        and (not status or (row.status or "graded") == status)
        and (not region or region in (row.region, row.peer_group))
        and (not query or query in row.unit or query in row.name)
    ]


@dataclass
class ScoreCard:
    cycle: Cycle
    run: RunView
    unit: Unit
    result: UnitResult
    last: UnitResult | None
    # the province's self-scores beside the assessed points (empty: none entered, or not to be
    # seen by this actor)
    self_evaluation: list[Comparison]
    # last period's run: its own scheme names last year's grade (it may be another scheme's)
    last_run: RunView | None = None


def scorecard(
    session: Session,
    actor: Actor,
    cycle_id: int,
    unit_code: str,
    views: ResultViews | None = None,
) -> ScoreCard:
    cycle = get_cycle(session, cycle_id)
    require_results(actor, cycle)
    views = views or ResultViews()
    view = views.latest(session, cycle.id)
    unit = session.get(Unit, unit_code)
    result = views.unit_result(session, view, unit_code) if view and unit else None
    if result is None:
        raise NotFound(text(f"没有 {unit_code} 的考核结果", f"no result for {unit_code}"))
    last = None
    last_view = views.previous(session, cycle, previous_period(cycle.period))
    if last_view is not None:
        last = views.unit_result(session, last_view, unit_code)
    compared = []
    if actor.can("self_evaluation.view") and actor.sees_unit(unit):
        compared = compare(
            result.explain.get("indicators", {}),
            entries(session, cycle.id, unit_code),
            view.manifest.get("self_evaluation_threshold"),
        )
    return ScoreCard(cycle, view, unit, result, last, compared, last_view if last else None)
