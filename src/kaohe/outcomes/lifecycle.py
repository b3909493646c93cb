"""The lifecycle of findings and rectifications (问题与整改), as a plain state machine.

Pure: no files, no clock. The ledger (outcomes/ledger.py) stores events; the current state of
every tracked item and every issued action is ``fold(events)``. The web platform can import this
module and fold the same events.

An item (a finding or a rectification) moves through::

    open ──evidence_submitted──▶ submitted ──verified──▶ closed
      │                            │
      │                            └──verification_failed──▶ open
      └──marked_overdue──▶ overdue ──escalated──▶ escalated
                              └──────────┴──evidence_submitted──▶ submitted

``reassigned`` changes the owner of an item that is not closed; ``closed`` is final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..i18n import text

# status → Chinese and English names
STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待整改", "open"),
    "submitted": ("已提交佐证", "evidence submitted"),
    "closed": ("已验收销号", "verified and closed"),
    "overdue": ("逾期", "overdue"),
    "escalated": ("已升级处理", "escalated"),
}
UNRESOLVED = ("open", "submitted", "overdue", "escalated")
KINDS: dict[str, tuple[str, str]] = {
    "rectification": ("整改", "rectification"),
    "finding": ("问题", "finding"),
}

# (status, event kind) → the next status
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "evidence_submitted"): "submitted",
    ("open", "marked_overdue"): "overdue",
    ("submitted", "verified"): "closed",
    ("submitted", "verification_failed"): "open",
    ("overdue", "evidence_submitted"): "submitted",
    ("overdue", "escalated"): "escalated",
    ("escalated", "evidence_submitted"): "submitted",
}
# events that touch an item without moving it
KEEPING = ("reassigned",)
ITEM_EVENTS = ("item_opened", *{kind for _, kind in TRANSITIONS}, *KEEPING)
EVENT_KINDS = ("action_issued", *ITEM_EVENTS)
# event kind → Chinese and English names (a ledger's file and the command line use the kinds)
EVENTS: dict[str, tuple[str, str]] = {
    "action_issued": ("登记结果应用", "outcome action issued"),
    "item_opened": ("登记事项", "item opened"),
    "evidence_submitted": ("提交整改佐证", "submit evidence"),
    "marked_overdue": ("标记逾期", "mark overdue"),
    "verified": ("验收销号", "verify and close"),
    "verification_failed": ("验收不通过、退回整改", "send back after verification"),
    "escalated": ("升级处理", "escalate"),
    "reassigned": ("变更责任单位", "reassign"),
}


class LifecycleError(ValueError):
    """An event that the lifecycle does not allow (the message says what is allowed)."""


def status_name(status: str) -> str:
    zh, en = STATUSES.get(status, (status, status))
    return text(zh, en)


def event_name(event: str) -> str:
    zh, en = EVENTS.get(event, (event, event))
    return text(zh, en)


def allowed_events(status: str) -> list[str]:
    """The events an item in ``status`` may take."""
    allowed = sorted(kind for (state, kind) in TRANSITIONS if state == status)
    return allowed + (list(KEEPING) if status != "closed" else [])


def refusal(status: str, event: str) -> str:
    """Why ``event`` cannot happen to an item in ``status``, in words only (for the platform's
    pages; ``next_status`` names the kinds as a ledger's events write them)."""
    allowed = [event_name(kind) for kind in allowed_events(status)]
    return text(
        f"状态为“{status_name(status)}”的事项不能“{event_name(event)}”；"
        f"可以：{'、'.join(allowed) or '（无，已销号）'}",
        f"an item that is {status_name(status)} cannot take this step ({event_name(event)}); "
        f"possible: {', '.join(allowed) or 'nothing (it is closed)'}",
    )


def next_status(status: str, event: str) -> str:
    """The status after ``event``; ``LifecycleError`` if the event is not allowed now."""
    if event in KEEPING:
        if status == "closed":
            raise LifecycleError(
                text("已销号的事项不能再更改", "a closed item cannot be changed any more")
            )
        return status
    if (status, event) not in TRANSITIONS:
        allowed = allowed_events(status)
        raise LifecycleError(
            text(
                f"状态为“{STATUSES[status][0]}”的事项不能“{EVENTS.get(event, (event,))[0]}”"
                f"（{event}）；可以："
                f"{'、'.join(f'{EVENTS[kind][0]}（{kind}）' for kind in allowed) or '（无，已销号）'}",
                f"an item that is {STATUSES[status][1]} cannot take {event}; "
                f"allowed: {', '.join(allowed) or '(nothing: it is closed)'}",
            )
        )
    return TRANSITIONS[(status, event)]


@dataclass(frozen=True)
class Step:
    """One event in an item's history."""

    seq: int
    at: str
    kind: str
    actor: str
    note: str = ""


@dataclass(frozen=True)
class Item:
    """A finding or rectification and where it stands."""

    id: str
    kind: str  # rectification | finding
    unit: str
    unit_name: str
    title: str
    basis: str  # what raised it: "action:rectify", "veto:fabrication", "flag:arrears" …
    scheme: str
    period: str
    owner: str
    deadline: dt.date
    status: str
    opened_at: str
    evidence: tuple[str, ...] = ()
    escalated_to: str | None = None
    history: tuple[Step, ...] = ()
    # a project's audit finding (outcomes/project_findings.py): the project, the kind of problem
    # (an id of outcomes/audit_kinds.yaml) and the amount concerned
    project: str | None = None
    problem: str | None = None
    amount_yuan: float | None = None

    def overdue_on(self, day: dt.date) -> bool:
        """Past its deadline on ``day`` with nothing submitted (or sent back) in time."""
        return self.status in ("open", "overdue", "escalated") and self.deadline < day

    def days_overdue(self, day: dt.date) -> int:
        return (day - self.deadline).days if self.overdue_on(day) else 0


@dataclass(frozen=True)
class IssuedAction:
    """An outcome action issued to a unit (commendation, fiscal reward, interview …)."""

    id: str
    unit: str
    unit_name: str
    action: str  # a kind from kaohe.scheme.actions.ACTIONS
    params: dict[str, Any]
    scheme: str
    period: str
    grade: str | None
    at: str


@dataclass
class LedgerState:
    """Every item and action, as of the last event folded."""

    items: dict[str, Item] = field(default_factory=dict)
    actions: dict[str, IssuedAction] = field(default_factory=dict)
    last_seq: int = 0


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def apply(state: LedgerState, event: dict[str, Any]) -> None:
    """Fold one event into ``state`` (in place); ``LifecycleError`` if it is not allowed.

    Events are dicts: ``{seq, at, actor, kind, data}`` (see outcomes/ledger.py).
    """
    kind, data = event["kind"], event.get("data") or {}
    seq, at, actor = int(event["seq"]), str(event["at"]), str(event.get("actor") or "")
    if kind == "action_issued":
        if data["id"] in state.actions:
            raise LifecycleError(
                text(f"结果应用 {data['id']} 已登记", f"action {data['id']} is already recorded")
            )
        state.actions[data["id"]] = IssuedAction(
            id=data["id"],
            unit=data["unit"],
            unit_name=data.get("unit_name", data["unit"]),
            action=data["action"],
            params=dict(data.get("params") or {}),
            scheme=data.get("scheme", ""),
            period=data.get("period", ""),
            grade=data.get("grade"),
            at=at,
        )
    elif kind == "item_opened":
        if data["id"] in state.items:
            raise LifecycleError(
                text(f"事项 {data['id']} 已登记", f"item {data['id']} is already open")
            )
        state.items[data["id"]] = Item(
            id=data["id"],
            kind=data["kind"],
            unit=data["unit"],
            unit_name=data.get("unit_name", data["unit"]),
            title=data["title"],
            basis=data.get("basis", ""),
            scheme=data.get("scheme", ""),
            period=data.get("period", ""),
            owner=data.get("owner", ""),
            deadline=_date(data["deadline"]),
            status="open",
            opened_at=at,
            history=(Step(seq, at, kind, actor, data.get("note", "")),),
            project=data.get("project"),
            problem=data.get("problem"),
            amount_yuan=data.get("amount_yuan"),
        )
    elif kind in ITEM_EVENTS:
        item = state.items.get(data.get("item", ""))
        if item is None:
            raise LifecycleError(
                text(f"没有事项 {data.get('item')}", f"there is no item {data.get('item')}")
            )
        status = next_status(item.status, kind)
        changes: dict[str, Any] = {"status": status}
        if kind == "evidence_submitted":
            changes["evidence"] = item.evidence + tuple(data.get("evidence") or ())
        elif kind == "escalated":
            changes["escalated_to"] = data.get("to")
        elif kind == "reassigned":
            changes["owner"] = data["owner"]
        step = Step(seq, at, kind, actor, data.get("note", ""))
        state.items[item.id] = replace(item, history=item.history + (step,), **changes)
    else:
        raise LifecycleError(text(f"未知事件 {kind}", f"unknown event {kind}"))
    state.last_seq = seq


def fold(events: Iterable[dict[str, Any]]) -> LedgerState:
    """The state after every event, in order."""
    state = LedgerState()
    for event in events:
        apply(state, event)
    return state


def due_for_overdue(state: LedgerState, day: dt.date) -> list[Item]:
    """Open items whose deadline passed before ``day`` (to be marked overdue)."""
    return [
        item
        for item in sorted(state.items.values(), key=lambda i: i.id)
        if item.status == "open" and item.deadline < day
    ]
