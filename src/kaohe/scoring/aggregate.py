"""Step: aggregate normalized indicator scores up the weighted tree into the base score.

Each node combines its children's values (0 to 1) with their shares; a missing child is handled
by the node's policy: withhold the unit's grade (the default), re-weight the others (only where
the scheme allows, up to a share of the points), count it as zero, or fail; every case is noted
or recorded as a reason for withholding. The unit's completeness (the share of nominal points
backed by data) is computed here too. A child's earned points are its value times its effective share of the node's
points, so under arithmetic aggregation the children's points add up to the node's.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..i18n import Bilingual, text
from ..scheme.tree import ROOT_ID, TreeNode
from .state import ScoringState


def combine(values: np.ndarray, shares: np.ndarray, method: str) -> np.ndarray:
    """Combine children (columns of ``values``, one row per unit) with row-wise ``shares``.

    Shares of missing children must already be zero and the rest re-normalized. ``values`` may
    carry leading batch axes (draws × units × children) and ``shares`` anything that broadcasts
    to it, e.g. one row of shares per draw (draws × 1 × children): see ``combine_blocks``.
    """
    return combine_blocks([(values, shares)], method)


def combine_blocks(blocks: list[tuple[np.ndarray, np.ndarray]], method: str) -> np.ndarray:
    """Combine one node's children given as blocks of columns ``[(values, shares), …]``.

    Each block holds some of the children: ``values`` is units × children, optionally with a
    leading draws axis; ``shares`` is units × children or 1 × children (the same shares for every
    unit), optionally per draw. Splitting lets the sensitivity analysis keep the children that do
    not vary between draws in one units × children block while their shares vary per draw, so
    the weighted sums are matrix products instead of draws × units × children temporaries.

    A child with a missing (NaN) value or a zero share is left out and the others' shares are
    re-normalized; a node with nothing left is NaN. Under geometric and harmonic aggregation a
    child at or below zero makes the node zero.
    """
    if method not in _TRANSFORMS:
        raise ValueError(f"unknown aggregation {method}")
    total = weight = zero = None
    shape: tuple[int, ...] = ()
    for values, shares in blocks:
        part_total, part_weight, part_zero = _accumulate(values, shares, method)
        shape = np.broadcast_shapes(shape, np.shape(part_total))
        if total is None:
            total, weight, zero = part_total, part_weight, part_zero
            continue
        total = np.minimum(total, part_total) if method == "minimum" else total + part_total
        weight = weight + part_weight
        zero = zero | part_zero
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "arithmetic":
            value = total / weight
        elif method == "geometric":
            value = np.exp(total / weight)
        elif method == "harmonic":
            value = weight / total
        else:
            value = total
    if np.any(zero):
        value = np.where(zero, 0.0, value)
    if not np.all(weight > 0):
        value = np.where(weight > 0, value, np.nan)
    return np.broadcast_to(value, shape)


# What each aggregation sums (times the shares) over the children before its final transform.
_TRANSFORMS = {
    "arithmetic": lambda v: v,
    "geometric": np.log,
    "harmonic": np.reciprocal,
    "minimum": None,
}


def _weighted_sum(terms: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Sum over children of shares × terms, as a matrix product when shares are the same per unit."""
    if shares.ndim >= 2 and shares.shape[-2] == 1:
        if terms.shape[-1] == 1:  # one child: a product, no reduction
            return terms[..., 0] * shares[..., 0]
        if terms.ndim == 2 and shares.ndim == 3:  # fixed children, shares per draw: one GEMM
            return shares[:, 0, :] @ terms.T
        return np.matmul(terms, np.swapaxes(shares, -1, -2))[..., 0]
    return np.sum(shares * terms, axis=-1)


