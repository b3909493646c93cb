"""Step: assign grades (等次) by the scheme's method, then apply vetoes.

The grade rule that matched is recorded per unit, in words, for the explanation.
"""

from __future__ import annotations

import numpy as np

from ..i18n import text
from .rank import peer_groups
from .state import ScoringState
from .status import status_reasons


def _bands(state: ScoringState, groups: np.ndarray) -> tuple[list, list]:
    grading = state.scheme.model.grading
    scores = state.values["score"]
    grades, rules = [None] * state.size, [""] * state.size
    params = {}
    for group in sorted(set(groups)):
        members = np.flatnonzero(groups == group)
        present = scores[members][~np.isnan(scores[members])]
        if grading.method == "peer_sd":
            mean = float(present.mean()) if present.size else np.nan
            ddof = 1 if grading.sd == "sample" and present.size > 1 else 0
            sd = float(present.std(ddof=ddof)) if present.size else np.nan
            params[group] = {"mean": mean, "sd": sd, "n": int(present.size)}
        for i in members:
            score = scores[i]
            if state.values["status"][i] != "graded":
                rules[i] = text("不予评定：", "grade withheld: ") + "; ".join(
                    status_reasons(state, i)
                )
                continue
            if np.isnan(score):
                rules[i] = text("无得分，不评定等次", "no score, no grade")
                continue
            for cut, grade in grading.bands:
                if cut is None:
                    grades[i], rules[i] = grade, _else_rule(grade)
                    break
                hit, rule = _matches(state, i, cut, grade, params.get(group), int(present.size))
                if hit:
                    grades[i], rules[i] = grade, rule
                    break
    state.log["grade"] = {"method": grading.method, "groups": params}
    return grades, rules


def _else_rule(grade: str) -> str:
    return text(f"其余 → {grade}", f"otherwise → {grade}")


def _matches(state: ScoringState, i: int, cut: float, grade: str, params, n: int):
    method = state.scheme.model.grading.method
    score = state.values["score"][i]
    if method == "bands":
        return score >= cut - 1e-9, f"score >= {cut:g} → {grade}"
    if method == "peer_sd":
        threshold = params["mean"] + cut * params["sd"]
        return score >= threshold - 1e-9, (
            f"score >= mean {params['mean']:.4f} {'+' if cut >= 0 else '-'} "
            f"{abs(cut):g} × sd {params['sd']:.4f} = {threshold:.4f} → {grade}"
        )
    rank = state.values["group_rank"][i]
    if method == "quantiles":
        return rank <= cut * n + 1e-9, f"rank {rank:g} <= {cut:g} × {n} → {grade}"
    return rank <= cut, f"rank {rank:g} <= {cut:g} → {grade}"  # top_n


def assign_grades(state: ScoringState) -> None:
    scheme = state.scheme
    order = scheme.model.grading.grades  # best first
    grades, rules = _bands(state, peer_groups(state))
    # A veto can only lower a grade: a fixed grade and a ceiling both bound it from above, and with
    # several vetoes the worst bound wins, whatever their order in the scheme.
    for veto, hit in zip(scheme.model.vetoes, state.veto_hits, strict=True):
        bound = veto.grade if veto.grade is not None else veto.grade_at_most
        for i in np.flatnonzero(hit):
            if grades[i] is None:
                continue
            new = order[max(order.index(grades[i]), order.index(bound))]
            if new != grades[i]:
                rules[i] += text(
                    f"；一票否决 {veto.id}（{veto.reason}）→ {new}",
                    f"; veto {veto.id} ({veto.reason_en or veto.reason}) → {new}",
                )
                grades[i] = new
    state.values["grade"] = np.array(grades, dtype=object)
    state.grade_rules = rules
