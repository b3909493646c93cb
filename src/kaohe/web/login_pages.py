"""Screens before and around the work: the home redirect, the login form, logging out, and the
choice of language."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..i18n import text
from ..workflow.authentication import log_in
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor
from .rendering import render
from .security import csrf_ok

router = APIRouter(include_in_schema=False)


def _refused(request: Request, message: str, status: int):
    return render(request, "login.html", {"error": message}, status_code=status)


@router.get("/")
def home(request: Request):
    target = "/dashboard" if request.session.get("user_id") else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", {"error": None})


@router.post("/login")
async def login(
    request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form("")
):
    if not csrf_ok(request.session, csrf_token):
        return _refused(
            request, text("登录页面已过期，请重试", "the login page expired; try again"), 403
        )
    ip = request.client.host if request.client else "?"
    username = username.strip()[:64]
    # argon2 and the database block: run off the event loop
    done = await run_in_threadpool(log_in, db(request), username, password, ip)
    if done.outcome == "limited":
        return _refused(
            request,
            text("登录失败次数过多，请 15 分钟后再试", "too many failed logins; wait 15 minutes"),
            429,
        )
    if done.outcome == "wrong":
        return _refused(request, text("用户名或密码错误", "wrong user name or password"), 401)
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session: no fixation
    request.session.update(
        {
            "user_id": done.user_id,
            "user_version": done.user_version,
            **({"lang": lang} if lang else {}),
        }
    )
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/logout")
def logout(request: Request, actor: Actor = Depends(page_actor)):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/dashboard"):
    if code in ("zh", "en"):
        request.session["lang"] = code
    safe = next if next.startswith("/") and not next.startswith("//") else "/dashboard"
    return RedirectResponse(safe, status_code=303)
