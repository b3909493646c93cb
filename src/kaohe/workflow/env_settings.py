"""Settings read from the environment (``KAOHE_…`` variables): a whole number, or a clear error
naming the variable and what it should hold."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import KaoheError
from ..i18n import text


def whole_number(
    name: str, default: int, minimum: int = 0, environ: Mapping[str, str] | None = None
) -> int:
    """``$name`` as an integer of at least ``minimum``; ``default`` when unset or empty."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise KaoheError(
            text(
                f"环境变量 {name}={raw!r} 应为不小于 {minimum} 的整数（默认 {default}）",
                f"the environment variable {name}={raw!r} must be a whole number of at least "
                f"{minimum} (default {default})",
            )
        )
    return value
