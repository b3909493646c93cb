"""Step: outcomes (结果应用) — each rule whose condition holds adds its actions to the unit."""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate_condition
from .state import ScoringState


def decide_outcomes(state: ScoringState) -> None:
    state.actions = [[] for _ in state.units]
    for rule, when in zip(state.scheme.model.outcomes, state.scheme.outcomes, strict=True):
        for i in np.flatnonzero(evaluate_condition(state, when)):
            for action in rule.actions:
                ((kind, params),) = action.items()
                state.actions[i].append({"action": kind, **(params or {})})
