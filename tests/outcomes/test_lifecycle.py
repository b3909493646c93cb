"""The rectification lifecycle (outcomes/lifecycle.py): a plain state machine, folded from events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.outcomes.lifecycle import (
    KEEPING,
    STATUSES,
    TRANSITIONS,
    LifecycleError,
    due_for_overdue,
    fold,
    next_status,
)

ITEM_KINDS = sorted({kind for _, kind in TRANSITIONS} | set(KEEPING))


def opened(seq=1, ident="r-1", deadline="2020-05-30"):
    return {
        "seq": seq,
        "at": "2020-03-01T09:00:00+08:00",
        "actor": "t",
        "kind": "item_opened",
        "data": {"id": ident, "kind": "rectification", "unit": "130000", "unit_name": "河北省",
                 "title": "整改", "deadline": deadline, "scheme": "s", "period": "2019"},
    }  # fmt: skip


def event(seq, kind, ident="r-1", **data):
    payload = {"item": ident, **data}
    if kind == "reassigned":
        payload.setdefault("owner", "新责任单位")
    return {"seq": seq, "at": f"2020-04-{seq:02d}T09:00:00+08:00", "actor": "t", "kind": kind,
            "data": payload}  # fmt: skip


def test_the_happy_path_and_the_way_back():
    state = fold(
        [
            opened(),
            event(2, "evidence_submitted", evidence=["报告.pdf"]),
            event(3, "verification_failed", note="佐证不足"),
            event(4, "evidence_submitted", evidence=["补充.pdf"]),
            event(5, "verified"),
        ]
    )
    item = state.items["r-1"]
    assert item.status == "closed"
    assert item.evidence == ("报告.pdf", "补充.pdf")
    assert [step.kind for step in item.history] == [
        "item_opened", "evidence_submitted", "verification_failed", "evidence_submitted", "verified",
    ]  # fmt: skip
    assert state.last_seq == 5


def test_overdue_escalated_then_rectified_late():
    state = fold(
        [
            opened(),
            event(2, "marked_overdue"),
            event(3, "escalated", to="纪检监察机关"),
            event(4, "reassigned", owner="河北省纪委"),
            event(5, "evidence_submitted"),
            event(6, "verified"),
        ]
    )
    item = state.items["r-1"]
    assert (item.status, item.escalated_to, item.owner) == ("closed", "纪检监察机关", "河北省纪委")


@pytest.mark.parametrize(
    ("status", "kind"),
    [("open", "verified"), ("open", "escalated"), ("submitted", "marked_overdue"),
     ("closed", "evidence_submitted"), ("closed", "reassigned"), ("escalated", "verified")],
)  # fmt: skip
def test_refused_transitions_say_what_is_allowed(status, kind):
    with pytest.raises(LifecycleError) as caught:
        next_status(status, kind)
    message = str(caught.value)
    assert "cannot" in message and ("allowed" in message or "closed" in message)


def test_overdue_is_judged_by_deadline_and_status():
    state = fold([opened(deadline="2020-05-30"), opened(2, "r-2", deadline="2020-08-30"),
                  event(3, "evidence_submitted", "r-2")])  # fmt: skip
    day = dt.date(2020, 9, 1)
    first, second = state.items["r-1"], state.items["r-2"]
    assert first.overdue_on(day) and first.days_overdue(day) == 94
    assert not second.overdue_on(day)  # submitted before its deadline: waiting for verification
    assert [i.id for i in due_for_overdue(state, day)] == ["r-1"]
    assert due_for_overdue(state, dt.date(2020, 5, 30)) == []  # due on the deadline, not before


@given(st.lists(st.sampled_from(ITEM_KINDS), max_size=25))
def test_any_sequence_of_events_keeps_the_machine_consistent(kinds):
    """Accepted events move along TRANSITIONS only; closed is final; the history records
    exactly the accepted events."""
    status, accepted = "open", ["item_opened"]
    events = [opened()]
    for kind in kinds:
        try:
            after = next_status(status, kind)
        except LifecycleError:
            assert status == "closed" or (status, kind) not in TRANSITIONS
            continue
        if kind not in KEEPING:
            assert TRANSITIONS[(status, kind)] == after
        else:
            assert after == status != "closed"
        status = after
        accepted.append(kind)
        events.append(event(len(events) + 1, kind))
    item = fold(events).items["r-1"]
    assert item.status == status in STATUSES
    assert [step.kind for step in item.history] == accepted
    if "verified" in accepted:
        assert accepted[-1] == "verified" and status == "closed"


def test_unknown_items_and_duplicates_are_refused():
    with pytest.raises(LifecycleError):
        fold([event(1, "verified", "nope")])
    with pytest.raises(LifecycleError):
        fold([opened(), opened(2)])
