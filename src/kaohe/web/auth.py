"""Who is asking: a logged-in session (pages) or a bearer token (other systems, ``/api``).
Unsafe requests with a session must carry the session's CSRF token. Without either, the
dependencies raise ``NotLoggedIn``: the app answers 401 to the API and sends pages to the login.

The signed cookie holds only the session's random token (``SESSION_KEY``), the CSRF token and the
language; the session itself lives in the database (``kaohe.workflow.sessions``)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..i18n import text
from ..workflow import authentication, sessions
from ..workflow.authentication import LoginRules
from ..workflow.errors import Forbidden
from ..workflow.roles import Actor
from ..workflow.sessions import SessionRules
from .app_state import db
from .security import csrf_ok

SAFE = {"GET", "HEAD", "OPTIONS"}
SESSION_KEY = "session"  # the cookie's entry holding the session token
NEXT_KEY = "next"  # the cookie's entry holding the page asked for before logging in
HOME = "/dashboard"


class NotLoggedIn(Exception):
    pass


def session_rules(request: Request) -> SessionRules:
    """The app's session timeouts: read from the environment once, or set by a test."""
    state = request.app.state
    if getattr(state, "session_rules", None) is None:
        state.session_rules = SessionRules.from_env()
    return state.session_rules


def login_rules(request: Request) -> LoginRules:
    """The app's login delays: read from the environment once, or set by a test."""
    state = request.app.state
    if getattr(state, "login_rules", None) is None:
        state.login_rules = LoginRules.from_env()
    return state.login_rules


def session_token(request: Request) -> str | None:
    token = request.session.get(SESSION_KEY)
    return token if isinstance(token, str) and token else None


async def _session_actor(request: Request) -> Actor | None:
    token = session_token(request)
    if token is None:
        return None
    # the database blocks: off the event loop
    return await run_in_threadpool(
        sessions.session_actor, db(request), token, session_rules(request)
    )


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


def local_path(value: str | None) -> str | None:
    """``value`` if it is a page of this site (``/cycles/3/findings?x=1``), else None: a place to
    send the user after logging in must never be another site (``//evil.example``,
    ``https://evil.example``, ``/\\evil.example``, which browsers read as ``//``)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def asked_for(request: Request) -> str:
    """The page this request asked for, as a local path with its query."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def login_location(request: Request) -> str:
    """Where a page sends a visitor who is not logged in: the login, with the page asked for as
    ``next`` (a GET of a whole page only: a form's POST or an HTMX fragment cannot be replayed)."""
    if request.method != "GET" or request.headers.get("hx-request"):
        return "/login"
    return "/login?next=" + quote(asked_for(request), safe="/")


async def page_actor(request: Request) -> Actor:
    """Dependency for pages: the session's user, with CSRF checked on unsafe methods."""
    actor = await _session_actor(request)
    if actor is None:
        request.session.pop(SESSION_KEY, None)
        if request.method == "GET" and not request.headers.get("hx-request"):
            # kept in the (signed) cookie too, for a redirect to the login that does not carry
            # it: the login form offers it again
            request.session[NEXT_KEY] = asked_for(request)
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
