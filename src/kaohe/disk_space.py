"""A write that fails for want of room or permission, as one line a user can act on.

``with writing(path, needed):`` around a write turns the operating system's ENOSPC and EDQUOT
(disk or quota full) — and EROFS or EACCES met while writing there — into a ``WriteError`` naming
``path``, the space needed where the caller knows it and the space that was free, instead of a
traceback or a misleading "cannot read". Libraries hide the ``OSError`` in different places
(xlsxwriter wraps it, pyarrow and DuckDB only say "No space left on device" in their message), so
the whole chain of an exception is searched. ``write_error`` is also the command line's last
resort: an ENOSPC raised anywhere in a command becomes the same line.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import WriteError
from .i18n import text

FULL = {errno.ENOSPC: "disk", errno.EDQUOT: "quota"}
REFUSED = {errno.EROFS: "read-only", errno.EACCES: "permission", errno.EPERM: "permission"}
# What libraries that do not keep the OSError say instead (DuckDB, Arrow): strerror's words.
_FULL_WORDS = {"No space left on device": "disk", "Disk quota exceeded": "quota"}


def free_bytes(path: Path | str) -> int | None:
    """Free bytes on the file system of ``path`` (or of its nearest existing folder)."""
    place = Path(path).absolute()
    for folder in (place, *place.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, what it was raised from, and exceptions it carries as arguments."""
    seen: set[int] = set()
    waiting = [error]
    while waiting:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        waiting.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        waiting.extend(a for a in current.args if isinstance(a, BaseException))


def _kind(error: BaseException, target: Path | None) -> tuple[str, str | None] | None:
    """What stopped the write (disk, quota, read-only, permission) and the file named, if any."""
    for found in _chain(error):
        if isinstance(found, OSError) and found.errno in FULL:
            return FULL[found.errno], found.filename
        if isinstance(found, OSError) and found.errno in REFUSED and target is not None:
            # refused while writing only when the refused file is where we write: a file that
            # cannot be read is another problem, with its own message
            named = Path(found.filename).absolute() if found.filename else None
            if named is None or target.parent in (named, *named.parents):
                return REFUSED[found.errno], found.filename
        message = str(found)
        for words, kind in _FULL_WORDS.items():
            if words in message:
                return kind, getattr(found, "filename", None)
    return None


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}" if size < 10 * 2**20 else f"{size / 2**20:.0f}"


def write_error(
    error: BaseException,
    path: Path | str | None = None,
    needed: int | None = None,
    free: int | None = None,
) -> WriteError | None:
    """The ``WriteError`` that ``error`` amounts to when it is a full disk or a refused write to
    ``path`` (else None): the message names ``path`` (or the file the error names), the space
    ``needed`` when known and the space ``free`` (measured now when not given)."""
    if isinstance(error, WriteError):
        return error
    target = Path(path).absolute() if path is not None else None
    found = _kind(error, target)
    if found is None:
        return None
    kind, filename = found
    named = path if path is not None else filename
    where = str(named) if named is not None else text("一个文件", "a file")
    if kind in ("read-only", "permission"):
        return WriteError(
            text(
                f"无法写入 {where}："
                + ("所在文件系统是只读的" if kind == "read-only" else "没有写入权限")
                + "。请换一个可写的位置，或请管理员开放写入权限",
                f"cannot write {where}: "
                + ("the file system is read-only" if kind == "read-only" else "permission denied")
                + ". Choose a writable place, or ask the administrator for write access",
            )
        )
    if free is None and named is not None:
        free = free_bytes(named)
    zh_room, en_room = "", ""
    if needed is not None and free is not None:
        zh_room = f"，需要约 {_mb(needed)} MB，可用 {_mb(free)} MB"
        en_room = f"; it needs about {_mb(needed)} MB, {_mb(free)} MB are free"
    elif free is not None:
        zh_room, en_room = f"（可用 {_mb(free)} MB）", f" ({_mb(free)} MB free)"
    if kind == "quota":
        return WriteError(
            text(
                f"磁盘配额已满：写入 {where} 时失败{zh_room}。请清理空间或请管理员提高配额后重试",
                f"disk quota exceeded: writing {where} failed{en_room}. Free some space or ask "
                "for a larger quota, then try again",
            )
        )
    return WriteError(
        text(
            f"磁盘空间不足：写入 {where} 时失败{zh_room}。请释放空间或改写到其他位置后重试",
            f"disk full: writing {where} failed{en_room}. Free some space or write elsewhere, "
            "then try again",
        )
    )


@contextmanager
def writing(path: Path | str, needed: int | None = None) -> Iterator[None]:
    """Around a write to ``path``: a full disk or a refused write becomes a ``WriteError``
    (``needed``: the bytes the write takes, when the caller can tell); any other error passes."""
    free = free_bytes(path)  # before the write: what there was room for, not what is left
    try:
        yield
    except WriteError:
        raise
    except Exception as error:
        mapped = write_error(error, path, needed, free)
        if mapped is None:
            raise
        raise mapped from error
