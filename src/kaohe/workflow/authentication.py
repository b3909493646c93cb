"""Who is asking: a user name and password at login, or the user behind an API token. (The user
behind a session is ``kaohe.workflow.sessions``.)

Wrong passwords slow logins down, never lock them: after ``free_failures`` failures for an
account (counted since its last success) or ``free_failures_per_address`` from one address, the
next attempt must wait ``first_delay_seconds``, doubling with each further failure up to
``max_delay_seconds``; failures older than ``window_minutes`` are forgotten. The wait is computed
from the attempts table (the server never sleeps), and an attempt made during it is answered at
once without checking the password or recording anything, so a stranger cannot push the wait
further out: once it has passed, the right password always logs in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store import Database
from ..store.accounts import check_password, user_for_token
from ..store.models import LoginAttempt, User, utcnow
from .env_settings import whole_number
from .roles import Actor
from .sessions import open_session


@dataclass(frozen=True)
class LoginRules:
    free_failures: int = 5  # per account, before the first delay
    free_failures_per_address: int = 20  # an office behind one address has many users
    first_delay_seconds: int = 2
    max_delay_seconds: int = 900
    window_minutes: int = 60

    @classmethod
    def from_env(cls) -> LoginRules:
        return cls(
            free_failures=whole_number("KAOHE_LOGIN_FREE_FAILURES", cls.free_failures, 1),
            free_failures_per_address=whole_number(
                "KAOHE_LOGIN_FREE_FAILURES_PER_ADDRESS", cls.free_failures_per_address, 1
            ),
            first_delay_seconds=whole_number(
                "KAOHE_LOGIN_FIRST_DELAY_SECONDS", cls.first_delay_seconds, 1
            ),
            max_delay_seconds=whole_number(
                "KAOHE_LOGIN_MAX_DELAY_SECONDS", cls.max_delay_seconds, 1
            ),
            window_minutes=whole_number("KAOHE_LOGIN_WINDOW_MINUTES", cls.window_minutes, 1),
        )

    def delay(self, failures: int, free: int) -> int:
        """Seconds to wait after the last of ``failures`` failures (0 while under ``free``)."""
        if failures < free:
            return 0
        doubled = self.first_delay_seconds * 2 ** min(failures - free, 32)
        return min(self.max_delay_seconds, doubled)


def _failures(session: Session, since: dt.datetime, *where) -> tuple[int, dt.datetime | None]:
    """How many failed attempts match ``where`` since ``since``, and when the last was."""
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.ok.is_(False), LoginAttempt.at >= since, *where
        )
    ).one()
    return count, last


def _remaining(last: dt.datetime | None, delay: int, now: dt.datetime) -> int:
    if last is None or delay == 0:
        return 0
    left = (last + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(left))


def account_wait(session: Session, username: str, rules: LoginRules, now: dt.datetime) -> int:
    """Seconds before ``username`` may try again (failures since its last success count)."""
    since = now - dt.timedelta(minutes=rules.window_minutes)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.ok.is_(True)
        )
    )
    count, last = _failures(
        session, max(since, last_ok or since), LoginAttempt.username == username
    )
    return _remaining(last, rules.delay(count, rules.free_failures), now)


def address_wait(session: Session, ip: str, rules: LoginRules, now: dt.datetime) -> int:
    """Seconds before anyone at ``ip`` may try again. Successes do not reset it: an attacker
    with an account of their own could otherwise clear it between guesses at others'."""
    since = now - dt.timedelta(minutes=rules.window_minutes)
    count, last = _failures(session, since, LoginAttempt.ip == ip)
    return _remaining(last, rules.delay(count, rules.free_failures_per_address), now)


def login_wait(session: Session, username: str, ip: str, rules: LoginRules) -> int:
    now = utcnow()
    return max(account_wait(session, username, rules, now), address_wait(session, ip, rules, now))


@dataclass(frozen=True)
class Login:
    outcome: Literal["ok", "wait", "wrong"]
    token: str | None = None  # the new session's token (for the cookie only)
    wait: int = 0  # seconds before the next attempt may be made


def log_in(db: Database, username: str, password: str, ip: str, rules: LoginRules) -> Login:
    """Check a login, record the attempt (audited as ``login`` or ``login.failed``) and open a
    session. It blocks (argon2 and the database): web handlers run it in a worker thread."""
    with db.read() as session:
        wait = login_wait(session, username, ip, rules)
        if wait:
            return Login("wait", wait=wait)  # the password is not even looked at
        user = session.scalar(select(User).where(User.username == username))
        ok = check_password(user, password) and user is not None and user.active
    with db.write(username or "?", "login" if ok else "login.failed") as session:
        session.add(LoginAttempt(username=username, ip=ip, ok=ok))
        session.flush()
        if ok:
            return Login("ok", token=open_session(session, user.id, ip))
        return Login("wrong", wait=login_wait(session, username, ip, rules))


@dataclass(frozen=True)
class FailedLogins:
    """An account with recent failed logins, for the administrators' page."""

    username: str
    failures: int
    last_at: dt.datetime
    last_ip: str
    wait: int  # seconds the account must still wait


def recent_failures(session: Session, rules: LoginRules, limit: int = 50) -> list[FailedLogins]:
    """Accounts (existing or not: a guessed name is worth seeing too) with failed logins within
    the window, the most recent first."""
    now = utcnow()
    since = now - dt.timedelta(minutes=rules.window_minutes)
    rows = session.execute(
        select(LoginAttempt.username, func.count(), func.max(LoginAttempt.at))
        .where(LoginAttempt.ok.is_(False), LoginAttempt.at >= since)
        .group_by(LoginAttempt.username)
        .order_by(func.max(LoginAttempt.at).desc(), LoginAttempt.username)
        .limit(limit)
    ).all()
    out = []
    for username, failures, last_at in rows:
        last_ip = session.scalar(
            select(LoginAttempt.ip)
            .where(LoginAttempt.username == username, LoginAttempt.ok.is_(False))
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
            .limit(1)
        )
        wait = account_wait(session, username, rules, now)
        out.append(FailedLogins(username, failures, last_at, last_ip or "", wait))
    return out


def token_actor(session: Session, token: str) -> Actor | None:
    """The user an API token was issued to, if the token is live and the user active."""
    user = user_for_token(session, token)
    return None if user is None else Actor.of(user)
