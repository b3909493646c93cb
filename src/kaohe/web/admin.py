"""Management pages of the national administrator (国家管理员): a cycle's deadlines, users (with the
accounts that recently failed to log in) and API tokens. Each calls the same function as the
command line (``kaohe.workflow.accounts``, ``kaohe.workflow.cycles.set_deadlines``) in one audited
transaction; a password or token is shown once and never stored in clear."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..workflow import accounts
from ..workflow import cycles as cycle_ops
from ..workflow import form_values as choices
from ..workflow.authentication import recent_failures
from ..workflow.roles import ROLES, Actor, require
from ..workflow.states import STATES
from .app_state import db, write_off_loop
from .auth import login_rules, page_actor
from .rendering import render

router = APIRouter(include_in_schema=False)

# --- deadlines ----------------------------------------------------------------------------


@router.post("/cycles/{cycle_id}/deadlines")
async def set_deadlines(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    """Form fields ``due_<state>`` (YYYY-MM-DD), ``clear_<state>`` (removes that deadline) and
    ``version``. Only what is sent changes: a field left out or empty keeps its deadline (a
    browser sends empty date inputs), so nothing is removed unless asked for."""
    require(actor, "cycle.deadlines")
    form = await request.form()
    deadlines = {s.id: due for s in STATES if (due := str(form.get(f"due_{s.id}") or "").strip())}
    cleared = {str(key)[len("clear_") :] for key in form if str(key).startswith("clear_")}
    version = form.get("version")
    seen = int(version) if version and str(version).isdigit() else None

    def store(session) -> None:
        cycle_ops.set_deadlines(session, actor, cycle_id, deadlines, seen, cleared)

    await write_off_loop(request, actor, "cycle.deadlines", store)
    return RedirectResponse(f"/cycles/{cycle_id}", status_code=303)


# --- users --------------------------------------------------------------------------------


def _users_page(request: Request, actor: Actor, shown: dict | None = None, status: int = 200):
    with db(request).read() as session:
        users = accounts.list_users(session)
        teams = accounts.team_names(session)
        units = accounts.region_choices(session)
        failures = recent_failures(session, login_rules(request))
    return render(
        request,
        "admin_users.html",
        {
            "users": users,
            "teams": teams,
            "units": units,
            "roles": ROLES,
            "shown": shown,
            "failures": failures,
            "window": login_rules(request).window_minutes,
        },
        status_code=status,
    )


@router.get("/admin/users")
def users_page(request: Request, actor: Actor = Depends(page_actor)):
    require(actor, "user.manage")
    return _users_page(request, actor)


@router.post("/admin/users")
def create_user(
    request: Request,
    username: str = Form(...),
    role: str = Form(...),
    password: str = Form(...),
    unit: str = Form(""),
    team: str = Form(""),
    display_name: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    require(actor, "user.manage")
    role = choices.ROLE.of(role)
    with db(request).write(actor.username, "user.create") as session:
        accounts.create_account(
            session, actor, username, role, password, unit.strip(), team.strip(), display_name
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    user_id: int,
    active: str = Form(...),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    enable = choices.ACCOUNT_ACTIVE.yes(active)
    action = "user.enable" if enable else "user.disable"
    with db(request).write(actor.username, action) as session:
        accounts.set_active(session, actor, user_id, enable, version)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password")
def reset_password(
    request: Request, user_id: int, version: int = Form(...), actor: Actor = Depends(page_actor)
):
    with db(request).write(actor.username, "user.password") as session:
        password = accounts.reset_password(session, actor, user_id, seen_version=version)
        username = accounts.get_account(session, user_id).username
    return _users_page(request, actor, {"username": username, "password": password})


@router.post("/admin/users/{user_id}/role")
def change_role(
    request: Request,
    user_id: int,
    role: str = Form(...),
    version: int = Form(...),
    unit: str = Form(""),
    team: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    role = choices.ROLE.of(role)
    with db(request).write(actor.username, "user.role") as session:
        accounts.change_role(session, actor, user_id, role, unit, team, version)
    return RedirectResponse("/admin/users", status_code=303)


# --- API tokens ---------------------------------------------------------------------------


def _tokens_page(request: Request, shown: dict | None = None):
    with db(request).read() as session:
        tokens = accounts.list_tokens(session)
        users = accounts.active_users(session)
    return render(request, "admin_tokens.html", {"tokens": tokens, "users": users, "shown": shown})


@router.get("/admin/tokens")
def tokens_page(request: Request, actor: Actor = Depends(page_actor)):
    require(actor, "token.manage")
    return _tokens_page(request)


@router.post("/admin/tokens")
def issue_token(
    request: Request,
    user_id: int = Form(...),
    name: str = Form(...),
    actor: Actor = Depends(page_actor),
):
    with db(request).write(actor.username, "token.issue") as session:
        issued = accounts.issue_api_token(session, actor, user_id, name)
    return _tokens_page(request, {"id": issued.id, "token": issued.token})


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, actor: Actor = Depends(page_actor)):
    with db(request).write(actor.username, "token.revoke") as session:
        accounts.revoke_api_token(session, actor, token_id)
    return RedirectResponse("/admin/tokens", status_code=303)
