"""The REST API (``/api``, schema at ``/api/openapi.json``): other systems read cycles and results
and push data files with a bearer token; the same role and scope checks as the pages apply."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, Field

from ..workflow import cycles as cycle_ops
from ..workflow import findings as finding_ops
from ..workflow import platform_results as result_ops
from ..workflow import submissions as submission_ops
from ..workflow.roles import Actor, require
from .app_state import db, result_views, write_off_loop
from .auth import api_actor
from .file_transfer import read_upload

router = APIRouter(prefix="/api", tags=["kaohe"])


class CycleOut(BaseModel):
    id: int
    scheme: str
    period: str
    title: str
    state: str
    deadlines: dict[str, str]
    version: int


Status = Literal["graded", "withheld", "failed"]
_STATUS = (
    "graded 已评定; withheld 不予评定（待定）: the evidence does not support a grade (no score, "
    "grade, rank or outcomes); failed 计算失败. null only for runs made before statuses."
)
_COMPLETENESS = "数据完整度: the share (0–1) of the unit's nominal points backed by data"
_REASONS = "why the grade is withheld or failed (empty for graded units)"
_PRELIMINARY = (
    "the run is preliminary (初步结果，不作为正式考核结果), computed while evidence was missing "
    "on the user's explicit choice; never the official result"
)


class ResultOut(BaseModel):
    unit: str
    name: str
    status: Status | None = Field(description=_STATUS)
    completeness: float | None = Field(description=_COMPLETENESS)
    status_reasons: list[str] = Field(description=_REASONS)
    score: float | None
    grade: str | None
    rank: int | None = Field(description="none for units that are not graded")
    vetoed: bool
    dimensions: dict[str, float | None] = Field(description="points earned per top dimension")
    effective_points: dict[str, float | None] = Field(
        description="the unit's maximum per top dimension (实际满分): the nominal points, "
        "re-weighted where the scheme's missing-data rules did so"
    )
    last_score: float | None
    last_rank: int | None
    preliminary: bool = Field(description=_PRELIMINARY)


class ScoreCardOut(BaseModel):
    unit: str
    status: Status | None = Field(description=_STATUS)
    completeness: float | None = Field(description=_COMPLETENESS)
    status_reasons: list[str] = Field(description=_REASONS)
    score: float | None
    grade: str | None
    rank: int | None
    preliminary: dict[str, Any] | None = Field(
        description=_PRELIMINARY + "; why (zh, en, reason, missing checks per unit), or null"
    )
    explain: dict[str, Any]


class FindingOut(BaseModel):
    id: int
    unit: str
    kind: str
    cases: int
    status: str


class UploadOut(BaseModel):
    submission: int
    version: int
    accepted: bool
    errors: list[dict[str, Any]]


@router.get("/cycles", response_model=list[CycleOut])
def list_cycles(request: Request, actor: Actor = Depends(api_actor)):
    require(actor, "dashboard")
    with db(request).read() as session:
        return [
            CycleOut(
                id=c.id,
                scheme=c.scheme,
                period=c.period,
                title=c.title,
                state=c.state,
                deadlines=c.deadlines,
                version=c.version,
            )
            for c in cycle_ops.list_cycles(session)
        ]


@router.get("/cycles/{cycle_id}/results", response_model=list[ResultOut])
def results(
    request: Request,
    cycle_id: int,
    grade: str = "",
    region: str = "",
    status: Literal["", "graded", "withheld", "failed"] = "",
    actor: Actor = Depends(api_actor),
):
    """The ranking: ranked units first, then those whose grade is withheld or failed (no rank)."""
    with db(request).read() as session:
        run, rows = result_ops.ranking(
            session,
            actor,
            cycle_id,
            grade,
            region,
            views=result_views(request),
            status=status,
        )
    preliminary = bool(run and run.preliminary)
    return [
        ResultOut(
            unit=r.unit,
            name=r.name,
            status=r.status,
            completeness=r.completeness,
            status_reasons=list(r.status_reasons),
            score=r.score,
            grade=r.grade,
            rank=r.rank,
            vetoed=r.vetoed,
            dimensions=r.dimensions,
            effective_points=r.effective_points,
            last_score=r.last_score,
            last_rank=r.last_rank,
            preliminary=preliminary,
        )
        for r in rows
    ]


@router.get("/cycles/{cycle_id}/results/{unit_code}", response_model=ScoreCardOut)
def scorecard(request: Request, cycle_id: int, unit_code: str, actor: Actor = Depends(api_actor)):
    with db(request).read() as session:
        card = result_ops.scorecard(
            session, actor, cycle_id, unit_code, views=result_views(request)
        )
        return ScoreCardOut(
            unit=unit_code,
            status=card.result.status,
            completeness=card.result.completeness,
            status_reasons=list(card.result.status_reasons),
            score=card.result.score,
            grade=card.result.grade,
            rank=card.result.rank,
            preliminary=card.run.preliminary,
            # a preliminary run decides nothing: its outcomes are not handed on as if they applied
            explain={**card.result.explain, "outcomes": []}
            if card.run.preliminary
            else card.result.explain,
        )


@router.get("/cycles/{cycle_id}/findings", response_model=list[FindingOut])
def findings(request: Request, cycle_id: int, actor: Actor = Depends(api_actor)):
    with db(request).read() as session:
        cycle_ops.get_cycle(session, cycle_id)
        return [
            FindingOut(id=f.id, unit=f.unit_code, kind=f.kind, cases=f.cases, status=f.status)
            for f in finding_ops.visible_findings(session, actor, cycle_id)
        ]


@router.post("/cycles/{cycle_id}/submissions/{source_id}", response_model=UploadOut)
async def push(
    request: Request,
    cycle_id: int,
    source_id: str,
    file: UploadFile = File(...),
    actor: Actor = Depends(api_actor),
):
    """Push a data file (.xlsx or UTF-8 .csv with the template's headers or column names).
    The reply lists every error by row and column; a clean file becomes the accepted version."""
    require(actor, "data.push")
    filename, content = await read_upload(file)

    def store(session) -> UploadOut:
        made = submission_ops.upload(session, actor, cycle_id, source_id, filename, content)
        return UploadOut(
            submission=made.submission.id,
            version=made.version.number,
            accepted=made.accepted,
            errors=made.errors,
        )

    return await write_off_loop(request, actor, "submission.push", store)
