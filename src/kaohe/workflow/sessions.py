"""Server-side sessions of the web pages. The signed cookie carries only a random token; the
``user_sessions`` table keeps its sha256 (never the token), so a session ends on the server —
at logout, when the password changes or is reset, when the user is disabled or given another
role — and a copied cookie stops working with it.

A session also ends after ``idle_minutes`` without a request and ``absolute_minutes`` after the
login, whatever happens in between: both are settings (``KAOHE_SESSION_IDLE_MINUTES``,
``KAOHE_SESSION_ABSOLUTE_MINUTES``) checked on every request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..store import Database
from ..store.accounts import token_digest
from ..store.models import User, UserSession, utcnow
from .env_settings import whole_number
from .roles import Actor

# last_seen_at is rewritten at most this often: the idle timeout needs minutes, not a database
# write on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SessionRules:
    idle_minutes: int = 60
    absolute_minutes: int = 480

    @classmethod
    def from_env(cls) -> SessionRules:
        return cls(
            idle_minutes=whole_number("KAOHE_SESSION_IDLE_MINUTES", cls.idle_minutes, 1),
            absolute_minutes=whole_number(
                "KAOHE_SESSION_ABSOLUTE_MINUTES", cls.absolute_minutes, 1
            ),
        )


def open_session(session: Session, user_id: int, ip: str) -> str:
    """A new session for ``user_id``; returns the clear token, for the cookie only."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user_id, token_hash=token_digest(token), ip=ip[:64]))
    session.flush()
    return token


def _live(row: UserSession, rules: SessionRules, now: dt.datetime) -> bool:
    return (
        row.revoked_at is None
        and now - row.last_seen_at < dt.timedelta(minutes=rules.idle_minutes)
        and now - row.created_at < dt.timedelta(minutes=rules.absolute_minutes)
    )


def session_actor(db: Database, token: str, rules: SessionRules) -> Actor | None:
    """The user behind a live session token, or None; notes the request for the idle timeout
    (at most once a minute). It blocks: web handlers run it in a worker thread."""
    now = utcnow()
    with db.read() as session:
        found = session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == token_digest(token))
        ).first()
        if found is None:
            return None
        row, user = found
        if not _live(row, rules, now) or not user.active:
            return None
        actor = Actor.of(user)
    if now - row.last_seen_at >= TOUCH_EVERY:
        # A heartbeat, not a decision: written outside the audited session on purpose, or the
        # log would get an entry per user per minute and bury the decisions it is there for.
        with db.write_engine.begin() as connection:
            connection.execute(
                update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
            )
    return actor


def end_session(session: Session, token: str) -> None:
    """Logout: the session of ``token`` ends (audited by the transaction it runs in)."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def end_user_sessions(session: Session, user_id: int, keep_token: str | None = None) -> int:
    """End every open session of ``user_id`` but the one of ``keep_token``; returns how many."""
    keep = token_digest(keep_token) if keep_token else None
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    ).all()
    now = utcnow()
    ended = 0
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = now
            ended += 1
    session.flush()
    return ended
