"""Step: rank units by final score, overall and within the peer group (ties share a rank)."""

from __future__ import annotations

import numpy as np

from .state import ScoringState

# Scores equal to this many decimals tie: floating-point noise must not break a tie.
TIE_DECIMALS = 9


def competition_rank(scores: np.ndarray) -> np.ndarray:
    """1 for the best; tied scores share the better rank (1, 2, 2, 4).

    A unit without a score has no rank (NaN): ranking it last would claim a comparison that was
    never made.
    """
    rounded = np.round(scores, TIE_DECIMALS)
    missing = np.isnan(rounded)
    ascending = np.sort(rounded[~missing])
    greater = len(ascending) - np.searchsorted(ascending, rounded, side="right")
    return np.where(missing, np.nan, (1 + greater).astype(float))


def peer_groups(state: ScoringState) -> np.ndarray:
    column = state.scheme.model.grading.peer_group
    if column is None:
        return np.array(["" for _ in state.units], dtype=object)
    return np.array([v if v is not None else "" for v in state.values[column]], dtype=object)


def assign_ranks(state: ScoringState) -> None:
    scores = state.values["score"]
    state.values["rank"] = competition_rank(scores)
    groups = peer_groups(state)
    group_rank = np.empty(state.size)
    for group in sorted(set(groups)):
        members = groups == group
        group_rank[members] = competition_rank(scores[members])
    state.values["group_rank"] = group_rank
