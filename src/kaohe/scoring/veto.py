"""Step: one-vote vetoes (一票否决). A veto fixes the grade or caps it; the grade step applies it."""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate_condition
from .state import ScoringState


def apply_vetoes(state: ScoringState) -> None:
    hits = [evaluate_condition(state, when) for when in state.scheme.vetoes]
    state.veto_hits = hits
    vetoed = np.zeros(state.size, dtype=bool)
    for hit in hits:
        vetoed |= hit
    state.values["vetoed"] = vetoed.astype(object)
    state.log["veto"] = {
        veto.id: int(hit.sum()) for veto, hit in zip(state.scheme.model.vetoes, hits, strict=True)
    }
