"""The append-only event ledger of outcomes and rectifications (结果应用与整改台账).

One JSON object per line in ``DIR/events.jsonl``::

    {"seq": 7, "at": "2020-03-01T09:00:00+08:00", "actor": "省考核办", "kind": "verified",
     "data": {"item": "r-1a2b…", "note": "…"}, "prev": "<sha256 of line 6>"}

Lines are only ever appended: an event is never rewritten or removed, and each carries the
sha256 of the line before it, so ``verify`` notices any edit. The current state is a fold over
the events (outcomes/lifecycle.py); an event the lifecycle does not allow is refused before it
is written. Appends take an exclusive lock on ``DIR/.lock`` so that the command line and the web
platform can write to the same ledger.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DataError, UsageError
from ..i18n import text
from .lifecycle import EVENT_KINDS, LedgerState, LifecycleError, apply

EVENTS_FILE = "events.jsonl"
DEFAULT_LEDGER = Path("kaohe-ledger")


def _line(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Ledger:
    """The events of one ledger directory."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / EVENTS_FILE

    # ------------------------------------------------------------------ reading

    def _lines(self) -> Iterator[tuple[int, str]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line.rstrip("\n")

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event, oldest first; a line that is not an event is a ``DataError``."""
        for number, line in self._lines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(
                    text(
                        f"{self.path}:{number}：不是有效的 JSON（{error.msg}）；台账只能追加，请勿手工修改",
                        f"{self.path}:{number}: not valid JSON ({error.msg}); the ledger is "
                        "append-only, do not edit it by hand",
                    )
                ) from None
            yield event

    def state(self) -> LedgerState:
        """The fold over every event (the current state)."""
        state = LedgerState()
        for number, event in enumerate(self.events(), start=1):
            try:
                apply(state, event)
            except (LifecycleError, KeyError, ValueError) as error:
                raise DataError(
                    text(
                        f"{self.path}：第 {number} 个事件无法应用：{error}",
                        f"{self.path}: event {number} cannot be applied: {error}",
                    )
                ) from None
        return state

    def verify(self) -> int:
        """Check the chain of hashes, the sequence numbers and every transition; return the
        number of events. Raises ``DataError`` naming the first broken line."""
        previous = ""
        count = 0
        for number, line in self._lines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{self.path}:{number}: {error.msg}") from None
            count += 1
            if event.get("prev", "") != previous or event.get("seq") != count:
                raise DataError(
                    text(
                        f"{self.path}:{number}：哈希链或序号不连续，台账在此行或之前被改动过",
                        f"{self.path}:{number}: the hash chain or sequence breaks here; the "
                        "ledger was changed at or before this line",
                    )
                )
            previous = _digest(line)
        self.state()
        return count

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, entries: list[tuple[str, dict[str, Any]]], actor: str, at: str | None = None):
        """Append events ``(kind, data)`` in order, all or none; return the new state.

        Each event is checked against the state the earlier ones leave; if any is refused
        (``UsageError`` with the lifecycle's reason), nothing is written.
        """
        with self._locked():
            state = self.state()
            last_line = None
            for _, line in self._lines():
                last_line = line
            previous = _digest(last_line) if last_line is not None else ""
            lines = []
            for kind, data in entries:
                if kind not in EVENT_KINDS:
                    raise UsageError(text(f"未知事件 {kind}", f"unknown event {kind}"))
                event = {
                    "seq": state.last_seq + 1,
                    "at": at or now(),
                    "actor": actor,
                    "kind": kind,
                    "data": data,
                    "prev": previous,
                }
                try:
                    apply(state, event)
                except LifecycleError as error:
                    raise UsageError(str(error)) from None
                line = _line(event)
                lines.append(line)
                previous = _digest(line)
            if lines:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write("".join(f"{line}\n" for line in lines))
                    handle.flush()
                    os.fsync(handle.fileno())
            return state
