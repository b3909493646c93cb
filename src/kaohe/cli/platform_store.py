"""``--store URL`` of the commands that read the platform's database (``history``, ``pivot``):
a read session on it, with a snapshot store's directory refused by name (both take ``--store``,
and a snapshot store is the other thing the word means on the command line)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UsageError
from ..i18n import text


@contextmanager
def platform_session(url: str) -> Iterator:
    # the store's area (SQLAlchemy) is imported only when --store is given, as every command does
    from ..store import Database

    if Path(url).is_dir():
        raise UsageError(
            text(
                f"--store：{url} 是目录（数据快照仓只保存数据，不保存考核结果）；请给出平台数据库"
                "的地址（如 sqlite:///kaohe.db），或用 --runs 指定考核结果所在的文件夹",
                f"--store: {url} is a directory (a snapshot store keeps data, not runs); give "
                "the platform's database URL (such as sqlite:///kaohe.db), or the folder of "
                "runs with --runs",
            )
        )
    db = Database.connect(url)
    try:
        with db.read() as session:
            yield session
    finally:
        db.dispose()


def no_published_cycles(schemes: list[str] | tuple[str, ...] = ()) -> UsageError:
    return UsageError(
        text(
            "平台中没有已发布结果的考核周期" + ("（按 --scheme 筛选后）" if schemes else ""),
            "the platform has no cycle with published results"
            + (" (of the --scheme asked for)" if schemes else ""),
        )
    )