def _accumulate(values: np.ndarray, shares: np.ndarray, method: str):
    """A block's (sum of shares × transformed values, sum of shares, any child at or below zero).

    The results broadcast to the block's units (and draws) but are not expanded: the sum of
    shares of a block without missing values is one number per row of shares.
    """
    present = ~np.isnan(values)
    complete = bool(present.all())
    # nothing missing: the weight is just the shares' sum
    weight = shares.sum(axis=-1) if complete else _weighted_sum(present.astype(float), shares)
    if method == "minimum":
        counted = present if np.all(shares > 0) else present & (shares > 0)
        total = np.min(np.where(counted, values, np.inf), axis=-1)
        return total, weight, False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "arithmetic":
            terms = values if complete else np.where(present, values, 0.0)
            return _weighted_sum(terms, shares), weight, False
        positive = values > 0
        if complete and positive.all():
            return _weighted_sum(_TRANSFORMS[method](values), shares), weight, False
        positive &= present
        terms = np.where(positive, _TRANSFORMS[method](np.where(positive, values, 1.0)), 0.0)
        zero = _weighted_sum((present & ~positive).astype(float), shares) > 0
    return _weighted_sum(terms, shares), weight, zero


def _node_value(state: ScoringState, node: TreeNode, withheld: dict[str, np.ndarray]) -> np.ndarray:
    """The node's value (0 to 1) per unit, deciding what its missing children mean by its policy.

    ``withheld`` collects, per node, the units whose grade that node withheld: a parent does not
    repeat the reason of a child that already gave one.
    """
    if node.indicator:
        value = state.normalized[node.id]
        absent = np.isnan(value)
        if node.required:
            for i in np.flatnonzero(absent):
                state.withhold(int(i), _required_reason(state, node))
        withheld[node.id] = absent if node.required else np.zeros(state.size, dtype=bool)
        return value
    children = np.column_stack([_node_value(state, child, withheld) for child in node.children])
    nominal = np.tile(np.array(node.shares), (state.size, 1))
    missing = np.isnan(children)
    shares = nominal.copy()
    held = np.zeros(state.size, dtype=bool)
    children = zero_missing(children, node)
    if node.missing != "zero":
        if node.missing == "fail" and missing.any():
            _fail(state, node, missing)
        allowed = node.reweight_at_most if node.missing == "reweight" else 0.0
        missing_share = np.sum(np.where(missing, nominal, 0.0), axis=1)
        held = missing_share > allowed + 1e-9
        below = np.column_stack([withheld[child.id] for child in node.children])
        for i in np.flatnonzero(held):
            # children that withheld the grade themselves have said why already
            lacking = [
                child for j, child in enumerate(node.children) if missing[i, j] and not below[i, j]
            ]
            if lacking:
                state.withhold(int(i), _withhold_reason(state, node, lacking, missing_share[i]))
        shares[missing] = 0.0
        total = shares.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(total > 0, shares / total, 0.0)
        # a withheld node keeps its nominal points (its missing children show what they lack)
        shares = np.where(held[:, None], nominal, shares)
    for i in np.flatnonzero(missing.any(axis=1) & ~held):
        names = [_name(state, node.children[j]) for j in np.flatnonzero(missing[i])]
        state.notes[i].append(_missing_note(state, node, names, missing[i].all()))
    value = combine(children, shares, node.aggregate)
    value = np.where(held | (shares.sum(axis=1) <= 0), np.nan, value)
    withheld[node.id] = held | below_any(withheld, node)
    state.node_values[node.id] = value
    state.child_values[node.id] = (children, shares)
    return value


def zero_missing(values: np.ndarray, node: TreeNode) -> np.ndarray:
    """Children's values as ``node`` counts them: under ``missing: zero`` a missing child is zero;
    under any other policy it stays missing (NaN) for ``combine`` to leave out."""
    return np.where(np.isnan(values), 0.0, values) if node.missing == "zero" else values


def below_any(withheld: dict[str, np.ndarray], node: TreeNode) -> np.ndarray:
    """Units that some child of ``node`` (or a node below it) withheld."""
    return np.logical_or.reduce([withheld[child.id] for child in node.children])


def _name(state: ScoringState, node: TreeNode) -> str:
    return state.scheme.label(node.id)


def _required_reason(state: ScoringState, node: TreeNode) -> str:
    # Bilingual: the run records why in both languages, for pages read in either
    return Bilingual(
        f"必备指标“{_name(state, node)}”（{node.id}）缺少数据",
        f"required indicator '{state.scheme.label(node.id, 'en')}' ({node.id}) has no data",
    )


