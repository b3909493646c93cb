"""Step: bonus and deduction items (加减分), each capped, with caps on the totals."""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate, evaluate_condition
from .state import ScoringState


def apply_adjustments(state: ScoringState) -> None:
    scheme = state.scheme
    spec = scheme.model.adjustments
    bonus = np.zeros(state.size)
    deduction = np.zeros(state.size)
    for item in spec.items:
        points = scheme.adjustment_points[item.id]
        if isinstance(points, float):
            amount = np.full(state.size, points)
        else:
            amount = np.nan_to_num(evaluate(state, points).astype(float), nan=0.0)
        amount = np.maximum(amount, 0.0)  # the kind says the sign; a negative amount is no bonus
        if item.cap is not None:
            amount = np.minimum(amount, item.cap)
        when = scheme.adjustment_when[item.id]
        if when is not None:
            amount = np.where(evaluate_condition(state, when), amount, 0.0)
        state.adjustments[item.id] = amount if item.kind == "bonus" else -amount
        if item.kind == "bonus":
            bonus += amount
        else:
            deduction += amount
    if spec.bonus_cap is not None:
        bonus = np.minimum(bonus, spec.bonus_cap)
    if spec.deduction_cap is not None:
        deduction = np.minimum(deduction, spec.deduction_cap)
    state.values["bonus"] = bonus
    state.values["deduction"] = deduction
    state.values["score"] = state.values["base_score"] + bonus - deduction
    state.log["adjust"] = {"bonus_cap": spec.bonus_cap, "deduction_cap": spec.deduction_cap}
