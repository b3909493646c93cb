"""Staged work a killed process leaves behind: names that say who made them, the clean-up of
those whose maker is gone, and the atomic swap that puts a finished directory in place.

A command builds what it writes under a staging name (an import's scratch folder, a run's
``.OUT.tmp-…``) and moves it into place once it is whole. ``kill -9`` or a power cut skips the
clean-up, so each staging name carries its maker's process id and host (``p<pid>h<host>``): the
next command on the same store or OUT removes what a dead process left, and never the staging
of a run still going — a name from another host, or without an owner, only once it is older than
``GRACE``.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

GRACE = 24 * 3600  # seconds: no import or run takes a day; anything older is abandoned
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
_OWNER = re.compile(r"p(\d+)h([0-9a-f]{6})")


def owner() -> str:
    """This process's mark in a staging name."""
    return f"p{os.getpid()}h{_HOST}"


def staging_name(prefix: str) -> str:
    """``prefix`` + this process's mark + a random part (threads may stage at the same time)."""
    return f"{prefix}-{owner()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by another user
    return True


def abandoned(path: Path, grace: float = GRACE) -> bool:
    """Whether the staging ``path`` was left by a process that is gone (or is older than
    ``grace`` seconds, when its maker cannot be asked: another host, or no mark)."""
    found = _OWNER.search(path.name)
    if found and found.group(2) == _HOST:
        pid = int(found.group(1))
        return pid != os.getpid() and not _alive(pid)
    try:
        age = time.time() - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    return age > grace


def remove(path: Path) -> None:
    """Delete a staging file or folder, whatever is left of it."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clear_abandoned(folder: Path, prefix: str, grace: float = GRACE) -> list[Path]:
    """Remove the entries of ``folder`` named ``prefix…`` that ``abandoned`` says are left over;
    return them."""
    removed = []
    try:
        entries = [e for e in Path(folder).iterdir() if e.name.startswith(prefix)]
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return removed
    for entry in entries:
        if abandoned(entry, grace):
            remove(entry)
            removed.append(entry)
    return removed


# Linux renameat2(2) with RENAME_EXCHANGE swaps two names in one step, so a directory being
# replaced never goes missing. The os module does not offer it (nor does a maintained library we
# could depend on), hence ctypes; elsewhere ``exchange`` says False and the caller falls back on
# two renames.
_LIBC = ctypes.CDLL(None, use_errno=True)
_RENAMEAT2 = getattr(_LIBC, "renameat2", None)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


def exchange(first: Path, second: Path) -> bool:
    """Swap the names ``first`` and ``second`` atomically; False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
