"""The straightforward Monte Carlo: one draw at a time through the scoring steps themselves.

Kept out of ``src`` on purpose. It is what a first implementation would do — copy the scheme
with the draw's weights and methods, put the draw's sampled values into the state, and run
``normalize → aggregate → adjust → flags → veto → rank → grade`` for every draw — and it serves
two ends: the benchmark's baseline for the vectorized engine (``kaohe.sensitivity.rescoring``),
and an independent check that both give the same ranks and grades for the same draws
(tests/sensitivity/test_loop_agrees.py).
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np

from kaohe.scheme import model as m
from kaohe.scheme.tree import TreeNode
from kaohe.scoring import ScoringState
from kaohe.scoring.adjust import apply_adjustments
from kaohe.scoring.aggregate import aggregate_tree
from kaohe.scoring.flags import compute_flags
from kaohe.scoring.grade import assign_grades
from kaohe.scoring.normalize import normalize_indicators
from kaohe.scoring.rank import assign_ranks
from kaohe.scoring.veto import apply_vetoes
from kaohe.sensitivity.draws import Rows
from kaohe.sensitivity.settings import Settings

STEPS = (
    normalize_indicators,
    aggregate_tree,
    apply_adjustments,
    compute_flags,
    apply_vetoes,
    assign_ranks,
    assign_grades,
)
ALTERNATIVE_RULES = {
    "minmax": m.MinMax(method="minmax"),
    "percentile": m.PercentileRank(method="percentile"),
}


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
    order = scheme.model.grading.grades
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
            )
            for step in STEPS:
                step(draw)
            scores[r] = draw.values["score"]
            ranks[r] = draw.values["rank"]
            grades[r] = [order.index(g) if g is not None else -1 for g in draw.values["grade"]]
    return scores, ranks, grades