def _withhold_reason(
    state: ScoringState, node: TreeNode, lacking: list[TreeNode], share: float
) -> str:
    root = node.id == ROOT_ID
    label = "总分" if root else state.scheme.label(node.id)
    label_en = "the total" if root else state.scheme.label(node.id, "en")
    names = "、".join(state.scheme.label(child.id) for child in lacking)
    names_en = ", ".join(state.scheme.label(child.id, "en") for child in lacking)
    if node.missing == "reweight":
        return Bilingual(
            f"“{label}”缺少{names}的数据，占其分值 {share:.0%}，超过办法允许的 "
            f"{node.reweight_at_most:.0%}",
            f"'{label_en}' lacks data for {names_en}: {share:.0%} of its points, more than "
            f"the {node.reweight_at_most:.0%} the scheme allows",
        )
    return Bilingual(
        f"“{label}”缺少{names}的数据（办法规定：缺失即不予评定）",
        f"'{label_en}' lacks data for {names_en} (the scheme withholds the grade then)",
    )


def _missing_note(state: ScoringState, node: TreeNode, names: list[str], none_left: bool) -> str:
    joined = "、".join(names)
    if node.missing == "zero":
        return text(
            f"{joined} 缺失，在 {node.id} 中按零分计",
            f"{', '.join(names)} missing, counted as zero in {node.id}",
        )
    if none_left:
        return text(
            f"{joined} 缺失，{node.id} 无可计算的下级，不计分",
            f"{', '.join(names)} missing: nothing left to score in {node.id}",
        )
    return text(
        f"{joined} 缺失，{node.id} 内其余下级的权重按比例放大（办法允许）",
        f"{', '.join(names)} missing, the other weights in {node.id} re-normalized "
        "(the scheme allows it)",
    )


def _hand_down_points(state: ScoringState, node: TreeNode, maximum: np.ndarray) -> None:
    """Each child's maximum is its effective share of its parent's maximum; it earns its value of it.

    Top-down, so that re-weighting anywhere above shows in the maxima below, and under arithmetic
    aggregation the children's points add up to their parent's.
    """
    state.max_points[node.id] = maximum
    if node.indicator:
        return
    children, shares = state.child_values[node.id]
    for j, child in enumerate(node.children):
        state.points[child.id] = children[:, j] * shares[:, j] * maximum
        _hand_down_points(state, child, shares[:, j] * maximum)


def _fail(state: ScoringState, node: TreeNode, missing: np.ndarray) -> None:
    cases = [
        f"{state.units[i]} {node.children[j].id}" for i, j in zip(*np.nonzero(missing), strict=True)
    ]
    shown = "; ".join(cases[:5]) + (" …" if len(cases) > 5 else "")
    raise DataError(
        text(
            f"{state.scheme.file}：节点 {node.id} 的缺失策略为 fail，但以下数据缺失：{shown}。"
            "请补齐数据，或把该节点的 missing 改为 reweight 或 zero",
            f"{state.scheme.file}: node {node.id} has missing: fail, but these values are "
            f"missing: {shown}. Supply the data, or set the node's missing to reweight or zero",
        )
    )


def completeness(state: ScoringState) -> np.ndarray:
    """Per unit, the share of the nominal points whose indicators have a (backed) value."""
    root = state.scheme.tree
    backed = np.zeros(state.size)
    for node in root.walk():
        if node.indicator:
            backed += np.where(np.isnan(state.normalized[node.id]), 0.0, node.points)
    return backed / root.points


def aggregate_tree(state: ScoringState) -> None:
    root = state.scheme.tree
    value = _node_value(state, root, {})
    state.values["base_score"] = value * root.points
    state.values["completeness"] = completeness(state)
    state.points[ROOT_ID] = state.values["base_score"]
    _hand_down_points(state, root, np.full(state.size, root.points))
    state.log["aggregate"] = {
        node.id: {
            "aggregate": node.aggregate,
            "missing": node.missing,
            "reweight_at_most": node.reweight_at_most if node.missing == "reweight" else None,
            "points": node.points,
        }
        for node in root.walk()
        if not node.indicator
    }
