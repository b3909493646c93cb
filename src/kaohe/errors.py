"""One exception hierarchy whose messages a user can act on.

Every error a user can cause (a bad scheme, a bad data file, a bad option) is a ``KaoheError``;
the command line prints its message and exits with code 2. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class KaoheError(Exception):
    """A user's error: the message names where the problem is and what to do."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem at one place: ``FILE:LINE: message``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SchemeError(KaoheError):
    """A scheme file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class DataError(KaoheError):
    """A data file that cannot be used: names the file, row, column and what to do."""


class UsageError(KaoheError):
    """A command used wrongly (missing directory, unknown option value)."""


class WriteError(KaoheError):
    """A result, snapshot or ledger that could not be written: the disk or the quota is full, or
    the place is read-only. Nothing half-written is left; the message names the path, the space
    needed where it is known, and what to do."""
