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

    Shares of missing children must already be zero and the rest re-normalized.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        filled = np.where(shares > 0, values, 0.0)
        if method == "arithmetic":
            return np.sum(shares * filled, axis=1)
        if method == "geometric":
            positive = np.where(shares > 0, np.maximum(filled, 0.0), 1.0)
            zero = np.any((shares > 0) & (positive == 0.0), axis=1)
            logs = np.where(shares > 0, np.log(np.where(positive > 0, positive, 1.0)), 0.0)
            return np.where(zero, 0.0, np.exp(np.sum(shares * logs, axis=1)))
        if method == "harmonic":
            zero = np.any((shares > 0) & (filled <= 0.0), axis=1)
            inverse = np.where(shares > 0, shares / np.where(filled > 0, filled, 1.0), 0.0)
            return np.where(zero, 0.0, 1.0 / np.sum(inverse, axis=1))
        if method == "minimum":
            return np.min(np.where(shares > 0, values, np.inf), axis=1)
    raise ValueError(f"unknown aggregation {method}")


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
    for j, child in enumerate(node.children):
        state.points[child.id] = children[:, j] * shares[:, j] * node.points
    return value


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
    state.log["aggregate"] = {
        node.id: {"aggregate": node.aggregate, "missing": node.missing, "points": node.points}
        for node in root.walk()
        if not node.indicator
    }
