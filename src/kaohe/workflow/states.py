"""The assessment cycle (考核周期) as a state machine: states in order, the transitions between
them and the roles allowed to make each. Plain Python, no database: the rules in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..i18n import text
from .errors import Forbidden, WrongState
from .roles import ROLES, role_label


@dataclass(frozen=True)
class State:
    id: str
    zh: str
    en: str

    @property
    def label(self) -> str:
        return text(self.zh, self.en)


STATES: tuple[State, ...] = (
    State("published", "考核办法发布", "scheme published"),
    State("submission", "自评与数据报送", "self-assessment and data submission"),
    State(
        "verification", "核查（交叉考核、第三方评估）", "verification (cross checks, field checks)"
    ),
    State("computation", "数据汇总与计算", "aggregation and computation"),
    State("review", "综合评价审核", "review"),
    State("approval", "审定", "approval"),
    State("publication", "结果发布", "publication"),
    State("feedback", "沟通反馈与申诉", "feedback and appeals"),
    State("outcomes", "结果应用与整改", "outcomes and rectification"),
    State("closed", "已关闭", "closed"),
)
BY_ID = {s.id: s for s in STATES}
ORDER = {s.id: i for i, s in enumerate(STATES)}

# Leaving "approval" forwards is the approval (审定): from then on results and data are locked.
LOCKED_FROM = "publication"

# Transitions that send the cycle's results on (review, approval, publication): they need an
# official run, never a preliminary one (``kaohe.workflow.platform_results.require_final``).
NEEDS_FINAL_RESULTS = frozenset(
    {("computation", "review"), ("review", "approval"), ("approval", "publication")}
)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: frozenset[str]
    zh: str
    en: str

    @property
    def label(self) -> str:
        return text(self.zh, self.en)


def _t(source: str, target: str, roles: str, zh: str, en: str) -> Transition:
    return Transition(source, target, frozenset(roles.split()), zh, en)


TRANSITIONS: tuple[Transition, ...] = (
    _t("published", "submission", "admin", "开始自评与报送", "open submissions"),
    _t("submission", "verification", "admin assessor", "截止报送，开始核查", "start verification"),
    _t(
        "verification",
        "computation",
        "admin assessor",
        "核查完成，开始汇总计算",
        "start computation",
    ),
    _t("computation", "review", "admin assessor", "提交审核", "submit for review"),
    _t("review", "approval", "reviewer", "审核通过，提交审定", "pass review, submit for approval"),
    _t("review", "computation", "reviewer", "退回重新计算", "send back for recomputation"),
    _t("approval", "publication", "approver", "审定通过", "approve (审定)"),
    _t("approval", "review", "approver", "退回审核", "return to review"),
    _t("publication", "feedback", "admin", "发布结果，开始沟通反馈", "publish, open feedback"),
    _t("feedback", "outcomes", "admin assessor", "结束反馈，进入结果应用与整改", "close feedback"),
    _t("outcomes", "closed", "admin", "关闭考核周期", "close the cycle"),
)


def is_locked(state: str) -> bool:
    """Approved: results, submissions and verification records may no longer change."""
    return ORDER[state] >= ORDER[LOCKED_FROM]


def transitions_from(state: str, role: str | None = None) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state and (role is None or role in t.roles)]


def transition(state: str, target: str, role: str) -> Transition:
    """The transition from ``state`` to ``target`` if ``role`` may make it; raise otherwise."""
    if state not in BY_ID or target not in BY_ID:
        raise WrongState(
            text(f"未知的状态：{state} → {target}", f"unknown state: {state} → {target}")
        )
    for candidate in TRANSITIONS:
        if candidate.source == state and candidate.target == target:
            if role not in candidate.roles:
                who = role_label(role) if role in ROLES else role
                raise Forbidden(
                    text(f"{who}不能执行“{candidate.zh}”", f"{who}s may not {candidate.en}")
                )
            return candidate
    raise WrongState(
        text(
            f"考核周期不能从“{BY_ID[state].zh}”直接转到“{BY_ID[target].zh}”",
            f"a cycle cannot go from {BY_ID[state].en} to {BY_ID[target].en}",
        )
    )


def require_open(state: str, needed: str, deadlines: dict[str, str], today: dt.date) -> None:
    """Work that belongs to state ``needed`` (uploads, appeals …) is allowed only in that state and
    up to its deadline (inclusive)."""
    if state != needed:
        raise WrongState(
            text(
                f"当前阶段是“{BY_ID[state].zh}”，此操作只能在“{BY_ID[needed].zh}”阶段进行",
                f"the cycle is in {BY_ID[state].en}; this is only possible during "
                f"{BY_ID[needed].en}",
            )
        )
    due = deadlines.get(needed)
    if due and today > dt.date.fromisoformat(due):
        raise WrongState(
            text(
                f"“{BY_ID[needed].zh}”阶段已于 {due} 截止；如需延期请联系国家管理员",
                f"the deadline of {BY_ID[needed].en} was {due}; ask the national administrator "
                "to extend it",
            )
        )


def overdue(state: str, deadlines: dict[str, str], today: dt.date) -> bool:
    due = deadlines.get(state)
    return bool(due) and today > dt.date.fromisoformat(due)
