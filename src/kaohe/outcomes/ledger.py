"""The append-only event ledger of outcomes and rectifications (结果应用与整改台账).

One JSON object per line in ``DIR/events.jsonl``::

    {"seq": 7, "at": "2020-03-01T09:00:00+08:00", "actor": "省考核办", "kind": "verified",
     "data": {"item": "r-1a2b…", "note": "…"}, "prev": "<sha256 of line 6>"}

Lines are only ever appended: an event is never rewritten or removed, and each carries the
sha256 of the line before it, so ``verify`` notices any edit. The current state is a fold over
the events (outcomes/lifecycle.py); an event the lifecycle does not allow is refused before it
is written. Appends take an exclusive lock on ``DIR/.lock`` so that the command line and the web
platform can write to the same ledger; readers take it shared, so they never see half a batch.

A batch is appended whole or not at all, even under ``kill -9``, a power cut or a full disk, and
in time proportional to the batch, not the ledger: its intent (the ledger's length before it) is
first made durable in ``DIR/.append``, then the lines are written and synced, then the intent is
removed — the commit. An append that fails is truncated back at once; one that was killed is
rolled back by the next command (``recover``), and readers meanwhile stop at the recorded length.
Bytes after the last newline can only be an interrupted write, so they are cut too, with a
notice; a broken line before the last stays an integrity error (``verify``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..disk_space import writing
from ..errors import DataError, UsageError, WriteError
from ..faults import armed, fault_point
from ..i18n import text
from .lifecycle import EVENT_KINDS, LedgerState, LifecycleError, apply

EVENTS_FILE = "events.jsonl"
JOURNAL = ".append"  # the intent of the append in progress: the ledger's length before it
LOCK = ".lock"
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
        self.journal = self.directory / JOURNAL
        # this thread holds the exclusive lock: its reads need no other (and must not wait)
        self._held = threading.local()
        self.recovered: list[str] = []  # what the last append undid first (``recover``)

    # ------------------------------------------------------------------ reading

    def _intent(self) -> dict[str, int] | None:
        """The intent of an append that has not committed (None when there is none)."""
        try:
            raw = self.journal.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            intent = json.loads(raw)
            return {"length": int(intent["length"]), "events": int(intent.get("events", 0))}
        except (ValueError, KeyError, TypeError):
            # killed while writing the intent itself: nothing was appended after it
            return {"length": -1, "events": 0}

    def _committed(self) -> int:
        """How many bytes of the file are committed events: all of it, or the length an
        uncommitted append started from."""
        with self._shared():
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                return 0
            intent = self._intent()
            if intent is not None and 0 <= intent["length"] < size:
                return intent["length"]
            return size

    def _lines(self) -> Iterator[tuple[int, str]]:
        if not self.path.exists():
            return
        limit = self._committed()
        read = 0
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                read += len(raw)
                if read > limit or not raw.endswith(b"\n"):
                    return  # an append not committed, or the remains of one: not events
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise DataError(
                        text(
                            f"{self.path}:{number}：不是有效的 UTF-8 文本；台账只能追加，请勿手工修改",
                            f"{self.path}:{number}: not valid UTF-8 text; the ledger is "
                            "append-only, do not edit it by hand",
                        )
                    ) from None
                yield number, line.rstrip("\n")

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event, oldest first; a line that is not an event is a ``DataError``."""
        for number, line in self._lines():
            yield self._event(number, line)

    def _event(self, number: int, line: str) -> dict[str, Any]:
        try:
            return json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(
                text(
                    f"{self.path}:{number}：不是有效的 JSON（{error.msg}）；台账只能追加，请勿手工修改",
                    f"{self.path}:{number}: not valid JSON ({error.msg}); the ledger is "
                    "append-only, do not edit it by hand",
                )
            ) from None

    def state(self) -> LedgerState:
        """The fold over every event (the current state)."""
        return self._fold()[0]

    def _fold(self) -> tuple[LedgerState, str | None]:
        """The current state and the last line (what the next event chains to), in one pass."""
        state = LedgerState()
        last_line = None
        for number, (line_number, line) in enumerate(self._lines(), start=1):
            event = self._event(line_number, line)
            try:
                apply(state, event)
            except (LifecycleError, KeyError, ValueError) as error:
                raise DataError(
                    text(
                        f"{self.path}：第 {number} 个事件无法应用：{error}",
                        f"{self.path}: event {number} cannot be applied: {error}",
                    )
                ) from None
            last_line = line
        return state, last_line

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

    # ------------------------------------------------------------------ locking

    @contextmanager
    def _shared(self) -> Iterator[None]:
        """Wait for a writer's batch to be whole (a shared lock), unless this object writes."""
        if getattr(self._held, "writing", False) or not self.directory.is_dir():
            yield
            return
        try:
            lock = (self.directory / LOCK).open("a")
        except OSError:  # a read-only copy of a ledger: nobody appends to it
            yield
            return
        with lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with writing(self.directory):
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = (self.directory / LOCK).open("a")
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._held.writing = True
            try:
                yield
            finally:
                self._held.writing = False
                fcntl.flock(lock, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ recovery

    def recover(self) -> list[str]:
        """Undo what a killed append left: an uncommitted batch, an incomplete last line.
        Return a notice for each thing undone (empty when the ledger was in order)."""
        if not self.directory.is_dir():
            return []
        try:
            with self._locked():
                return self._recover()
        except (PermissionError, WriteError):
            return []  # a ledger we may only read: readers skip the same remains anyway

    def _recover(self) -> list[str]:
        intent = self._intent()
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        notices = []
        if intent is not None:
            length = intent["length"]
            if length > size:
                raise DataError(
                    text(
                        f"{self.path}：文件比未完成的追加开始时还短（{size} < {length} 字节），"
                        "台账在 kaohe 之外被改动过",
                        f"{self.path}: the file is shorter than when an unfinished append began "
                        f"({size} < {length} bytes); the ledger was changed outside kaohe",
                    )
                )
            if 0 <= length < size:
                self._truncate(length)
                notices.append(
                    text(
                        f"{self.path}：一次被中断的追加（{intent['events']} 个事件，已写 "
                        f"{size - length} 字节）已被整体撤回，台账回到追加之前",
                        f"{self.path}: an interrupted append ({intent['events']} events, "
                        f"{size - length} bytes written) was cut away whole; the ledger is as "
                        "it was before it",
                    )
                )
                size = length
            self.journal.unlink(missing_ok=True)
            _sync_directory(self.directory)
        if size:
            good = _last_newline_end(self.path, size)
            if good < size:
                self._truncate(good)
                notices.append(
                    text(
                        f"{self.path}：末尾 {size - good} 字节不是完整的一行（被中断的写入），"
                        "已截去，台账回到最后一个完整事件",
                        f"{self.path}: the last {size - good} bytes are not a complete line (an "
                        "interrupted write) and were cut; the ledger ends at its last whole event",
                    )
                )
        return notices

    def _truncate(self, length: int) -> None:
        with self.path.open("r+b") as handle:
            handle.truncate(length)
            handle.flush()
            os.fsync(handle.fileno())

    # ------------------------------------------------------------------ writing

    def append(self, entries: list[tuple[str, dict[str, Any]]], actor: str, at: str | None = None):
        """Append events ``(kind, data)`` in order, all or none; return the new state.

        Each event is checked against the state the earlier ones leave; if any is refused
        (``UsageError`` with the lifecycle's reason), nothing is written. A full disk is a
        ``WriteError`` and leaves the ledger as it was.
        """
        with self._locked():
            self.recovered = self._recover()
            state, last_line = self._fold()
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
                self._write("".join(f"{line}\n" for line in lines).encode("utf-8"), len(lines))
            return state

    def _write(self, payload: bytes, events: int) -> None:
        """Append ``payload`` (whole lines) durably, all or nothing."""
        length = self.path.stat().st_size if self.path.exists() else 0
        with writing(self.path, needed=len(payload) + 4096):
            try:
                _write_file(self.journal, json.dumps({"length": length, "events": events}))
                _sync_directory(self.directory)
            except BaseException:
                self.journal.unlink(missing_ok=True)
                raise
            fault_point("ledger.journal-written")
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if armed("ledger.half-appended"):
                    _write_all(descriptor, payload[: len(payload) // 2])
                    fault_point("ledger.half-appended")
                _write_all(descriptor, payload)
                os.fsync(descriptor)
            except BaseException:
                os.ftruncate(descriptor, length)  # the ledger exactly as it was
                os.fsync(descriptor)
                self.journal.unlink(missing_ok=True)
                raise
            finally:
                os.close(descriptor)
            fault_point("ledger.appended")
            self.journal.unlink()  # the commit
            _sync_directory(self.directory)


def _write_all(descriptor: int, payload: bytes) -> None:
    """``os.write`` until every byte is written (a write may take fewer; ENOSPC raises)."""
    view = memoryview(payload)
    while view:
        view = view[os.write(descriptor, view) :]


def _write_file(path: Path, content: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        _write_all(descriptor, content.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(directory: Path) -> None:
    """Make a file's creation or removal in ``directory`` durable (POSIX: fsync the folder)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _last_newline_end(path: Path, size: int, block: int = 1 << 16) -> int:
    """The length of ``path`` up to and including its last newline (0 when it has none),
    reading backwards from ``size`` a block at a time: O(the last line), not O(the file)."""
    with path.open("rb") as handle:
        end = size
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            chunk = handle.read(end - start)
            found = chunk.rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0
