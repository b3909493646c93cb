"""The scoring pipeline: small pure steps in a fixed order, each its own module.

Like sqlglot's optimizer RULES: to see what scoring does, read this tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .adjust import apply_adjustments
from .aggregate import aggregate_tree
from .coverage import check_coverage
from .flags import compute_flags
from .grade import assign_grades
from .indicators import compute_indicators
from .normalize import normalize_indicators
from .outcome_rules import decide_outcomes
from .rank import assign_ranks
from .state import ScoringState
from .status import decide_status
from .veto import apply_vetoes

Step = Callable[[ScoringState], None]

STEPS: tuple[Step, ...] = (
    compute_indicators,  # measures + attributes → indicator values and targets
    compute_flags,  # named conditions (e.g. 三率一度 thresholds)
    normalize_indicators,  # values → normalized scores by each indicator's rule
    check_coverage,  # enough evidence? (e.g. checked households) else not backed / withheld
    aggregate_tree,  # weighted tree → base score and completeness; missing data by node policy
    apply_adjustments,  # bonus and deduction items → final score
    apply_vetoes,  # one-vote vetoes, applied to the grade; undetermined ones withhold
    decide_status,  # graded, withheld (不予评定) or failed: only graded units are scored on
    assign_ranks,  # overall and peer-group ranks
    assign_grades,  # bands / peer mean ± k·sd / quantiles / top-N, then vetoes
    decide_outcomes,  # actions triggered by the results
)


def score(state: ScoringState, steps: Sequence[Step] = STEPS) -> ScoringState:
    """Run ``steps`` in order on ``state``: all of STEPS for a run; a caller that re-scores part
    of a run (e.g. one Monte Carlo draw) passes a part of STEPS itself, never its own copy."""
    order = [STEPS.index(step) if step in STEPS else -1 for step in steps]
    if min(order, default=0) < 0 or order != sorted(set(order)):
        # a private list or another order would be a second scoring path, out of step with this one
        raise ValueError("score(): steps must be taken from STEPS, once each, in STEPS' order")
    for step in steps:
        step(state)
    return state
