"""Step: compute each indicator's value from measures and unit attributes, and its target."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..i18n import Bilingual, text
from .evaluate import evaluate
from .state import ScoringState


def compute_indicators(state: ScoringState) -> None:
    scheme = state.scheme
    for name, expression in scheme.indicators.items():
        values = evaluate(state, expression)
        if values.dtype != float:
            raise_non_numeric(state, name, values)
        # Division by zero gives ±inf in DuckDB: the data were there but the value cannot be
        # computed, so the unit's computation failed (a scheme avoids this with nullif).
        infinite = ~np.isfinite(values) & ~np.isnan(values)
        for i in np.flatnonzero(infinite):
            state.failed[i].append(
                Bilingual(
                    f"{name}：分母为零，无法计算（请在表达式中用 nullif 表明分母为零时的含义）",
                    f"{name}: division by zero, cannot be computed (use nullif in the "
                    "expression to say what a zero denominator means)",
                )
            )
        values[infinite] = np.nan
        state.values[name] = values
        if name in scheme.intervals:
            low, high = (evaluate(state, bound).astype(float) for bound in scheme.intervals[name])
            state.intervals[name] = (low, high)
        target = scheme.model.indicators[name].target
        if target is None:
            continue
        if isinstance(target, int | float):
            state.targets[name] = np.full(state.size, float(target))
        else:
            state.targets[name] = np.asarray(state.values[target.column], dtype=float)


def raise_non_numeric(state: ScoringState, name: str, values: np.ndarray) -> None:
    sample = next((v for v in values if v is not None), None)
    raise DataError(
        text(
            f"{state.scheme.file}：指标 {name} 的值不是数值（例如 {sample!r}）；请检查其表达式",
            f"{state.scheme.file}: indicator {name} is not numeric (e.g. {sample!r}); "
            "check its expression",
        )
    )
