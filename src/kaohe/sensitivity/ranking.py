"""Ranks and grades of many draws at once, by the run's own grading rules and vetoes.

The rank and grade steps (``scoring/rank.py``, ``scoring/grade.py``) work one unit at a time and
record each unit's rule in words; here the same rules are applied to draws × units arrays: the
same tie rounding (``TIE_DECIMALS``), the same tolerances, the same peer groups and the same order
of vetoes. ``rescoring.check_nominal`` proves on every analysis that the nominal inputs give back
the run's own ranks and grades, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import numpy as np

from ..scoring import ScoringState
from ..scoring.rank import TIE_DECIMALS, competition_rank, peer_groups

NO_GRADE = -1
NO_RANK = 0
# Asked of the rank step itself, so that this module follows it.
_UNSCORED_RANKED_LAST = not np.isnan(competition_rank(np.array([1.0, np.nan]))[1])


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Per row: 1 for the best; tied scores share the better rank (1, 2, 2, 4).

    A unit without a score gets what the rank step gives it: no rank (NO_RANK, 0, in these
    integer arrays) or, in older versions of the step, the rank after every scored unit.
    """
    rounded = np.round(scores, TIE_DECIMALS)
    key = np.where(np.isnan(rounded), np.inf, -rounded)  # ascending key = descending score
    order = np.argsort(key, axis=-1)  # ties get their first position whatever their order
    ordered = np.take_along_axis(key, order, axis=-1)
    starts = np.ones(key.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    position = np.broadcast_to(np.arange(key.shape[-1], dtype=np.int32), key.shape)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    ranks = np.empty(key.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, first + 1, axis=-1)
    if not _UNSCORED_RANKED_LAST:
        ranks[np.isnan(rounded)] = NO_RANK
    return ranks


class Grader:
    """The scheme's grading (bands, peer mean ± k·sd, quantiles, top-N) and vetoes, per draw."""

    def __init__(self, state: ScoringState):
        grading = state.scheme.model.grading
        self.method = grading.method
        self.sample_sd = grading.sd == "sample"
        self.grades = list(grading.grades)  # best first
        self.cuts = [cut for cut, _ in grading.bands[:-1]]
        groups = peer_groups(state)
        self.groups = [np.flatnonzero(groups == g) for g in sorted(set(groups))]
        order = self.grades
        self.vetoes = [
            order.index(veto.grade or veto.grade_at_most) for veto in state.scheme.model.vetoes
        ]

    def grade(self, scores: np.ndarray, veto_hits: list[np.ndarray]) -> np.ndarray:
        """Grade indices (0 = best, -1 = none) of rows × units ``scores``."""
        grades = np.full(scores.shape, len(self.grades) - 1, dtype=np.int8)
        for members in self.groups:
            grades[:, members] = self._bands(scores[:, members])
        grades[np.isnan(scores)] = NO_GRADE
        for bound, hit in zip(self.vetoes, veto_hits, strict=True):
            # as grade.py: a veto only lowers a grade — a fixed grade and a ceiling both bound
            # it from above, and the worst bound wins whatever the vetoes' order
            hit = np.broadcast_to(hit, scores.shape) & (grades != NO_GRADE)
            grades[hit] = np.maximum(grades[hit], bound)
        return grades

    def _bands(self, scores: np.ndarray) -> np.ndarray:
        present = ~np.isnan(scores)
        count = present.sum(axis=-1, keepdims=True)
        if self.method == "peer_sd":
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(present, scores, 0.0).sum(axis=-1, keepdims=True) / count
                squares = np.where(present, (scores - mean) ** 2, 0.0).sum(axis=-1, keepdims=True)
                ddof = np.where((count > 1) & self.sample_sd, 1, 0)
                sd = np.sqrt(squares / (count - ddof))
        elif self.method in ("quantiles", "top_n"):
            ranks = competition_ranks(scores)
        grades = np.full(scores.shape, len(self.grades) - 1, dtype=np.int8)
        for index in reversed(range(len(self.cuts))):  # the first band that matches wins
            cut = self.cuts[index]
            if self.method == "bands":
                hit = scores >= cut - 1e-9
            elif self.method == "peer_sd":
                hit = scores >= mean + cut * sd - 1e-9
            elif self.method == "quantiles":
                hit = ranks <= cut * count + 1e-9
            else:
                hit = ranks <= cut
            grades = np.where(hit, index, grades).astype(np.int8)
        return grades
