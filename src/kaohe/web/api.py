"""The REST API (``/api``, schema at ``/api/openapi.json``): other systems read cycles and results
and push data files with a bearer token; the same role and scope checks as the pages apply.

The schema says how to authenticate (a bearer token, or the browser's session cookie with its
CSRF token on writes: ``describe_security``) and what every error looks like: ``{"detail": "…"}``
in the user's language, whatever the status."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Request, UploadFile
from pydantic import BaseModel, Field

from ..workflow import cycles as cycle_ops
from ..workflow import findings as finding_ops
from ..workflow import platform_results as result_ops
from ..workflow import submissions as submission_ops
from ..workflow.roles import Actor, require
from .app_state import db, result_views, write_off_loop
from .auth import api_actor
from .file_transfer import read_upload


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong and what to do, in the user's language")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# What any /api route may answer besides its result (the app's handlers, kaohe.web.app).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("the request cannot be accepted (the message says what to fix)"),
    401: _error("no valid bearer token and no session"),
    403: _error("the role or scope does not allow this, or the CSRF token is missing"),
    404: _error("no such cycle, unit or result"),
    422: _error("a parameter is missing or invalid (the message names it)"),
}
# What a push may answer besides: the cycle is not open, or the data were approved (409); the
# file is over the limit (413).
PUSH_ERRORS: dict[int | str, dict[str, Any]] = {
    409: _error("the cycle is not open for submissions, or the data were approved"),
    413: _error("the file is larger than the upload limit"),
}

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token an administrator issued (管理 → 令牌)",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "kaohe_session",
        "description": "a logged-in browser's session",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "the session's CSRF token: required with the session on writes",
    },
}
READ_SECURITY = [{"bearer": []}, {"session": []}]
WRITE_SECURITY = [{"bearer": []}, {"session": [], "csrf": []}]


def describe_security(app: FastAPI) -> None:
    """Add the security schemes, and each operation's requirement, to the app's OpenAPI document:
    a session needs its CSRF token on writes, which FastAPI's security dependencies (any one of
    them suffices) cannot say."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for operations in document["paths"].values():
            for method, operation in operations.items():
                operation["security"] = READ_SECURITY if method == "get" else WRITE_SECURITY
        return document

    app.openapi = openapi


router = APIRouter(prefix="/api", tags=["kaohe"], responses=ERRORS)


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
    origin: str = Field(
        description="where the finding came from (问题来源): audit 审计, inspection 巡视, "
        "supervision 督查, media 媒体暗访, third_party 第三方评估, assessment 考核核查"
    )
    origin_label: str = Field(description="the origin's name in the user's language")


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
            FindingOut(
                id=f.id,
                unit=f.unit_code,
                kind=f.kind,
                cases=f.cases,
                status=f.status,
                origin=f.origin,
                origin_label=finding_ops.origin_label(f.origin),
            )
            for f in finding_ops.visible_findings(session, actor, cycle_id)
        ]


@router.post(
    "/cycles/{cycle_id}/submissions/{source_id}", response_model=UploadOut, responses=PUSH_ERRORS
)
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
