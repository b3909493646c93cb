"""Step: evaluate the scheme's flags (e.g. 三率一度 thresholds) for vetoes, outcomes and reports.

A flag is true, false or unknown (None) when its inputs are missing: an unknown flag must reach
the vetoes as unknown, or a unit without evidence would escape them.
"""

from __future__ import annotations

from .evaluate import evaluate_truth, three_valued
from .state import ScoringState


def compute_flags(state: ScoringState) -> None:
    for name, expression in state.scheme.flags.items():
        state.values[name] = three_valued(*evaluate_truth(state, expression))
    state.log["flags"] = {
        name: int(sum(v is True for v in state.values[name])) for name in state.scheme.flags
    }
