"""Step: aggregate normalized indicator scores up the weighted tree into the base score.

Each node combines its children's values (0 to 1) with their shares; a missing child is handled
by the node's policy (re-weight the others, count it as zero, or fail), and every such case is
noted for the unit. A child's earned points are its value times its effective share of the node's
points, so under arithmetic aggregation the children's points add up to the node's.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..i18n import text
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


def _node_value(state: ScoringState, node: TreeNode) -> np.ndarray:
    if node.indicator:
        return state.normalized[node.id]
    children = np.column_stack([_node_value(state, child) for child in node.children])
    nominal = np.tile(np.array(node.shares), (state.size, 1))
    missing = np.isnan(children)
    shares = nominal.copy()
    if node.missing == "zero":
        children = np.where(missing, 0.0, children)
    else:
        if node.missing == "fail" and missing.any():
            _fail(state, node, missing)
        shares[missing] = 0.0
        total = shares.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(total > 0, shares / total, 0.0)
    for i, j in zip(*np.nonzero(missing), strict=True):
        child = node.children[j].id
        state.notes[i].append(
            text(
                f"{child} 缺失，{node.id} 按零分计",
                f"{child} missing, counted as zero in {node.id}",
            )
            if node.missing == "zero"
            else text(
                f"{child} 缺失，{node.id} 内其余权重按比例放大",
                f"{child} missing, the other weights in {node.id} re-normalized",
            )
        )
    value = combine(children, shares, node.aggregate)
    value = np.where(shares.sum(axis=1) > 0, value, np.nan)  # nothing left to aggregate
    state.node_values[node.id] = value
    state.child_values[node.id] = (children, shares)
    return value


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


def aggregate_tree(state: ScoringState) -> None:
    root = state.scheme.tree
    value = _node_value(state, root)
    state.values["base_score"] = value * root.points
    state.points[ROOT_ID] = state.values["base_score"]
    _hand_down_points(state, root, np.full(state.size, root.points))
    state.log["aggregate"] = {
        node.id: {"aggregate": node.aggregate, "missing": node.missing, "points": node.points}
        for node in root.walk()
        if not node.indicator
    }
