"""Who is asking: a logged-in session (pages) or a bearer token (other systems, ``/api``).
Unsafe requests with a session must carry the session's CSRF token. Without either, the
dependencies raise ``NotLoggedIn``: the app answers 401 to the API and sends pages to the login."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..i18n import text
from ..workflow import authentication
from ..workflow.errors import Forbidden
from ..workflow.roles import Actor
from .app_state import db
from .security import csrf_ok

SAFE = {"GET", "HEAD", "OPTIONS"}


class NotLoggedIn(Exception):
    pass


def _load(request: Request, user_id: int) -> Actor | None:
    """The session's user, if still active and unchanged since the login: a disabled account or
    a reset password ends every open session (the row's version moved on)."""
    with db(request).read() as session:
        return authentication.session_actor(session, user_id, request.session.get("user_version"))


async def _session_actor(request: Request) -> Actor | None:
    user_id = request.session.get("user_id")
    return await run_in_threadpool(_load, request, user_id) if user_id else None


async def _check_csrf(request: Request) -> None:
    if request.method in SAFE:
        return
    presented = request.headers.get("x-csrf-token")
    if presented is None and request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        presented = (await request.form()).get("csrf_token")
    if not csrf_ok(request.session, presented):
        raise Forbidden(
            text(
                "表单已过期或来源不明（CSRF 校验失败）；请刷新页面后重试",
                "the form expired or came from elsewhere (CSRF check failed); reload the page",
            )
        )


async def page_actor(request: Request) -> Actor:
    """Dependency for pages: the session's user, with CSRF checked on unsafe methods."""
    actor = await _session_actor(request)
    if actor is None:
        request.session.pop("user_id", None)
        raise NotLoggedIn()
    await _check_csrf(request)
    request.state.actor = actor
    return actor


async def api_actor(request: Request) -> Actor:
    """Dependency for the API: ``Authorization: Bearer <token>``, or a session (with CSRF)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with db(request).read() as session:
            actor = authentication.token_actor(session, header[7:].strip())
        if actor is None:
            raise NotLoggedIn()
    else:
        actor = await _session_actor(request)
        if actor is None:
            raise NotLoggedIn()
        await _check_csrf(request)
    request.state.actor = actor
    return actor
