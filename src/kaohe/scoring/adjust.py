"""Step: bonus and deduction items (加减分), each capped, with caps on the totals.

Missing evidence earns no bonus; but a deduction that cannot be computed (its inputs are missing)
withholds the grade, or a unit would gain points from the gap in its data.
"""

from __future__ import annotations

import numpy as np

from ..i18n import Bilingual
from .evaluate import evaluate, evaluate_truth
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
            amount = evaluate(state, points).astype(float)
        unknown = np.isnan(amount)
        amount = np.maximum(np.nan_to_num(amount, nan=0.0), 0.0)  # the kind says the sign
        if item.cap is not None:
            amount = np.minimum(amount, item.cap)
        when = scheme.adjustment_when[item.id]
        if when is not None:
            holds, unknown_when = evaluate_truth(state, when)
            unknown = (unknown & ~(~holds & ~unknown_when)) | unknown_when
            amount = np.where(holds, amount, 0.0)
        if item.kind == "deduction":
            for i in np.flatnonzero(unknown):
                state.withhold(
                    int(i),
                    Bilingual(
                        f"减分项“{item.label or item.id}”无法计算（所需数据缺失）",
                        f"the deduction '{item.label_en or item.label or item.id}' cannot be "
                        "computed (data missing)",
                    ),
                )
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
