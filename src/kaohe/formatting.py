"""How rates are shown, the same in results.xlsx, reports and the web.

A rate is declared in the scheme: an indicator or measure with ``unit_of_measure: "%"`` holds a
ratio (0.015) and is shown as a percentage ("1.50 %"; Excel number format ``0.00%``). A ratio is
never printed with a percent sign beside it ("0.015 %" would read as a hundred times smaller).
A difference of two rates declared in percentage points (``unit_of_measure: 百分点``) is a
difference of ratios too (0.0231) and is shown as "2.31 个百分点".
"""

from __future__ import annotations

import math
from typing import Any

from .i18n import text

RATE_UNITS = frozenset({"%", "％"})
POINT_UNITS = frozenset({"百分点", "个百分点", "pp", "percentage points"})
XLSX_PERCENT = "0.00%"  # Excel shows the ratio 0.015 as 1.50%


def _unit(unit_of_measure: Any) -> str:
    return str(unit_of_measure).strip() if unit_of_measure is not None else ""


def is_rate(unit_of_measure: Any) -> bool:
    """Whether an indicator or measure with this ``unit_of_measure`` is a ratio shown as %."""
    return _unit(unit_of_measure) in RATE_UNITS


def is_percentage_points(unit_of_measure: Any) -> bool:
    """Whether the value is a difference of ratios shown in percentage points."""
    return _unit(unit_of_measure) in POINT_UNITS


def _ratio(value: Any) -> float | str | None:
    """The value as a float; None when missing or not finite (NaN, inf). Text (from a CSV file)
    is read as a number; text that is not a number is returned as it is, to be shown as is."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value).strip() or None
    return number if math.isfinite(number) else None


def _hundredfold(ratio: float, decimals: int) -> str:
    shown = round(100 * ratio, decimals) + 0.0  # + 0.0: never "-0.00"
    return f"{shown:,.{decimals}f}"


def percent(ratio: Any, decimals: int = 2) -> str:
    """A ratio as a percentage: 0.015 → "1.50 %"; missing → "—"."""
    value = _ratio(ratio)
    if value is None or isinstance(value, str):
        return value or "—"
    return f"{_hundredfold(value, decimals)} %"


def percentage_points(ratio: Any, decimals: int = 2, lang: str | None = None) -> str:
    """A difference of ratios in percentage points: 0.0231 → "2.31 个百分点" ("2.31 pp").

    ``lang``: "zh" or "en" for a document in a chosen language (a report); default the user's."""
    value = _ratio(ratio)
    if value is None or isinstance(value, str):
        return value or "—"
    unit = ("pp" if lang == "en" else "个百分点") if lang else text("个百分点", "pp")
    return f"{_hundredfold(value, decimals)} {unit}"


def rate_text(
    value: Any, unit_of_measure: Any, decimals: int = 2, lang: str | None = None
) -> str | None:
    """The value shown as the rate its unit declares, or None when the unit is not a rate (the
    caller then shows the plain number with its unit)."""
    if is_rate(unit_of_measure):
        return percent(value, decimals)
    if is_percentage_points(unit_of_measure):
        return percentage_points(value, decimals, lang)
    return None
