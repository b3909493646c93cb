"""Step: each unit's status — graded, withheld (不予评定) or failed — from what the steps found.

A grade is evidence in an appeal: a unit whose evidence does not meet the scheme's rules keeps
its partial points for the explanation, but gets no score, no rank, no grade and no outcome
other than the scheme's request for the missing evidence.
"""

from __future__ import annotations

import numpy as np

from ..i18n import text
from .state import ScoringState

GRADED, WITHHELD, FAILED = "graded", "withheld", "failed"
LABELS = {
    GRADED: ("已评定", "graded"),
    WITHHELD: ("不予评定（待定）", "withheld"),
    FAILED: ("计算失败", "failed"),
}


def status_label(status: str) -> str:
    """The status in the user's language (Chinese by default)."""
    zh, en = LABELS.get(status, (status, status))
    return text(zh, en)


def decide_status(state: ScoringState) -> None:
    status = np.array(
        [
            FAILED if failed else WITHHELD if withheld else GRADED
            for failed, withheld in zip(state.failed, state.withheld, strict=True)
        ],
        dtype=object,
    )
    state.values["status"] = status
    state.values["score"] = graded_scores(state.values["score"], status)
    state.log["status"] = {name: int(np.sum(status == name)) for name in (GRADED, WITHHELD, FAILED)}


def graded_scores(scores: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Scores (..., units) of graded units only: the others get no score, so no rank or grade."""
    return np.where(status == GRADED, scores, np.nan)


def status_reasons(state: ScoringState, i: int) -> list[str]:
    return state.failed[i] + state.withheld[i]
