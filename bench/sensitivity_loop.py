"""The straightforward Monte Carlo: one draw at a time through the scoring steps themselves.

Kept out of ``src`` on purpose. It is what a first implementation would do — copy the scheme
with the draw's weights and methods, put the draw's sampled values into the state, and run the
run's own steps after the indicator values (``DRAW_STEPS``: flags → normalize → coverage →
aggregate → adjust → veto → status → rank → grade, a part of ``kaohe.scoring.STEPS``) for every
draw — and it serves two ends: the benchmark's baseline for the vectorized engine
(``kaohe.sensitivity.rescoring``), and an independent check that both give the same ranks and
grades for the same draws (tests/sensitivity/test_loop_agrees.py).
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np

from kaohe.scheme.tree import TreeNode
from kaohe.scoring import STEPS, ScoringState, score
from kaohe.scoring.flags import compute_flags
from kaohe.scoring.grade import Grader, assign_grades
from kaohe.scoring.rank import NO_RANK
from kaohe.sensitivity.draws import Rows
from kaohe.sensitivity.settings import ALTERNATIVE_RULES, Settings

# A draw changes indicator values, not the data they come from: every step after the indicators
# runs again (outcomes are not compared, so they are left out).
DRAW_STEPS = STEPS[STEPS.index(compute_flags) : STEPS.index(assign_grades) + 1]


def _tree(node: TreeNode, shares: dict[str, np.ndarray], aggregate: str | None) -> TreeNode:
    if node.indicator:
        return node
    return dataclasses.replace(
        node,
        aggregate=aggregate or node.aggregate,
        shares=tuple(float(s) for s in shares[node.id]) if node.id in shares else node.shares,
        children=tuple(_tree(child, shares, aggregate) for child in node.children),
    )


def score_rows_by_loop(
    state: ScoringState, settings: Settings, rows: Rows, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, ranks and grade indices of the first ``limit`` rows, one draw at a time."""
    scheme = state.scheme
    grader = Grader(state)
    count = rows.count if limit is None else min(limit, rows.count)
    scores = np.empty((count, state.size))
    ranks = np.empty((count, state.size), dtype=np.int32)
    grades = np.empty((count, state.size), dtype=np.int8)
    with duckdb.connect() as con:
        for r in range(count):
            model = scheme.model
            normalization = 0 if rows.normalization is None else int(rows.normalization[r])
            if normalization:
                rule = ALTERNATIVE_RULES[settings.normalizations[normalization - 1]]
                indicators = {
                    name: indicator.model_copy(update={"score": rule})
                    for name, indicator in model.indicators.items()
                }
                model = model.model_copy(update={"indicators": indicators})
            aggregation = 0 if rows.aggregation is None else int(rows.aggregation[r])
            method = settings.aggregations[aggregation - 1] if aggregation else None
            shares = {node: weights[r] for node, weights in rows.weights.items()}
            draw_scheme = dataclasses.replace(
                scheme, model=model, tree=_tree(scheme.tree, shares, method)
            )
            values = dict(state.values)
            for name, drawn in rows.values.items():
                values[name] = drawn[r].copy()
            draw = ScoringState(
                scheme=draw_scheme,
                units=state.units,
                names=state.names,
                values=values,
                con=con,
                targets=state.targets,
                intervals=state.intervals,
                # what the indicator step found (e.g. a division by zero) holds in every draw
                failed=[list(reasons) for reasons in state.failed],
            )
            score(draw, steps=DRAW_STEPS)
            scores[r] = draw.values["score"]
            ranks[r] = np.nan_to_num(draw.values["rank"], nan=NO_RANK)
            grades[r] = grader.indices(draw.values["grade"])
    return scores, ranks, grades
