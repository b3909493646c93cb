"""The web application: FastAPI with server-rendered Jinja2 pages (HTMX, ECharts, all assets
served by the app itself) and a REST API under ``/api``.

``create_app(db)`` builds the app around a ``Database``. ``create_app_from_env()`` builds it from
environment variables (``KAOHE_DATABASE_URL``, ``KAOHE_SECRET``, ``KAOHE_HTTPS_ONLY``): uvicorn
imports it by name in each worker process (``kaohe serve --workers N``).
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..errors import DataError, KaoheError
from ..i18n import text
from ..store import Database, require_current
from ..workflow import errors as workflow_errors
from ..workflow.computation import ComputeSettings
from ..workflow.result_views import ResultViews
from ..workflow.uploads import MAX_BYTES
from . import (
    account_pages,
    admin,
    api,
    audit_pages,
    cycle_pages,
    finding_pages,
    job_pages,
    language,
    login_pages,
    pivot_api,
    pivot_pages,
    rectification_pages,
    result_pages,
    self_evaluation_pages,
    submission_pages,
    trend_pages,
    verification_pages,
)
from .auth import NotLoggedIn
from .demo_loading import DemoLoading, DemoLoadingMiddleware
from .rendering import render
from .security import (
    BodyLimitMiddleware,
    BodyTooLarge,
    SecurityHeadersMiddleware,
    numbers_in_range,
)

log = logging.getLogger("kaohe.web")

STATUS = {
    workflow_errors.Forbidden: 403,
    workflow_errors.NotFound: 404,
    workflow_errors.ConflictError: 409,
    workflow_errors.Locked: 409,
    workflow_errors.WrongState: 409,
    workflow_errors.Invalid: 400,
    DataError: 400,
}

# The framework's errors, by status, in the user's language (its details are English).
HTTP_MESSAGES = {
    400: (
        "请求内容无法解析；请刷新页面后重新提交",
        "the request could not be read; reload the page and send it again",
    ),
    404: ("页面不存在", "not found"),
    405: ("该地址不支持这种请求方式", "this address does not accept this kind of request"),
    413: ("上传内容过大", "the upload is too large"),
    415: ("不支持该请求内容的格式", "the request's content type is not accepted"),
}


def http_message(status: int) -> str:
    zh, en = HTTP_MESSAGES.get(
        status, (f"请求无法处理（{status}）", f"the request cannot be handled ({status})")
    )
    return text(zh, en)


# One router per workflow area; the pages first, then the administrator's, then the API.
ROUTERS = (
    login_pages,
    account_pages,
    cycle_pages,
    job_pages,  # also starts and stops this process's job worker (its router's lifespan)
    submission_pages,
    verification_pages,
    result_pages,
    pivot_pages,
    trend_pages,
    finding_pages,
    self_evaluation_pages,
    rectification_pages,
    audit_pages,
    admin,
    api,
    pivot_api,
)


def _status(error: KaoheError) -> int:
    for kind, status in STATUS.items():
        if isinstance(error, kind):
            return status
    return 400


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    db: Database,
    secret: str | None = None,
    https_only: bool = False,
    demo_loading: DemoLoading | None = None,
) -> FastAPI:
    """The app around ``db``; with ``demo_loading`` (``kaohe serve --demo`` on a new database)
    every page answers with the load's progress until the demo is loaded."""
    app = FastAPI(
        title="Kaohe 考核 API",
        version=__version__,
        docs_url=None,  # Swagger UI would load assets from a CDN; the schema is served instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(numbers_in_range)],
    )
    app.state.db = db
    app.state.result_views = ResultViews()
    app.state.compute = ComputeSettings.from_env()
    static = Path(str(resources.files("kaohe.web").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static), name="static")

    for area in ROUTERS:
        app.include_router(area.router)
    api.describe_security(app)

    @app.exception_handler(KaoheError)
    async def user_error(request: Request, error: KaoheError):
        status = _status(error)
        if _wants_json(request):
            return JSONResponse({"detail": str(error)}, status_code=status)
        return render(
            request, "error.html", {"message": str(error), "status": status}, status_code=status
        )

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, _error: StaleDataError):
        message = text(
            "数据已被他人同时修改；请刷新后重试",
            "somebody else changed this at the same moment; reload and try again",
        )
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=409)
        return render(request, "error.html", {"message": message, "status": 409}, status_code=409)

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _error: NotLoggedIn):
        if _wants_json(request):
            return JSONResponse(
                {"detail": text("需要登录或令牌", "authentication required")},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in error.errors())
        message = text(f"请求缺少或填错了字段：{fields}", f"missing or invalid fields: {fields}")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=422)
        return render(request, "error.html", {"message": message, "status": 422}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        # The framework's own errors (no route, a method the route lacks, a body its parser
        # refuses) carry English details: the user reads them in the platform's language.
        status = error.status_code
        message = str(error.detail) if isinstance(error, BodyTooLarge) else http_message(status)
        headers = dict(error.headers or {})  # 405's Allow, 401's WWW-Authenticate
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        page = render(request, "error.html", {"message": message, "status": status}, status)
        page.headers.update(headers)
        return page

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception):
        # A bug: log it with an id the user can quote; never show the trace.
        incident = uuid.uuid4().hex[:8]
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        message = text(
            f"系统内部错误（编号 {incident}），已记录；请稍后重试或联系管理员",
            f"internal error (incident {incident}), logged; try again later or "
            "contact the administrator",
        )
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return Response(message, status_code=500, media_type="text/plain; charset=utf-8")

    # Order: the last added runs first. Sessions must be decoded before the language is chosen,
    # and the language chosen before a body over the limit is refused in it, or the demo's
    # loading page shown in it.
    if demo_loading is not None:
        app.add_middleware(DemoLoadingMiddleware, loading=demo_loading)
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BYTES + 64 * 1024)
    app.add_middleware(language.LanguageMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or os.environ.get("KAOHE_SECRET") or secrets.token_urlsafe(32),
        session_cookie="kaohe_session",
        max_age=8 * 3600,
        same_site="strict",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """The app of one worker process, configured by the environment ``kaohe serve`` sets:
    the database URL, the shared session secret (every worker must sign cookies alike) and
    whether cookies are HTTPS-only."""
    if not os.environ.get("KAOHE_SECRET"):
        raise KaoheError(
            text(
                "多进程运行时必须设置 KAOHE_SECRET（各进程共用），否则会话无法在进程间通用",
                "KAOHE_SECRET must be set when several processes serve the app (they must share "
                "it, or a session made by one is refused by another)",
            )
        )
    db = Database.connect()
    require_current(db.engine)
    return create_app(db, https_only=os.environ.get("KAOHE_HTTPS_ONLY", "") in ("1", "true"))
