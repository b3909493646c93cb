"""Who is asking: a user name and password at login (refused after too many failures), the user
behind a session, or the user behind an API token.

A session is valid only for the user row's version it was opened with: disabling the user or
resetting the password moves the version on and ends every open session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store import Database
from ..store.accounts import check_password, user_for_token
from ..store.models import LoginAttempt, User, utcnow
from .roles import Actor

LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_FAILURES = 5  # per user name
LOGIN_FAILURES_PER_ADDRESS = 20  # an office behind one address has many users


def too_many_failures(session: Session, username: str, ip: str) -> bool:
    since = utcnow() - LOGIN_WINDOW

    def failures(*where) -> int:
        return session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.at >= since, LoginAttempt.ok.is_(False), *where)
        )

    return (
        failures(LoginAttempt.username == username) >= LOGIN_FAILURES
        or failures(LoginAttempt.ip == ip) >= LOGIN_FAILURES_PER_ADDRESS
    )


@dataclass(frozen=True)
class Login:
    outcome: Literal["ok", "limited", "wrong"]
    user_id: int | None = None
    user_version: int | None = None  # the session is valid for this version of the user row


def log_in(db: Database, username: str, password: str, ip: str) -> Login:
    """Check a login and record the attempt (audited as ``login`` or ``login.failed``). It
    blocks (argon2 and the database): web handlers run it in a worker thread."""
    with db.read() as session:
        if too_many_failures(session, username, ip):
            return Login("limited")
        user = session.scalar(select(User).where(User.username == username))
        ok = check_password(user, password) and user is not None and user.active
        found = (user.id, user.version) if ok else (None, None)
    with db.write(username or "?", "login" if ok else "login.failed") as session:
        session.add(LoginAttempt(username=username, ip=ip, ok=ok))
    return Login("ok", *found) if ok else Login("wrong")


def session_actor(session: Session, user_id: int, user_version: int | None) -> Actor | None:
    """The session's user, if still active and unchanged since the login."""
    user = session.get(User, user_id)
    if user is None or not user.active or user_version != user.version:
        return None
    return Actor.of(user)


def token_actor(session: Session, token: str) -> Actor | None:
    """The user an API token was issued to, if the token is live and the user active."""
    user = user_for_token(session, token)
    return None if user is None else Actor.of(user)
