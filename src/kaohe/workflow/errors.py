"""Errors of the workflow, each a user's error (``KaoheError``) that the web maps to a 4xx."""

from __future__ import annotations

from ..errors import KaoheError
from ..store.locking import ConflictError


class Forbidden(KaoheError):
    """The actor's role or scope does not allow this (HTTP 403)."""


class NotFound(KaoheError):
    """No such object (HTTP 404)."""


class Locked(KaoheError):
    """The data was approved (审定) and can no longer change (HTTP 409)."""


class WrongState(KaoheError):
    """The cycle is not in the state this needs, or its deadline passed (HTTP 409)."""


class Invalid(KaoheError):
    """Input that cannot be accepted (HTTP 400/422); the message says what to fix."""


__all__ = ["ConflictError", "Forbidden", "Invalid", "Locked", "NotFound", "WrongState"]
