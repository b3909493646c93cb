"""Units looked up by code for the pages, which show a unit's name beside its code. Scope is
checked by the caller (``Actor.sees_unit``, ``require_unit``): these only read."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Unit


def unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Code → name of the units among ``codes`` (codes of no unit are left out)."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(wanted))).all())


def find_unit(session: Session, code: str | None) -> Unit | None:
    return session.get(Unit, code) if code else None
