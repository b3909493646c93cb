"""Step: one-vote vetoes (一票否决). A veto fixes the grade or caps it; the grade step applies it.

A veto whose condition cannot be told (its inputs are missing) is undetermined: by default the
grade is withheld, so that no unit escapes a veto for lack of evidence; the scheme may instead
apply the veto or ignore it (``when_missing``).
"""

from __future__ import annotations

import numpy as np

from ..i18n import Bilingual
from ..scheme import model as m
from .evaluate import evaluate_truth
from .state import ScoringState


def veto_applies(veto: m.Veto, holds: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Where ``veto`` applies, given where its condition holds and where it cannot be told: an
    undetermined veto applies only under ``when_missing: apply`` (under ``withhold`` the unit
    gets no grade to apply it to)."""
    return holds | unknown if veto.when_missing == "apply" else holds


def apply_vetoes(state: ScoringState) -> None:
    hits, undetermined = [], []
    for veto, when in zip(state.scheme.model.vetoes, state.scheme.vetoes, strict=True):
        holds, unknown = evaluate_truth(state, when)
        if veto.when_missing == "withhold":
            for i in np.flatnonzero(unknown):
                state.withhold(
                    int(i),
                    Bilingual(
                        f"一票否决项“{veto.reason}”无法判定（{veto.when} 所需数据缺失）",
                        f"the veto '{veto.reason_en or veto.reason}' cannot be decided (data for "
                        f"{veto.when} missing)",
                    ),
                )
        hits.append(veto_applies(veto, holds, unknown))
        undetermined.append(unknown)
    state.veto_hits = hits
    state.veto_undetermined = undetermined
    vetoed = np.zeros(state.size, dtype=bool)
    for hit in hits:
        vetoed |= hit
    state.values["vetoed"] = vetoed.astype(object)
    state.log["veto"] = {
        veto.id: int(hit.sum()) for veto, hit in zip(state.scheme.model.vetoes, hits, strict=True)
    }
    state.log["veto_undetermined"] = {
        veto.id: int(unknown.sum())
        for veto, unknown in zip(state.scheme.model.vetoes, undetermined, strict=True)
    }
