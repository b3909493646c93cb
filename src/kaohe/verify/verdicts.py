"""Verdicts on an estimate against its threshold: pass, fail, or inconclusive.

A sampled rate is judged by its confidence interval, not its point: a rate that must stay below
2% passes when the whole interval lies below 2%, fails when the whole interval lies at or above
it, and is inconclusive when the interval straddles it (more households must be checked). A rate
that is not sampled (a registry ratio) has no interval and is judged by its value.

Verdicts are data values in Chinese, like the field checks' own (正确/错评/错退/漏评), so a scheme
can write ``wrong_exit_verdict = '不达标'``.
"""

from __future__ import annotations

import math
from typing import Literal

from ..i18n import text

PASS, FAIL, INCONCLUSIVE, NO_DATA = "达标", "不达标", "不确定", "无样本"
VERDICT_EN = {PASS: "pass", FAIL: "fail", INCONCLUSIVE: "inconclusive", NO_DATA: "no data"}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def meets(
    value: float | None, bound: float, direction: Literal["max", "min"], strict: bool
) -> bool | None:
    """Whether a value respects the bound: ≤ (or <) a max, ≥ (or >) a min; None when missing."""
    if _missing(value):
        return None
    if direction == "max":
        return value < bound if strict else value <= bound
    return value > bound if strict else value >= bound


def verdict(
    low: float | None,
    high: float | None,
    bound: float,
    direction: Literal["max", "min"],
    strict: bool,
) -> str:
    """达标 when the whole interval [low, high] meets the bound, 不达标 when none of it does, else
    不确定. Pass ``low == high == value`` for a figure without sampling error."""
    if _missing(low) or _missing(high):
        return NO_DATA
    if meets(high if direction == "max" else low, bound, direction, strict):
        return PASS
    if not meets(low if direction == "max" else high, bound, direction, strict):
        return FAIL
    return INCONCLUSIVE


def verdict_label(code: str) -> str:
    """The verdict in the user's language."""
    return text(code, VERDICT_EN.get(code, code))
