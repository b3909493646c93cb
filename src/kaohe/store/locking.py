"""Optimistic locking for people: an edit carries the version its author saw; if the object has
changed since, the edit is refused (409) instead of overwriting the other person's decision.
Races between loading and writing are caught by SQLAlchemy's ``version_id_col`` on the same column.
"""

from __future__ import annotations

from ..errors import KaoheError
from ..i18n import text


class ConflictError(KaoheError):
    """Somebody else changed the object since it was shown."""


def expect_version(obj, seen: int | None, what: str) -> None:
    if seen is not None and obj.version != seen:
        raise ConflictError(
            text(
                f"{what} 已被他人修改（您看到的是第 {seen} 版，现在是第 {obj.version} 版）；"
                "请刷新页面后重新操作",
                f"{what} was changed by somebody else (you saw version {seen}, it is now "
                f"version {obj.version}); reload the page and try again",
            )
        )
