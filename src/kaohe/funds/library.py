"""The project library (项目库): an append-only event log, folded into the current state.

``LIBRARY/events.jsonl`` holds one JSON event a line — a project admitted or rejected, a target
adjusted, a progress report, a monitoring flag raised or answered, a spot-check sample drawn. Lines
are only ever appended, never rewritten: a corrected report is a new event that supersedes the old
one in the state while the old one stays in the log. Each line carries the SHA-256 of the line
before it, so an edited or deleted line breaks the chain and is reported. Appends are written in
batches: every event of a batch records the batch size, and a batch cut short by a crash (fewer
lines than announced at the end of the file) was never acknowledged — it is ignored when reading
and trimmed before the next append, so nothing half-written ever counts.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import DataError, UsageError
from ..i18n import text
from .targets import Project, Target

EVENTS = "events.jsonl"
GENESIS = "0" * 64

KINDS = (
    "project_admitted",
    "project_rejected",
    "target_adjusted",
    "progress_reported",
    "flag_raised",
    "flag_answered",
    "sample_drawn",
)


@dataclass(frozen=True)
class Event:
    seq: int
    batch: int
    of: int  # events in the batch
    at: str  # ISO time the event was recorded
    kind: str
    data: dict[str, Any]
    line: int


@dataclass
class Adjustment:
    indicator_id: str
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str
    at: str


@dataclass
class Report:
    """A progress report of one project at one date (the latest version, with its history)."""

    project_id: str
    as_of: dt.date
    values: dict[str, float]
    at: str
    revisions: int = 0  # earlier versions superseded (kept in the log)


@dataclass
class Flag:
    """A monitoring flag: asks the project for a correction and stays open until answered."""

    flag_id: str
    project_id: str
    unit: str
    rule: str
    item: str | None
    as_of: dt.date
    expected: float
    actual: float
    deviation: float
    threshold: float
    message: dict[str, str]
    raised_at: str
    status: str = "open"  # open | answered
    answer: dict[str, Any] | None = None


@dataclass
class LibraryState:
    projects: dict[str, Project] = field(default_factory=dict)
    original: dict[str, Project] = field(default_factory=dict)  # as admitted, before adjustments
    adjustments: dict[str, list[Adjustment]] = field(default_factory=dict)
    rejections: dict[str, list[str]] = field(default_factory=dict)  # latest reasons per project
    reports: dict[str, dict[dt.date, Report]] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
    sample: dict[str, Any] | None = None
    events: int = 0

    def copy(self) -> LibraryState:
        return LibraryState(
            projects=dict(self.projects),
            original=dict(self.original),
            adjustments=dict(self.adjustments),
            rejections=dict(self.rejections),
            reports=dict(self.reports),
            flags=dict(self.flags),
            sample=self.sample,
            events=self.events,
        )

    def latest_report(self, project_id: str, on: dt.date | None = None) -> Report | None:
        reports = self.reports.get(project_id, {})
        dates = [d for d in reports if on is None or d <= on]
        return reports[max(dates)] if dates else None


@dataclass(frozen=True)
class _ReadCache:
    good: int
    digest: str
    events: tuple[Event, ...]
    prev: str
    lines: int


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


class Library:
    """A project library directory."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / EVENTS
        self._cache: _ReadCache | None = None
        self._state: LibraryState | None = None

    @classmethod
    def open(cls, directory: Path, create: bool = False) -> Library:
        library = cls(directory)
        if not library.path.is_file():
            if not create:
                raise UsageError(
                    text(
                        f"{directory} 不是项目库（没有 {EVENTS}）；先用 kaohe funds admit 建库",
                        f"{directory} is not a project library (no {EVENTS}); "
                        "create one with kaohe funds admit",
                    )
                )
            library.directory.mkdir(parents=True, exist_ok=True)
            library.path.touch()
        return library

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def events(self) -> list[Event]:
        """Every acknowledged event, checking the hash chain; a torn last batch is left out."""
        events, _ = self._read()
        return events

    def _read(self) -> tuple[list[Event], int]:
        """(events of complete batches, byte length of the acknowledged part of the file).

        What was read before is kept with the SHA-256 of its bytes: when the file still starts
        with exactly those bytes, only the lines appended since are parsed.
        """
        raw = self.path.read_bytes() if self.path.is_file() else b""
        cache = self._cache
        if (
            cache is not None
            and len(raw) >= cache.good
            and (hashlib.sha256(raw[: cache.good]).hexdigest() == cache.digest)
        ):
            events, prev, offset, number = list(cache.events), cache.prev, cache.good, cache.lines
        else:
            events, prev, offset, number = [], GENESIS, 0, 0
        good, good_lines, good_prev = offset, number, prev
        pending: list[Event] = []
        lines = raw[offset:].split(b"\n")
        for index, line in enumerate(lines):
            if index == len(lines) - 1:  # the text after the last newline: empty, or torn
                break
            number += 1
            end = offset + len(line) + 1
            try:
                record = json.loads(line)
                event = Event(
                    seq=int(record["seq"]),
                    batch=int(record["batch"]),
                    of=int(record["of"]),
                    at=str(record["at"]),
                    kind=str(record["kind"]),
                    data=dict(record["data"]),
                    line=number,
                )
                chained = record["prev"]
            except (ValueError, KeyError, TypeError):
                raise DataError(
                    text(
                        f"{self.path}:第 {number} 行不是有效的事件记录；项目库只能追加，不能手工编辑",
                        f"{self.path}:line {number} is not a valid event; the library is "
                        "append-only and must not be edited by hand",
                    )
                ) from None
            if chained != prev:
                raise DataError(
                    text(
                        f"{self.path}:第 {number} 行：哈希链断开（上一行被修改或删除）；"
                        "请从备份恢复项目库",
                        f"{self.path}:line {number}: the hash chain is broken (an earlier line was "
                        "edited or removed); restore the library from a backup",
                    )
                )
            prev = _line_hash(line)
            if pending and pending[0].batch != event.batch:
                raise DataError(
                    text(
                        f"{self.path}:第 {number} 行：上一批次不完整却被追加了新批次",
                        f"{self.path}:line {number}: a new batch follows an incomplete one",
                    )
                )
            pending.append(event)
            if len(pending) == event.of:
                events += pending
                pending = []
                good, good_lines, good_prev = end, number, prev
            offset = end
        self._cache = _ReadCache(
            good, hashlib.sha256(raw[:good]).hexdigest(), tuple(events), good_prev, good_lines
        )
        return events, good

    def append(self, items: list[tuple[str, dict[str, Any]]], at: str | None = None) -> int:
        """Append ``(kind, data)`` events as one batch; returns the number written."""
        if not items:
            return 0
        for kind, _ in items:
            if kind not in KINDS:
                raise ValueError(f"unknown event kind {kind}")
        stamp = at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._locked():
            events, good = self._read()
            size = self.path.stat().st_size
            if size != good:  # an unacknowledged, torn batch: it never counted
                with self.path.open("r+b") as handle:
                    handle.truncate(good)
            prev = self._cache.prev if self._cache is not None else GENESIS
            seq = events[-1].seq + 1 if events else 1
            batch = events[-1].batch + 1 if events else 1
            lines = []
            for i, (kind, data) in enumerate(items):
                record = {
                    "seq": seq + i,
                    "batch": batch,
                    "of": len(items),
                    "at": stamp,
                    "kind": kind,
                    "data": data,
                    "prev": prev,
                }
                line = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
                prev = _line_hash(line)
                lines.append(line)
            with self.path.open("ab") as handle:
                handle.write(b"\n".join(lines) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        return len(items)

    def state(self) -> LibraryState:
        """The current state; folded incrementally from the last state this object built."""
        events = self.events()
        base = self._state
        if base is not None and base.events <= len(events):
            self._state = fold(events[base.events :], base)
        else:
            self._state = fold(events)
        return self._state


def fold(events: list[Event], base: LibraryState | None = None) -> LibraryState:
    """The state after ``events``, applied in order to ``base`` (or to an empty library).

    ``base`` is not modified: the result has its own dictionaries, and values are replaced, never
    changed in place, so a state handed out earlier stays as it was.
    """
    state = LibraryState() if base is None else base.copy()
    state.events += len(events)
    for event in events:
        data = event.data
        if event.kind == "project_admitted":
            project = Project.from_json(data["project"])
            state.projects[project.project_id] = project
            state.original[project.project_id] = project
            state.rejections.pop(project.project_id, None)
        elif event.kind == "project_rejected":
            if data["project_id"] not in state.projects:
                state.rejections[data["project_id"]] = list(data["reasons"])
        elif event.kind == "target_adjusted":
            pid = data["project_id"]
            new = Target.from_json(data["new"])
            state.projects[pid] = state.projects[pid].with_target(new)
            state.adjustments[pid] = [
                *state.adjustments.get(pid, []),
                Adjustment(new.indicator_id, data["old"], data["new"], data["reason"], event.at),
            ]
        elif event.kind == "progress_reported":
            pid = data["project_id"]
            day = dt.date.fromisoformat(data["as_of"])
            reports = dict(state.reports.get(pid, {}))
            earlier = reports.get(day)
            state.reports[pid] = reports
            reports[day] = Report(
                pid,
                day,
                {k: float(v) for k, v in data["values"].items()},
                event.at,
                0 if earlier is None else earlier.revisions + 1,
            )
        elif event.kind == "flag_raised":
            state.flags[data["flag_id"]] = Flag(
                flag_id=data["flag_id"],
                project_id=data["project_id"],
                unit=data["unit"],
                rule=data["rule"],
                item=data.get("item"),
                as_of=dt.date.fromisoformat(data["as_of"]),
                expected=data["expected"],
                actual=data["actual"],
                deviation=data["deviation"],
                threshold=data["threshold"],
                message=data["message"],
                raised_at=event.at,
            )
        elif event.kind == "flag_answered":
            state.flags[data["flag_id"]] = replace(
                state.flags[data["flag_id"]],
                status="answered",
                answer={"by": data["by"], "note": data["note"], "at": event.at},
            )
        elif event.kind == "sample_drawn":
            state.sample = {**data, "at": event.at}
    return state


@dataclass
class Admission:
    """What ``admit`` did with a submission."""

    admitted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already in the library, identical
    rejected: dict[str, list[str]] = field(default_factory=dict)  # project id → reasons
    orphans: list[str] = field(default_factory=list)


def admit(library: Library, submission: Any, at: str | None = None) -> Admission:
    """Record a gate-checked submission: admitted projects enter the library, rejected ones are
    logged with their reasons. A project already in the library is left as it is when identical;
    a different version is rejected (changing targets goes through ``adjust``, never overwrite)."""
    state = library.state()
    result = Admission(orphans=list(submission.orphans))
    events: list[tuple[str, dict[str, Any]]] = []
    source = " + ".join(submission.files)
    for decision in submission.decisions:
        pid = decision.project_id
        if decision.admitted:
            project = decision.project
            existing = state.projects.get(pid)
            if existing is not None:
                if state.original[pid].to_json() == project.to_json():
                    result.unchanged.append(pid)
                    continue
                decision.reasons.append(
                    text(
                        f"{decision.place}：项目 {pid} 已在库中且内容不同；调整绩效目标请用 "
                        "kaohe funds adjust（库中记录不会被覆盖）",
                        f"{decision.place}: project {pid} is already in the library with other "
                        "content; change targets with kaohe funds adjust (nothing is overwritten)",
                    )
                )
            else:
                events.append(
                    ("project_admitted", {"project": project.to_json(), "source": source})
                )
                result.admitted.append(pid)
                continue
        result.rejected[pid or str(decision.place)] = list(decision.reasons)
        events.append(
            ("project_rejected", {"project_id": pid, "reasons": decision.reasons, "source": source})
        )
    library.append(events, at)
    return result


ADJUST_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号",),
    "indicator_id": ("指标编号",),
    "target": ("调整后目标值", "目标值", "value"),
    "unit_of_measure": ("计量单位",),
    "reason": ("调整原因", "原因"),
}
ADJUST_REQUIRED = ("project_id", "indicator_id", "target", "reason")


