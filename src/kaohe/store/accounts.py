"""Accounts: users with argon2 password hashes, and API tokens stored only as their sha256."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiToken, User, utcnow

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY = _hasher.hash("kaohe-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    unit_code: str | None = None,
    team_id: int | None = None,
) -> User:
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        unit_code=unit_code,
        team_id=team_id,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> str:
    """Create a token for ``user``; the clear token is returned once and never stored."""
    token = "kh_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=token_digest(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
