"""A memory limit a user gives (``--memory-limit 4GB``), checked before any work starts, and
DuckDB running out of memory under it, as one line a user can act on.

DuckDB judges the text only when the first query sets it, after files were read and folders made,
and says so in a parser's words ("Memory must have a number"); its out-of-memory error names
neither the option nor what to do. Both become a ``UsageError`` (exit 2) naming ``--memory-limit``.
"""

from __future__ import annotations

import re

from .errors import UsageError
from .i18n import text

# DuckDB's memory units: 1000^i (KB…TB), 1024^i (KiB…TiB), bytes; a decimal number before them.
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|bytes|kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.I)
_OUT_OF_MEMORY = ("Out of Memory Error", "OutOfMemoryException")


def checked_limit(value: str | None) -> str | None:
    """``value`` if DuckDB (and Spark, which is given the same text) will read it as an amount of
    memory; else a ``UsageError`` that says how to write one."""
    if value is None:
        return None
    found = _LIMIT.match(value)
    if found is None or float(found.group(1)) <= 0:
        raise UsageError(
            text(
                f"{value!r} 不是内存大小：写成数字加单位，例如 4GB、512MB、2GiB",
                f"{value!r} is no amount of memory: write a number and a unit, "
                "e.g. 4GB, 512MB or 2GiB",
            )
        )
    return value.strip()


def out_of_memory(error: BaseException) -> UsageError | None:
    """DuckDB's out-of-memory error as the user's error (None for any other error)."""
    kind = type(error).__name__
    message = str(error)
    if kind != "OutOfMemoryException" and not any(word in message for word in _OUT_OF_MEMORY):
        return None
    first = message.splitlines()[0] if message else kind
    return UsageError(
        text(
            "内存不足：在内存上限内无法完成（DuckDB：" + first + "）。"
            "请用 --memory-limit 给出更大的上限（例如 8GB），或关闭占用内存的其他程序；"
            "超出上限的部分会写入临时目录，请确认该磁盘有足够空间",
            "out of memory: the work does not fit within the memory limit (DuckDB: " + first + "). "
            "Give a larger --memory-limit (e.g. 8GB) or close other programs using memory; what "
            "exceeds the limit spills to the scratch folder, so check that its disk has room",
        )
    )