def adjust(library: Library, table: Any, at: str | None = None) -> list[tuple[str, str]]:
    """Record target adjustments (调整绩效目标) from a table; all rows or none.

    Each row names a project and one of its indicators, the new target value and the reason (the
    approval of the change). Returns the (project, indicator) pairs adjusted.
    """

    state = library.state()
    problems: list[str] = []
    events: list[tuple[str, dict[str, Any]]] = []
    done: list[tuple[str, str]] = []
    current = dict(state.projects)  # with the adjustments of earlier rows of this table
    for row in table.rows:
        pid, iid = row.text("project_id"), row.text("indicator_id")
        project = current.get(pid)
        if project is None:
            problems.append(
                text(
                    f"{row.cell('project_id')}：项目 {pid!r} 不在项目库中",
                    f"{row.cell('project_id')}: project {pid!r} is not in the library",
                )
            )
            continue
        old = project.target(iid)
        if old is None:
            problems.append(
                text(
                    f"{row.cell('indicator_id')}：项目 {pid} 没有指标 {iid!r}"
                    f"（有：{'、'.join(t.indicator_id for t in project.targets)}）",
                    f"{row.cell('indicator_id')}: project {pid} has no indicator {iid!r} "
                    f"(it has {', '.join(t.indicator_id for t in project.targets)})",
                )
            )
            continue
        value, _, _ = row.target_value("target")
        if value is None:
            problems.append(
                text(
                    f"{row.cell('target')}：调整后的目标值 {row.get('target')!r} 不是数值",
                    f"{row.cell('target')}: the adjusted target {row.get('target')!r} "
                    "is not a number",
                )
            )
            continue
        if not row.text("reason"):
            problems.append(
                text(
                    f"{row.cell('reason')}：请写明调整原因（变更批复）",
                    f"{row.cell('reason')}: give the reason (the approval of the change)",
                )
            )
            continue
        new = Target(
            old.indicator_id,
            old.category,
            old.name,
            value,
            row.text("unit_of_measure") or old.unit_of_measure,
            old.direction,
        )
        events.append(
            (
                "target_adjusted",
                {
                    "project_id": pid,
                    "old": old.to_json(),
                    "new": new.to_json(),
                    "reason": row.text("reason"),
                },
            )
        )
        current[pid] = project.with_target(new)
        done.append((pid, iid))
    if problems:
        raise DataError("\n".join(problems))
    library.append(events, at)
    return done
