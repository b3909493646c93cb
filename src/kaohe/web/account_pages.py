"""The user's own account: changing one's password (the old one required). The other sessions of
the user end; the one in use goes on."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..i18n import text
from ..workflow import accounts
from ..workflow.errors import Invalid
from ..workflow.passwords import MIN_LENGTH
from ..workflow.roles import Actor
from .app_state import db
from .auth import page_actor, session_token
from .rendering import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, error: str | None = None, done: bool = False, status: int = 200):
    context = {"error": error, "done": done, "min_length": MIN_LENGTH}
    return render(request, "account_password.html", context, status_code=status)


@router.get("/account/password")
def password_page(request: Request, done: bool = False, actor: Actor = Depends(page_actor)):
    return _page(request, done=done)


@router.post("/account/password")
async def change_password(
    request: Request,
    old_password: str = Form(""),
    new_password: str = Form(""),
    new_password_again: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    if new_password != new_password_again:
        message = text("两次输入的新密码不一致", "the two new passwords differ")
        return _page(request, error=message, status=400)
    keep = session_token(request)

    def change() -> None:
        with db(request).write(actor.username, "user.password.own") as session:
            accounts.change_own_password(session, actor, old_password, new_password, keep)

    try:
        await run_in_threadpool(change)  # argon2 and the database block
    except Invalid as error:
        return _page(request, error=str(error), status=400)
    return RedirectResponse("/account/password?done=1", status_code=303)
