"""Screens before and around the work: the home redirect, the login form, logging out, and the
choice of language."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..i18n import text
from ..workflow.authentication import log_in
from ..workflow.roles import Actor
from ..workflow.sessions import end_session
from .app_state import db
from .auth import HOME, NEXT_KEY, SESSION_KEY, local_path, login_rules, page_actor, session_token
from .rendering import render
from .security import csrf_ok

router = APIRouter(include_in_schema=False)


def _refused(
    request: Request, message: str, status: int, next_page: str, headers: dict | None = None
):
    response = render(
        request, "login.html", {"error": message, "next": next_page}, status_code=status
    )
    response.headers.update(headers or {})
    return response


@router.get("/")
def home(request: Request):
    target = HOME if session_token(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = ""):
    """The login form; it carries the page asked for (``?next=``, or the one a page kept in the
    session when it sent the visitor here) to the login, if that page is on this site."""
    next_page = local_path(next) or local_path(request.session.get(NEXT_KEY)) or ""
    return render(request, "login.html", {"error": None, "next": next_page})


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form(""),
):
    next_page = local_path(next) or ""
    if not csrf_ok(request.session, csrf_token):
        return _refused(
            request,
            text("登录页面已过期，请重试", "the login page expired; try again"),
            403,
            next_page,
        )
    ip = request.client.host if request.client else "?"
    username = username.strip()[:64]
    rules = login_rules(request)
    # argon2 and the database block: run off the event loop
    done = await run_in_threadpool(log_in, db(request), username, password, ip, rules)
    if done.outcome == "wait":
        message = text(
            f"登录失败次数过多，请 {done.wait} 秒后再试（为防止猜测密码；等待结束后即可正常登录）",
            f"too many failed logins; try again in {done.wait} seconds (this slows down "
            "password guessing; once the wait is over you can log in as usual)",
        )
        return _refused(request, message, 429, next_page, {"Retry-After": str(done.wait)})
    if done.outcome == "wrong":
        message = text("用户名或密码错误", "wrong user name or password")
        if done.wait:
            message += text(
                f"；请 {done.wait} 秒后再试", f"; wait {done.wait} seconds before the next try"
            )
        return _refused(request, message, 401, next_page)
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session: no fixation
    request.session.update({SESSION_KEY: done.token, **({"lang": lang} if lang else {})})
    return RedirectResponse(next_page or HOME, status_code=303)


def _end(request: Request, actor: Actor, token: str) -> None:
    with db(request).write(actor.username, "logout") as session:
        end_session(session, token)


@router.post("/logout")
async def logout(request: Request, actor: Actor = Depends(page_actor)):
    token = session_token(request)
    if token:
        await run_in_threadpool(_end, request, actor, token)  # the database blocks
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = HOME):
    if code in ("zh", "en"):
        request.session["lang"] = code
    return RedirectResponse(local_path(next) or HOME, status_code=303)
