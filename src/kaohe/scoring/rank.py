"""Step: rank units by final score, overall and within the peer group (ties share a rank).

The ranks are computed on the last axis (the units) and accept leading batch axes: the
sensitivity analysis ranks ``draws × units`` arrays with these same functions.
"""

from __future__ import annotations

import numpy as np

from .state import ScoringState

# Scores equal to this many decimals tie: floating-point noise must not break a tie.
TIE_DECIMALS = 9
# The integer rank of a unit without a score (ranks themselves start at 1).
NO_RANK = 0


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Integer ranks along the last axis: 1 for the best; tied scores share the better rank
    (1, 2, 2, 4); NO_RANK where there is no score (NaN).

    Integers, because the sensitivity analysis keeps a rank per draw and unit (4 bytes each).
    """
    rounded = np.round(scores, TIE_DECIMALS)
    missing = np.isnan(rounded)
    key = np.where(missing, np.inf, -rounded)  # ascending key = descending score, missing last
    order = np.argsort(key, axis=-1)
    ordered = np.take_along_axis(key, order, axis=-1)
    # a tie takes the position where its run of equal keys starts, whatever the sort put first
    starts = np.ones(key.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    position = np.broadcast_to(np.arange(key.shape[-1], dtype=np.int32), key.shape)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    ranks = np.empty(key.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, first + 1, axis=-1)
    ranks[missing] = NO_RANK
    return ranks


def competition_rank(scores: np.ndarray) -> np.ndarray:
    """Ranks as floats, as the run records them: a unit without a score has no rank (NaN), since
    ranking it last would claim a comparison that was never made."""
    return as_recorded(competition_ranks(scores))


def peer_groups(state: ScoringState) -> np.ndarray:
    column = state.scheme.model.grading.peer_group
    if column is None:
        return np.array(["" for _ in state.units], dtype=object)
    return np.array([v if v is not None else "" for v in state.values[column]], dtype=object)


def peer_group_members(state: ScoringState) -> dict[str, np.ndarray]:
    """Each peer group's units (indices), groups in sorted order; one group "" without peers."""
    groups = peer_groups(state)
    return {group: np.flatnonzero(groups == group) for group in sorted(set(groups))}


def group_ranks(scores: np.ndarray, members: dict[str, np.ndarray]) -> np.ndarray:
    """``competition_ranks`` within each peer group (``members`` from ``peer_group_members``)."""
    ranks = np.empty(scores.shape, dtype=np.int32)
    for units in members.values():
        ranks[..., units] = competition_ranks(scores[..., units])
    return ranks


def as_recorded(ranks: np.ndarray) -> np.ndarray:
    """Integer ranks as the run's columns keep them: floats, NaN for no rank."""
    return np.where(ranks == NO_RANK, np.nan, ranks.astype(float))


def assign_ranks(state: ScoringState) -> None:
    scores = state.values["score"]
    state.values["rank"] = as_recorded(competition_ranks(scores))
    state.values["group_rank"] = as_recorded(group_ranks(scores, peer_group_members(state)))
