"""HTTP hardening: security headers on every response, a bound on request bodies, numbers the
database can hold, CSRF tokens. (The limit on failed logins is ``kaohe.workflow.authentication``.)"""

from __future__ import annotations

import hmac
import math
import secrets
import typing

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from ..i18n import text
from ..workflow.errors import NotFound

HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in dict(HEADERS)]
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuse bodies above ``limit`` bytes (413) before they are parsed or spooled: a declared
    length above it at once, a body streamed without one (chunked) at the first chunk past it.

    Both raise ``BodyTooLarge`` from ``receive``, inside the app, where the app's handler of
    HTTP errors answers in the user's language (a page, or JSON under ``/api``); a raw error from
    ``receive`` would reach FastAPI's form parsing, which turns any other exception into a 400.
    It is the innermost middleware, so that the session and the language are known by then."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        over = declared is not None and declared.isdigit() and int(declared) > self.limit
        seen = 0

        async def counted():
            nonlocal seen
            if over:
                raise BodyTooLarge(self.limit)  # nothing of it is read
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        megabytes = limit // (1024 * 1024)
        super().__init__(
            413,
            text(
                f"上传内容超过 {megabytes} MB 上限",
                f"the upload is larger than the {megabytes} MB limit",
            ),
        )


# --- whole numbers the database can hold --------------------------------------------------------

# The narrower INTEGER of the two databases: PostgreSQL's (SQLAlchemy's Integer) is 32-bit, SQLite's
# 64-bit. A whole number outside it names no row and fits no column; a query given one fails in the
# driver (SQLite: OverflowError, PostgreSQL: "integer out of range") — a 500 instead of an answer.
SMALLEST, LARGEST = -(2**31), 2**31 - 1


def _kinds(annotation) -> set[type]:
    return {annotation, *typing.get_args(annotation)} & {int, float}


def _numeric_fields(route: APIRoute) -> list[tuple[str, str, set[type]]]:
    """(where, name, {int, float}) of the route's whole-number and decimal parameters, through its
    dependencies: the path, the query and the form."""
    found, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        for where in ("path", "query", "body"):
            for field in getattr(dependant, f"{where}_params"):
                kinds = _kinds(field.field_info.annotation)
                if kinds:
                    found.append((where, field.alias, kinds))
        pending.extend(dependant.dependencies)
    return found


def _out_of_range(raw: str, kinds: set[type]) -> bool:
    """A value pydantic would accept that the database cannot hold: a whole number beyond its
    INTEGER, or a decimal that is not finite (inf, 1e309, nan: not JSON, no amount)."""
    if int in kinds:
        try:
            return not SMALLEST <= int(raw.strip()) <= LARGEST
        except ValueError:
            pass  # not a whole number: pydantic's to judge
    if float in kinds:
        try:
            return not math.isfinite(float(raw))
        except ValueError:
            pass
    return False


async def numbers_in_range(request: Request) -> None:
    """App-wide dependency, run before the route's own: an id in the path beyond the database is
    not found (404); such a number in the query or the form is refused naming the field (422).
    One check for every route, from the types the routes declare, instead of a bound written on
    each of their parameters."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    fields = _numeric_fields(route)
    if not fields:
        return
    form = await request.form() if any(w == "body" for w, _, _ in fields) else None
    bad = []
    for where, name, kinds in fields:
        if where == "path":
            raw = request.path_params.get(name)
            if raw is not None and _out_of_range(raw, kinds):
                raise NotFound(text(f"没有编号为 {raw} 的对象", f"nothing has the number {raw}"))
            continue
        values = request.query_params.getlist(name) if where == "query" else form.getlist(name)
        if any(isinstance(v, str) and _out_of_range(v, kinds) for v in values):
            bad.append(
                {
                    "type": "number_out_of_range",
                    "loc": (where, name),
                    "msg": "out of range",
                    "input": values[0],
                }
            )
    if bad:
        raise RequestValidationError(bad)


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, presented: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and presented) and hmac.compare_digest(expected, presented)
