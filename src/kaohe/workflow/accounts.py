"""Account administration by the national administrator: users (create, disable or enable, reset
the password, change the role) and API tokens (issue, revoke); and a user's change of their own
password. The command line (``kaohe db …``) and the pages call these same functions; every
change is audited by the session it runs in (password and token hashes are never copied into the
log).

Disabling a user, resetting the password or changing the role ends the user's sessions at once;
disabling and a reset also revoke the user's API tokens, and enabling the user again does not
bring them back (issue new ones). A user who changes their own password ends their other
sessions and keeps the current one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..store.accounts import check_password, create_user, hash_password, issue_token
from ..store.locking import expect_version
from ..store.models import ApiToken, Team, Unit, User, utcnow
from .errors import Invalid, NotFound, WrongState
from .passwords import check_new_password
from .roles import ROLES, Actor, require
from .sessions import end_user_sessions

UNIT_ROLES = ("province", "county")


def generated_password() -> str:
    """A password for a reset or the demo, shown once: 16 URL-safe characters (96 bits), drawn
    again in the (astronomically rare) case it breaks the password rule."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_new_password(password)
        except Invalid:
            continue
        return password


def _revoke_tokens(session: Session, user_id: int) -> None:
    now = utcnow()
    for row in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ):
        row.revoked_at = now


def create_account(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    unit: str = "",
    team: str = "",
    display_name: str = "",
) -> User:
    """A new user; a province or county officer needs a unit, a verifier a team (created if
    new)."""
    require(actor, "user.manage")
    username = username.strip()
    if not username or len(username) > 64:
        raise Invalid(text("用户名为 1 至 64 个字符", "a user name has 1 to 64 characters"))
    _check_role(session, role, unit)
    _check_team(role, team)
    check_new_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Invalid(text(f"用户名 {username} 已存在", f"the user name {username} is taken"))
    return create_user(
        session,
        username,
        password,
        role,
        display_name=display_name.strip() or None,
        unit_code=unit or None,
        team_id=_team_id(session, team),
    )


def _check_role(session: Session, role: str, unit: str) -> None:
    if role not in ROLES:
        raise Invalid(
            text(
                f"未知角色 {role}；可选：{', '.join(ROLES)}",
                f"unknown role {role}; use one of {', '.join(ROLES)}",
            )
        )
    if role in UNIT_ROLES and not unit:
        raise Invalid(
            text("省级、县级填报员需要所属单位", "a province or county officer needs a unit")
        )
    if unit and session.get(Unit, unit) is None:
        raise Invalid(
            text(
                f"没有单位 {unit}（先导入 units.csv）",
                f"no unit {unit} (import units.csv first)",
            )
        )


def _check_team(role: str, team: str) -> None:
    if role == "verifier" and not team:
        raise Invalid(text("第三方评估人员需要评估组", "a verifier needs a team"))


def _team_id(session: Session, team: str) -> int | None:
    """The team's id, the team created if new; None for no team."""
    if not team:
        return None
    found = session.scalar(select(Team).where(Team.name == team))
    if found is None:
        found = Team(name=team)
        session.add(found)
        session.flush()
    return found.id


def find_account(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(text(f"没有用户 {username}", f"no user {username}"))
    return user


def get_account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(text(f"没有用户 {user_id}", f"no user {user_id}"))
    return user


def set_active(
    session: Session, actor: Actor, user_id: int, active: bool, seen_version: int | None = None
) -> User:
    """Disable (sessions end, tokens are revoked for good) or enable a user."""
    require(actor, "user.manage")
    user = get_account(session, user_id)
    expect_version(user, seen_version, text(f"用户 {user.username}", f"user {user.username}"))
    if not active and user.id == actor.user_id:
        raise WrongState(text("不能停用自己的账号", "you cannot disable your own account"))
    if user.active != active:
        user.active = active
    if not active:
        end_user_sessions(session, user.id)
        _revoke_tokens(session, user.id)
    session.flush()
    return user


def reset_password(
    session: Session,
    actor: Actor,
    user_id: int,
    password: str | None = None,
    seen_version: int | None = None,
) -> str:
    """Set a new password (generated if none is given) and return it, to be shown once; the
    user's sessions end and their tokens are revoked (whoever knew the old password may have
    made them)."""
    require(actor, "user.manage")
    user = get_account(session, user_id)
    expect_version(user, seen_version, text(f"用户 {user.username}", f"user {user.username}"))
    password = password or generated_password()
    check_new_password(password)
    user.password_hash = hash_password(password)
    end_user_sessions(session, user.id)
    _revoke_tokens(session, user.id)
    session.flush()
    return password


def change_role(
    session: Session,
    actor: Actor,
    user_id: int,
    role: str,
    unit: str = "",
    team: str = "",
    seen_version: int | None = None,
) -> User:
    """Give a user another role (and the unit or team it needs); the user's sessions end, so
    pages opened under the old role cannot go on."""
    require(actor, "user.manage")
    user = get_account(session, user_id)
    expect_version(user, seen_version, text(f"用户 {user.username}", f"user {user.username}"))
    if user.id == actor.user_id:
        raise WrongState(text("不能修改自己的角色", "you cannot change your own role"))
    unit = unit.strip()
    if not unit and role in UNIT_ROLES:
        unit = user.unit_code or ""  # the unit they had, unless another is named
    _check_role(session, role, unit)
    _check_team(role, team.strip())
    user.role = role
    user.unit_code = unit if role in UNIT_ROLES else None
    user.team_id = _team_id(session, team.strip()) if role == "verifier" else None
    end_user_sessions(session, user.id)
    session.flush()
    return user


def change_own_password(
    session: Session, actor: Actor, old: str, new: str, keep_token: str | None
) -> User:
    """A user's change of their own password: the old one is required; their other sessions
    end, the current one (``keep_token``) goes on. API tokens stay: the administrator issued them
    to other systems."""
    user = get_account(session, actor.user_id)
    if not check_password(user, old):
        raise Invalid(text("原密码不正确", "the current password is wrong"))
    check_new_password(new)
    if new == old:
        raise Invalid(text("新密码不能与原密码相同", "the new password must differ from the old"))
    user.password_hash = hash_password(new)
    end_user_sessions(session, user.id, keep_token=keep_token)
    session.flush()
    return user


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # shown once, never stored


def issue_api_token(session: Session, actor: Actor, user_id: int, name: str) -> IssuedToken:
    require(actor, "token.manage")
    user = get_account(session, user_id)
    if not user.active:
        raise WrongState(text(f"用户 {user.username} 已停用", f"user {user.username} is disabled"))
    if not name.strip():
        raise Invalid(text("请写明令牌的用途", "say what the token is for"))
    token = issue_token(session, user, name.strip()[:200])
    row = session.scalar(
        select(ApiToken).order_by(ApiToken.id.desc()).where(ApiToken.user_id == user.id)
    )
    return IssuedToken(row.id, token)


def revoke_api_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    require(actor, "token.manage")
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(text(f"没有令牌 {token_id}", f"no token {token_id}"))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


# --- what the management pages list ----------------------------------------------------------


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def team_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Team.id, Team.name)).all())


def region_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the regions a province or county officer may belong to, in tree order."""
    rows = session.execute(
        select(Unit.code, Unit.name).where(Unit.kind == "region").order_by(Unit.path)
    )
    return [tuple(row) for row in rows]


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
