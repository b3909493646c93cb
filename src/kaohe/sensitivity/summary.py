"""Per unit: nominal and median rank, the 5th–95th percentile rank interval, grade probabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scoring import ScoringState
from ..scoring.rank import NO_RANK


@dataclass
class UnitSummary:
    unit: str
    name: str
    score: float | None
    grade: str | None
    rank: int | None  # None: no score, no rank
    median_rank: int | None
    rank_low: int | None  # 5th percentile of the rank (the better end)
    rank_high: int | None  # 95th percentile
    mean_score: float | None
    score_low: float | None
    score_high: float | None
    probabilities: dict[str, float]  # grade → share of draws
    no_grade: float  # share of draws without a grade (no score)
    nominal_probability: float  # probability of the grade the run gave
    unstable: bool  # nominal_probability below the threshold
    driver: str | None = None  # input group with the largest total index for this unit

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def summarize(
    state: ScoringState,
    ranks: np.ndarray,
    grades: np.ndarray,
    score_stats: np.ndarray,
    threshold: float,
) -> list[UnitSummary]:
    """``ranks`` and ``grades`` are draws × units; ``score_stats`` is (mean, p05, p95) × units."""
    order = list(state.scheme.model.grading.grades)
    low, median, high = _rank_quantiles(ranks)
    shares = np.stack([(grades == g).mean(axis=0) for g in range(len(order))])
    without = (grades < 0).mean(axis=0)
    summaries = []
    for i, unit in enumerate(state.units):
        grade = state.values["grade"][i]
        probabilities = {g: float(shares[j, i]) for j, g in enumerate(order)}
        nominal = probabilities.get(grade, float(without[i])) if grade else float(without[i])
        score = state.values["score"][i]
        summaries.append(
            UnitSummary(
                unit=unit,
                name=state.names[i],
                score=None if np.isnan(score) else float(score),
                grade=grade,
                rank=_whole(state.values["rank"][i]),
                median_rank=_whole(median[i]),
                rank_low=_whole(low[i]),
                rank_high=_whole(high[i]),
                mean_score=_number(score_stats[0, i]),
                score_low=_number(score_stats[1, i]),
                score_high=_number(score_stats[2, i]),
                probabilities=probabilities,
                no_grade=float(without[i]),
                nominal_probability=nominal,
                unstable=nominal < threshold,
            )
        )
    return summaries


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _whole(value: float) -> int | None:
    return None if np.isnan(value) else int(value)


def _rank_quantiles(ranks: np.ndarray) -> np.ndarray:
    """5th, 50th and 95th percentiles of each unit's rank over the draws where it has one."""
    quantiles = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf").astype(float)
    for i in np.flatnonzero((ranks == NO_RANK).any(axis=0)):
        ranked = ranks[:, i][ranks[:, i] != NO_RANK]
        quantiles[:, i] = (
            np.quantile(ranked, [0.05, 0.5, 0.95], method="inverted_cdf") if ranked.size else np.nan
        )
    return quantiles
