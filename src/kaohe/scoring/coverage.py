"""Step: coverage rules — is there enough evidence (e.g. checked households) to grade a unit?

A rule that does not hold, or cannot be told (its inputs are missing), leaves the indicators it
covers without backing: their normalized values count as missing, so the completeness shows it,
and the unit's grade is withheld (``otherwise: withhold``) or left to the nodes' missing-data
rules (``otherwise: missing``).
"""

from __future__ import annotations

import numpy as np

from ..i18n import Bilingual
from .evaluate import evaluate_truth
from .state import ScoringState


def check_coverage(state: ScoringState) -> None:
    scheme = state.scheme
    log = {}
    for rule, when in zip(scheme.model.coverage, scheme.coverage, strict=True):
        holds, _ = evaluate_truth(state, when)
        short = np.flatnonzero(~holds)
        for name in covered_indicators(state, rule.nodes):
            state.normalized[name] = np.where(holds, state.normalized[name], np.nan)
        reason = Bilingual(
            f"证据不足：{rule.reason}（{rule.when} 不成立）",
            f"not enough evidence: {rule.reason_en or rule.reason} ({rule.when} does not hold)",
        )
        for i in short:
            if rule.otherwise == "withhold":
                state.withhold(int(i), reason)
            else:
                state.notes[i].append(reason)
        log[rule.id] = {"when": rule.when, "short": int(short.size), "otherwise": rule.otherwise}
    state.log["coverage"] = log


def covered_indicators(state: ScoringState, nodes: list[str]) -> list[str]:
    """The scored indicators under the named nodes (all of them when none are named)."""
    tree = state.scheme.tree
    if not nodes:
        return [node.id for node in tree.walk() if node.indicator]
    found = []
    for top in tree.walk():
        if top.id in nodes:
            found += [node.id for node in top.walk() if node.indicator and node.id not in found]
    return found
