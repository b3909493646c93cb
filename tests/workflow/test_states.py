"""The cycle's state machine, without a database."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.workflow.errors import Forbidden, WrongState
from kaohe.workflow.roles import ROLES
from kaohe.workflow.states import (
    STATES,
    TRANSITIONS,
    is_locked,
    overdue,
    require_open,
    transition,
    transitions_from,
)

FORWARD = [s.id for s in STATES]


def test_the_forward_path_and_who_may_take_each_step():
    who = {
        "published": "admin",
        "submission": "assessor",
        "verification": "assessor",
        "computation": "assessor",
        "review": "reviewer",
        "approval": "approver",
        "publication": "admin",
        "feedback": "assessor",
        "outcomes": "admin",
    }
    state = "published"
    for target in FORWARD[1:]:
        state = transition(state, target, who[state]).target
    assert state == "closed"


def test_only_the_approver_approves_and_nobody_skips_a_step():
    with pytest.raises(Forbidden):
        transition("approval", "publication", "admin")
    with pytest.raises(Forbidden):
        transition("approval", "publication", "reviewer")
    with pytest.raises(WrongState):
        transition("submission", "publication", "admin")
    assert [t.target for t in transitions_from("review", "reviewer")] == ["approval", "computation"]
    assert transitions_from("review", "province") == []


def test_data_is_locked_from_approval_on():
    assert [s.id for s in STATES if is_locked(s.id)] == [
        "publication",
        "feedback",
        "outcomes",
        "closed",
    ]


def test_work_of_a_state_only_in_that_state_and_until_its_deadline():
    deadlines = {"submission": "2020-01-31"}
    require_open("submission", "submission", deadlines, dt.date(2020, 1, 31))
    with pytest.raises(WrongState, match="2020-01-31"):
        require_open("submission", "submission", deadlines, dt.date(2020, 2, 1))
    with pytest.raises(WrongState):
        require_open("verification", "submission", {}, dt.date(2020, 1, 1))
    assert overdue("submission", deadlines, dt.date(2020, 2, 1))
    assert not overdue("verification", deadlines, dt.date(2030, 1, 1))


@given(st.lists(st.tuples(st.sampled_from(FORWARD), st.sampled_from(sorted(ROLES))), max_size=60))
def test_once_approved_a_cycle_never_becomes_editable_again(attempts):
    state, locked = "published", False
    for target, role in attempts:
        try:
            step = transition(state, target, role)
        except (Forbidden, WrongState):
            continue
        assert role in step.roles
        state = target
        locked = locked or is_locked(state)
        assert is_locked(state) == locked  # no transition leads back before approval


def test_every_transition_names_known_states_and_roles():
    ids = {s.id for s in STATES}
    for t in TRANSITIONS:
        assert t.source in ids and t.target in ids and t.roles <= set(ROLES)
