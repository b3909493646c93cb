"""Results in the platform: a run directory (``kaohe assess`` output) imported into the database,
the ranking with filters, a unit's score card with its explanation, and last year beside it."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from ..i18n import text
from ..store.models import Cycle, Result, Run, Unit
from .collection import previous_period
from .cycles import get_cycle
from .errors import Forbidden, Invalid, NotFound
from .roles import Actor, require
from .states import ORDER


def _number(raw: str | None) -> float | None:
    if raw in (None, ""):
        return None
    return float(raw)


def import_run(session: Session, actor: Actor, cycle_id: int, run_dir: Path) -> Run:
    """Read results.csv, explain.json and manifest.json of ``run_dir`` into a new run."""
    require(actor, "results.compute")
    cycle = get_cycle(session, cycle_id)
    run_dir = Path(run_dir)
    try:
        explain = json.loads((run_dir / "explain.json").read_text(encoding="utf-8"))
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        with open(run_dir / "results.csv", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = list(reader)
    except FileNotFoundError as error:
        raise Invalid(
            text(
                f"{run_dir} 不是完整的考核结果目录：缺少 {Path(error.filename).name}",
                f"{run_dir} is not a complete run: {Path(error.filename).name} is missing",
            )
        ) from None
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
    tree = [
        {
            "id": node_id,
            "label": node.get("label") or node_id,
            "max_points": node.get("max_points"),
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
    manifest = {**manifest, "indicator_expressions": _expressions(manifest)}
    run = Run(
        cycle_id=cycle.id,
        scheme=scheme_id,
        manifest=manifest,
        tree=tree,
        grades=explain.get("grades", []),
    )
    session.add(run)
    session.flush()
    for row in rows:
        rank = _number(row.get("rank"))
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
                explain=explain["units"].get(row["unit"], {}),
            )
        )
    session.flush()
    return run


def _expressions(manifest: dict) -> dict[str, str]:
    """Indicator formulas of the scheme the run used (for the drill-down to measures); empty
    when the scheme file is no longer where the run read it."""
    from ..errors import KaoheError
    from ..scheme import load_scheme

    scheme = manifest.get("scheme", {})
    file = scheme.get("file")
    if not file or not Path(file).exists():
        return {}
    try:
        model = load_scheme(file, scheme.get("parameters") or None).model
    except KaoheError:
        return {}
    return {name: indicator.expr for name, indicator in model.indicators.items()}


def latest_run(session: Session, cycle_id: int) -> Run | None:
    return session.scalar(select(Run).where(Run.cycle_id == cycle_id).order_by(Run.id.desc()))


def require_results(actor: Actor, cycle: Cycle) -> None:
    require(actor, "results.view")
    if ORDER[cycle.state] < ORDER["publication"] and not actor.can("results.view.unpublished"):
        raise Forbidden(text("结果尚未审定发布", "the results are not approved and published yet"))


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    period = previous_period(cycle.period)
    if period is None:
        return None
    return session.scalar(select(Cycle).where(Cycle.scheme == cycle.scheme, Cycle.period == period))


@dataclass
class RankingRow:
    unit: str
    name: str
    region: str
    peer_group: str
    score: float | None
    grade: str | None
    rank: int | None
    vetoed: bool
    dimensions: dict[str, Any]
    last_score: float | None
    last_rank: int | None


def ranking(
    session: Session,
    actor: Actor,
    cycle_id: int,
    grade: str = "",
    region: str = "",
    query: str = "",
) -> tuple[Run | None, list[RankingRow]]:
    cycle = get_cycle(session, cycle_id)
    require_results(actor, cycle)
    run = latest_run(session, cycle.id)
    if run is None:
        return None, []
    last: dict[str, tuple[float | None, int | None]] = {}
    before = previous_cycle(session, cycle)
    last_run = latest_run(session, before.id) if before else None
    if last_run is not None:
        last = {
            u: (s, r)
            for u, s, r in session.execute(
                select(Result.unit_code, Result.score, Result.rank).where(
                    Result.run_id == last_run.id
                )
            )
        }
    rows = []
    for result, unit in session.execute(
        select(Result, Unit)
        .join(Unit, Unit.code == Result.unit_code)
        .where(Result.run_id == run.id)
        .order_by(Result.rank, Result.unit_code)
    ):
        attrs = unit.attributes or {}
        row = RankingRow(
            unit=unit.code,
            name=unit.name,
            region=attrs.get("region") or "",
            peer_group=attrs.get("peer_group") or "",
            score=result.score,
            grade=result.grade,
            rank=result.rank,
            vetoed=result.vetoed,
            dimensions=result.dimensions,
            last_score=last.get(unit.code, (None, None))[0],
            last_rank=last.get(unit.code, (None, None))[1],
        )
        rows.append(row)
    return run, filter_rows(rows, grade, region, query)


def filter_rows(
    rows: list[RankingRow], grade: str = "", region: str = "", query: str = ""
) -> list[RankingRow]:
    return [
        row
        for row in rows
        if (not grade or row.grade == grade)
        and (not region or region in (row.region, row.peer_group))
        and (not query or query in row.unit or query in row.name)
    ]


@dataclass
class ScoreCard:
    cycle: Cycle
    run: Run
    unit: Unit
    result: Result
    last: Result | None


def scorecard(session: Session, actor: Actor, cycle_id: int, unit_code: str) -> ScoreCard:
    cycle = get_cycle(session, cycle_id)
    require_results(actor, cycle)
    run = latest_run(session, cycle.id)
    unit = session.get(Unit, unit_code)
    if run is None or unit is None:
        raise NotFound(text(f"没有 {unit_code} 的考核结果", f"no result for {unit_code}"))
    result = session.scalar(
        select(Result)
        .options(undefer(Result.explain))
        .where(Result.run_id == run.id, Result.unit_code == unit_code)
    )
    if result is None:
        raise NotFound(text(f"没有 {unit_code} 的考核结果", f"no result for {unit_code}"))
    last = None
    before = previous_cycle(session, cycle)
    last_run = latest_run(session, before.id) if before else None
    if last_run is not None:
        last = session.scalar(
            select(Result).where(Result.run_id == last_run.id, Result.unit_code == unit_code)
        )
    return ScoreCard(cycle, run, unit, result, last)
