"""The pivot table through the REST API (``GET /api/pivot``): indicators × units × periods over the
published cycles, within the caller's scope, with each total and how it was computed — the same
table as the page and ``kaohe pivot`` (``run.pivot``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ..run.pivot import PivotFilter, pivot
from ..workflow.pivot import pivot_runs
from ..workflow.roles import Actor
from .api import ERRORS
from .app_state import db
from .auth import api_actor

router = APIRouter(prefix="/api", tags=["kaohe"], responses=ERRORS)


class PeriodOut(BaseModel):
    period: str
    scheme_id: str
    scheme_title: str
    where: str = Field(description="the platform's cycle and run the period's figures come from")


class IndicatorOut(BaseModel):
    id: str
    label: str
    label_en: str
    unit_of_measure: str | None = Field(description='"%": the values are ratios (0.015 is 1.50 %)')


class UnitPeriodOut(BaseModel):
    status: Literal["graded", "withheld", "failed"]
    grade: str | None
    score: float | None
    values: dict[str, float | None] = Field(description="each indicator's value, by id")


class RowOut(BaseModel):
    unit: str
    name: str
    level: str
    peer_group: str = Field(description="the unit's peer group, or its region")
    periods: dict[str, UnitPeriodOut] = Field(description="by period: only selected unit-years")


class TotalOut(BaseModel):
    value: float | None = Field(description="null: left empty (see reason)")
    method: Literal["recomputed", "median", "none"] = Field(
        description="recomputed: the indicator's formula on the sums of its measures over the "
        "units counted (a ratio is Σ numerators / Σ denominators, never a mean of ratios); "
        "median: the scores' median (scores are neither added nor averaged); none: left empty"
    )
    count: int = Field(description="units whose figures entered the total")
    units: int = Field(description="units shown in the period")
    measures: dict[str, float] = Field(description="the summed measures, by id")
    labels: dict[str, str] = Field(description="each summed measure's label")
    left_out: list[str] = Field(description="units lacking a measure, left out of the sums")
    reason: str = Field(description="why the total is empty, or what was left out")


class PeriodTotalsOut(BaseModel):
    units: int
    graded: int
    grades: list[tuple[str, int]] = Field(description="units per grade, best first")
    score: TotalOut
    indicators: dict[str, TotalOut]


class PivotOut(BaseModel):
    periods: list[PeriodOut]
    indicators: list[IndicatorOut]
    rows: list[RowOut]
    totals: dict[str, PeriodTotalsOut] = Field(description="by period")


@router.get("/pivot", response_model=PivotOut)
def pivot_table(
    request: Request,
    indicator: list[str] = Query([], description="indicator ids (default: all); repeatable"),
    unit: list[str] = Query([], description="unit codes; repeatable"),
    period: list[str] = Query([], description="periods; repeatable"),
    level: list[str] = Query([], description="unit levels (province, county …); repeatable"),
    peer_group: list[str] = Query([], description="peer groups or regions; repeatable"),
    grade: list[str] = Query([], description="grades; repeatable"),
    status: list[Literal["graded", "withheld", "failed"]] = Query([]),
    scheme: list[str] = Query(
        [], description="scheme ids; needed when two published cycles share a period"
    ),
    actor: Actor = Depends(api_actor),
):
    """Indicators × units × periods of the published cycles the caller may see. Filters select
    unit-years; totals are over the units shown (a province's token sees its own units only)."""
    chosen = PivotFilter.of(
        indicator=indicator,
        unit=unit,
        period=period,
        level=level,
        peer_group=peer_group,
        grade=grade,
        status=status,
        scheme=scheme,
    )
    with db(request).read() as session:
        runs = pivot_runs(session, actor)
    table = pivot(runs, chosen)
    return PivotOut(
        periods=[PeriodOut(**asdict(p)) for p in table.periods],
        indicators=[IndicatorOut(**asdict(f)) for f in table.figures],
        rows=[RowOut(**asdict(r)) for r in table.rows],
        totals={p: PeriodTotalsOut(**asdict(t)) for p, t in table.totals.items()},
    )
