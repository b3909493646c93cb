"""Step: assign grades (等次) by the scheme's method, then apply vetoes.

``Grader`` holds the scheme's grading as array functions on the last axis (the units), with any
leading batch axes: the step grades the run's one row of scores with it, and the sensitivity
analysis grades ``draws × units`` arrays with the same object. The step alone also records, per
unit and in words, the grade rule that matched, for the explanation.
"""

from __future__ import annotations

import numpy as np

from ..i18n import text
from .rank import competition_ranks, peer_group_members
from .state import ScoringState
from .status import status_reasons

# The grade index of a unit without a grade (grades themselves count from 0, the best).
NO_GRADE = -1
# A score this close below a cut still reaches it: floating-point noise must not cost a grade.
CUT_TOLERANCE = 1e-9


class Grader:
    """The scheme's grading (bands, peer mean ± k·sd, quantiles, top-N) and its vetoes.

    Grades are int8 indices into ``grades`` (0 = best); NO_GRADE where there is no score.
    """

    def __init__(self, state: ScoringState):
        grading = state.scheme.model.grading
        self.method = grading.method
        self.sample_sd = grading.sd == "sample"
        self.grades = list(grading.grades)  # best first
        self.cuts = [cut for cut, _ in grading.bands[:-1]]  # the last band takes everyone else
        self.members = peer_group_members(state)
        self.bounds = [
            self.grades.index(veto.grade or veto.grade_at_most)
            for veto in state.scheme.model.vetoes
        ]

    def indices(self, names: np.ndarray) -> np.ndarray:
        """A grade column of the run (names, None for no grade) as grade indices."""
        return np.array([self.grades.index(g) if g is not None else NO_GRADE for g in names])

    def names(self, indices: np.ndarray) -> np.ndarray:
        """Grade indices as the run's grade column: names, None for no grade."""
        return np.array([self.grades[g] if g != NO_GRADE else None for g in indices], dtype=object)

    def grade(self, scores: np.ndarray, veto_hits: list[np.ndarray]) -> np.ndarray:
        """Grades of ``scores`` (..., units), capped by the vetoes that hit (each (..., units) or
        (units,))."""
        grades = self.bands(scores)
        for bound, hit in zip(self.bounds, veto_hits, strict=True):
            grades = cap_grades(grades, hit, bound)
        return grades

    def bands(self, scores: np.ndarray) -> np.ndarray:
        """Grades before vetoes: the first band whose cut the unit reaches, per peer group."""
        grades = np.empty(scores.shape, dtype=np.int8)
        for members in self.members.values():
            grades[..., members] = self._group_bands(scores[..., members])
        return grades

    def statistics(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One peer group's (mean, sd, number of scores) along the last axis, kept as (..., 1).

        The mean and sd are NaN in a group without scores; the sample sd of one score is 0.
        """
        # Units without a score in any row (withheld in the run) are left out, not summed as
        # zeros: the sums then add the same numbers in the same order in every row as in the
        # run's own row, to the last bit (a zero shifts numpy's pairwise summation).
        unscored = np.isnan(scores).all(axis=tuple(range(scores.ndim - 1)))
        if unscored.any():
            scores = scores[..., ~unscored]
        present = ~np.isnan(scores)
        count = present.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(present, scores, 0.0).sum(axis=-1, keepdims=True) / count
            squares = np.where(present, (scores - mean) ** 2, 0.0).sum(axis=-1, keepdims=True)
            ddof = np.where((count > 1) & self.sample_sd, 1, 0)
            sd = np.sqrt(squares / (count - ddof))
        return mean, sd, count

    def _group_bands(self, scores: np.ndarray) -> np.ndarray:
        if self.method in ("peer_sd", "quantiles"):  # spared on the draws of other methods
            mean, sd, count = self.statistics(scores)
        if self.method in ("quantiles", "top_n"):
            ranks = competition_ranks(scores)
        grades = np.full(scores.shape, len(self.grades) - 1, dtype=np.int8)
        for index in reversed(range(len(self.cuts))):  # the first band that matches wins
            cut = self.cuts[index]
            if self.method == "bands":
                hit = scores >= cut - CUT_TOLERANCE
            elif self.method == "peer_sd":
                hit = scores >= mean + cut * sd - CUT_TOLERANCE
            elif self.method == "quantiles":
                hit = ranks <= cut * count + CUT_TOLERANCE
            else:  # top_n
                hit = ranks <= cut
            np.putmask(grades, hit, index)
        grades[np.isnan(scores)] = NO_GRADE
        return grades


def cap_grades(grades: np.ndarray, hit: np.ndarray, bound: int) -> np.ndarray:
    """One veto: a veto can only lower a grade. A fixed grade and a ceiling both bound it from
    above, so with several vetoes the worst bound wins, whatever their order in the scheme."""
    return np.where(hit & (grades != NO_GRADE), np.maximum(grades, bound), grades)


def assign_grades(state: ScoringState) -> None:
    scheme = state.scheme
    grader = Grader(state)
    scores = state.values["score"]
    grades = grader.bands(scores)
    rules = [""] * state.size
    params = {}
    for group, members in grader.members.items():
        mean, sd, count = (float(v[0]) for v in grader.statistics(scores[members]))
        if grader.method == "peer_sd":
            params[group] = {"mean": mean, "sd": sd, "n": int(count)}
        for i in members:
            rules[i] = _band_rule(state, grader, int(i), int(grades[i]), mean, sd, int(count))
    for veto, bound, hit in zip(scheme.model.vetoes, grader.bounds, state.veto_hits, strict=True):
        capped = cap_grades(grades, hit, bound)
        for i in np.flatnonzero(capped != grades):
            rules[i] += text(
                f"；一票否决 {veto.id}（{veto.reason}）→ {grader.grades[capped[i]]}",
                f"; veto {veto.id} ({veto.reason_en or veto.reason}) → {grader.grades[capped[i]]}",
            )
        grades = capped
    state.log["grade"] = {"method": grader.method, "groups": params}
    state.values["grade"] = grader.names(grades)
    state.grade_rules = rules


def _band_rule(
    state: ScoringState, grader: Grader, i: int, band: int, mean: float, sd: float, n: int
) -> str:
    """In words: why unit ``i`` got the grade of ``band`` (before vetoes), or none."""
    if state.values["status"][i] != "graded":
        return text("不予评定：", "grade withheld: ") + "; ".join(status_reasons(state, i))
    if band == NO_GRADE:
        return text("无得分，不评定等次", "no score, no grade")
    grade = grader.grades[band]
    if band == len(grader.cuts):
        return text(f"其余 → {grade}", f"otherwise → {grade}")
    cut = grader.cuts[band]
    if grader.method == "bands":
        return f"score >= {cut:g} → {grade}"
    if grader.method == "peer_sd":
        return (
            f"score >= mean {mean:.4f} {'+' if cut >= 0 else '-'} "
            f"{abs(cut):g} × sd {sd:.4f} = {mean + cut * sd:.4f} → {grade}"
        )
    rank = state.values["group_rank"][i]
    if grader.method == "quantiles":
        return f"rank {rank:g} <= {cut:g} × {n} → {grade}"
    return f"rank {rank:g} <= {cut:g} → {grade}"  # top_n
