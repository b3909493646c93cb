"""Step: evaluate the scheme's flags (e.g. 三率一度 thresholds) for vetoes, outcomes and reports."""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate_condition
from .state import ScoringState


def compute_flags(state: ScoringState) -> None:
    for name, expression in state.scheme.flags.items():
        state.values[name] = evaluate_condition(state, expression).astype(object)
    state.log["flags"] = {
        name: int(np.sum(state.values[name].astype(bool))) for name in state.scheme.flags
    }
