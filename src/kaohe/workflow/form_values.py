"""Form fields with a fixed set of values (是/否 answers, decisions, verdicts, states, roles),
and form fields holding an amount.

A browser sends one of the values the form offers; anything else (是 where the form sends yes, a
typo, another spelling) comes from a hand-made request or an outdated page, and must not be read
as one of the choices — ``answer == "yes"`` once stored 是 as "no". Every router reads such a
field through ``Choice.of`` (or ``Choice.yes``), which refuses any other value with a message
naming the field (HTTP 400), before anything is stored. An amount is read through
``Amount.of``: Python's ``float`` also reads "inf", "1e309" and "nan", which are no amount, cannot
be compared or summed, and are not JSON (the audit log records what is saved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import text
from .errors import Invalid
from .roles import ROLES
from .states import BY_ID
from .verification import VERDICTS

YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Choice:
    """A form field and the only values it accepts."""

    field: str  # the form field's name
    label: str
    label_en: str
    values: tuple[str, ...]

    def of(self, value: str) -> str:
        """``value`` if it is one of the field's values; ``Invalid`` otherwise."""
        if value in self.values:
            return value
        raise Invalid(
            text(
                f"“{self.label}”（{self.field}）只能是 {'、'.join(self.values)} 之一，"
                f"不能是 {value!r}；未保存任何内容",
                f"{self.label_en} ({self.field}) must be one of {', '.join(self.values)}, "
                f"not {value!r}; nothing was saved",
            )
        )

    def yes(self, value: str) -> bool:
        """A yes/no field's answer."""
        return self.of(value) == "yes"


def finite_number(raw: str) -> float | None:
    """``raw`` as a finite number, or None when it is not one (text, inf, nan, 1e309)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Amount:
    """A form field holding a finite decimal number, or nothing."""

    field: str
    label: str
    label_en: str

    def of(self, raw: str) -> float | None:
        """None for a blank field; the number; ``Invalid`` for anything else (inf, nan …)."""
        if not raw.strip():
            return None
        value = finite_number(raw)
        if value is None:
            raise Invalid(
                text(
                    f"“{self.label}”（{self.field}）应为数字，而不是 {raw!r}；未保存任何内容",
                    f"{self.label_en} ({self.field}) must be a number, not {raw!r}; "
                    "nothing was saved",
                )
            )
        return value


VERDICT = Choice("verdict", "核查结论", "verdict", VERDICTS)
RECOGNIZES = Choice(
    "recognizes", "农户认可识别/退出结果", "household recognizes the result", YES_NO
)
SATISFIED_TEAM = Choice(
    "satisfied_team", "对驻村工作队满意", "satisfied with the village team", YES_NO
)
SATISFIED_CADRE = Choice(
    "satisfied_cadre", "对帮扶干部满意", "satisfied with the paired cadre", YES_NO
)
APPEAL_DECISION = Choice("decision", "申诉决定", "decision on the appeal", ("accept", "reject"))
RECTIFICATION_DECISION = Choice(
    "decision", "整改核实结论", "decision on the rectification", ("close", "reopen")
)
ACCOUNT_ACTIVE = Choice("active", "账号启用", "account enabled", YES_NO)
PRELIMINARY = Choice("preliminary", "初步结果", "preliminary run", YES_NO)
TARGET_STATE = Choice("target", "目标状态", "target state", tuple(BY_ID))
ROLE = Choice("role", "角色", "role", tuple(ROLES))
INCOME_VERIFIED = Amount("income_verified", "核实人均纯收入（元）", "verified income per person")
