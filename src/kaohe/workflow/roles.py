"""Roles, permissions and scope. Every page and API call asks ``require(actor, permission)`` and
then checks the object itself with ``require_unit`` / ``require_team``: server-side, object by
object.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import text
from ..store.models import Unit, User
from .errors import Forbidden

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("国家管理员", "national administrator"),
    "assessor": ("考核人员", "assessor"),
    "province": ("省级填报员", "provincial officer"),
    "county": ("县级填报员", "county officer"),
    "verifier": ("第三方评估人员", "third-party verifier"),
    "reviewer": ("审核人员", "reviewer"),
    "approver": ("审定人员", "approver"),
    "finance": ("财政人员", "finance officer"),
    "regulator": ("金融监管人员", "regulator"),
    "auditor": ("审计人员", "auditor"),
}

_ALL = frozenset(ROLES)
_OFFICE = frozenset({"admin", "assessor", "reviewer", "approver", "auditor"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard": _ALL,
    "cycle.create": frozenset({"admin"}),
    "cycle.deadlines": frozenset({"admin"}),
    "submission.view": _ALL - {"verifier"},
    "submission.upload": frozenset(
        {"admin", "assessor", "province", "county", "finance", "regulator"}
    ),
    "verification.view": frozenset({"admin", "assessor", "verifier", "reviewer", "auditor"}),
    "verification.record": frozenset({"admin", "verifier"}),
    "verification.assign": frozenset({"admin", "assessor"}),
    # Before publication only the national office sees results; afterwards every party does.
    "results.view": _ALL - {"verifier"},
    "results.view.unpublished": _OFFICE,
    "results.compute": frozenset({"admin", "assessor"}),
    # The source records behind a measure: the offices, and units for their own subtree.
    "records.view": _ALL - {"verifier"},
    "finding.view": _ALL - {"verifier"},
    "finding.create": frozenset({"admin", "assessor"}),
    "appeal.create": frozenset({"province", "county", "finance", "regulator"}),
    # 省级自评: a province enters its own (scope: its own unit only), the administrator any;
    # whoever sees the unit reads it.
    "self_evaluation.view": _ALL - {"verifier"},
    "self_evaluation.submit": frozenset({"admin", "province"}),
    "appeal.decide": frozenset({"admin", "reviewer"}),
    "rectification.view": _ALL,
    "rectification.create": frozenset({"admin", "assessor"}),
    "rectification.evidence": frozenset({"province", "county", "finance", "regulator"}),
    "rectification.verify": frozenset({"admin", "assessor", "verifier"}),
    "audit.view": frozenset({"admin", "auditor"}),
    "token.manage": frozenset({"admin"}),
    "user.manage": frozenset({"admin"}),
    "data.push": frozenset({"admin", "assessor", "province", "county", "finance", "regulator"}),
}


def role_label(role: str) -> str:
    zh, en = ROLES[role]
    return text(zh, en)


@dataclass(frozen=True)
class Actor:
    """Who is acting, with what they may see: a unit subtree, a team, or a kind of unit."""

    user_id: int
    username: str
    role: str
    unit_code: str | None = None
    unit_path: str | None = None
    team_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            role=user.role,
            unit_code=user.unit_code,
            unit_path=user.unit.path if user.unit is not None else None,
            team_id=user.team_id,
        )

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def sees_unit(self, unit: Unit) -> bool:
        """Whether ``unit`` lies in this actor's scope."""
        if self.role in ("province", "county"):
            return self.unit_path is not None and unit.path.startswith(self.unit_path)
        if self.role == "regulator":
            return unit.kind == "bank"
        if self.role == "finance":
            return unit.kind == "region"
        # verifiers see households through their team's assignments only
        return self.role != "verifier"


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        # the permission's id (``user.manage``) means nothing to the user: the role says why
        raise Forbidden(
            text(
                f"{role_label(actor.role)}无权进行此操作",
                f"{role_label(actor.role)}s may not do this",
            )
        )


def require_unit(actor: Actor, unit: Unit) -> None:
    if not actor.sees_unit(unit):
        raise Forbidden(
            text(
                f"单位 {unit.code} {unit.name} 不在您的管辖范围内",
                f"unit {unit.code} {unit.name} is outside your scope",
            )
        )


def require_team(actor: Actor, team_id: int | None) -> None:
    if actor.role == "verifier" and actor.team_id != team_id:
        raise Forbidden(
            text("该核查任务未分配给您的评估组", "this item is not assigned to your team")
        )
