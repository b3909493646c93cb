"""Step: outcomes (结果应用) — each rule whose condition holds adds its actions to the unit.

A rule applies to the units of its ``status`` only: rewards and sanctions come from graded units,
and a withheld or failed unit receives only what the scheme asks of missing evidence.
"""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate_condition
from .state import ScoringState


def decide_outcomes(state: ScoringState) -> None:
    state.actions = [[] for _ in state.units]
    status = state.values["status"]
    for rule, when in zip(state.scheme.model.outcomes, state.scheme.outcomes, strict=True):
        applies = evaluate_condition(state, when) & (status == rule.status)
        for i in np.flatnonzero(applies):
            for action in rule.actions:
                ((kind, params),) = action.items()
                state.actions[i].append({"action": kind, **(params or {})})
