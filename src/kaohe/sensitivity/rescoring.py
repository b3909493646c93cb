"""Score many draws at once through the run's recorded steps: normalize → aggregate → adjust →
veto → rank → grade.

What a draw may change, and where it enters:
- the sampled value of an estimated indicator: normalized by the indicator's own rule
  (``scoring.normalize.normalize``, with a draws axis), or by the drawn alternative rule;
- the shares of a node's children and the node's aggregation: ``scoring.aggregate.combine_blocks``
  with the tree the run resolved. Children that do not vary between draws stay one units ×
  children block (the run's recorded normalized scores), so the weighted sums are matrix products;
- vetoes whose conditions read a drawn indicator, a flag built on one, or the score: evaluated
  per draw by DuckDB from the scheme's parsed expressions, as the veto step does
  (``drawn_vetoes``);
- ranks and grades: ``scoring.rank`` and ``scoring.grade``'s ``Grader``, the rank and grade
  steps' own array functions, on rows × units.
Bonus and deduction items keep the run's amounts (their conditions read data, not scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import KaoheError
from ..i18n import text
from ..scheme import model as m
from ..scheme.tree import TreeNode
from ..scoring import ScoringState
from ..scoring.aggregate import combine_blocks, zero_missing
from ..scoring.grade import Grader
from ..scoring.normalize import normalize
from ..scoring.rank import NO_RANK, competition_ranks
from ..scoring.status import graded_scores
from .drawn_vetoes import DrawnVetoes
from .draws import Rows
from .settings import ALTERNATIVE_RULES, Settings


@dataclass
class Scored:
    scores: np.ndarray  # rows × units
    ranks: np.ndarray  # rows × units, 1 = best
    grades: np.ndarray  # rows × units, index into the scheme's grades (0 = best, NO_GRADE)


class Rescorer:
    def __init__(self, state: ScoringState, settings: Settings, drawn: set[str]):
        self.state = state
        self.tree = state.scheme.tree
        self.drawn = drawn  # indicators whose values are sampled
        self.aggregations = (None, *settings.aggregations)
        indicators = state.scheme.model.indicators
        self.rules: list[dict[str, m.Indicator]] = [dict(indicators)]
        for method in settings.normalizations:
            rule = ALTERNATIVE_RULES[method]
            self.rules.append(
                {n: i.model_copy(update={"score": rule}) for n, i in indicators.items()}
            )
        leaves = [node.id for node in self.tree.walk() if node.indicator]
        # Normalized scores of the indicators that do not vary: variant 0 is what the run recorded.
        self.fixed: list[dict[str, np.ndarray]] = [{n: state.normalized[n] for n in leaves}]
        for rules in self.rules[1:]:
            self.fixed.append(
                {n: normalize(state.values[n], rules[n], state.targets.get(n))[0] for n in leaves}
            )
        self._blocks: dict[tuple[str, int], tuple[np.ndarray, list[int]]] = {}
        self.dependencies = _dependencies(self.tree, drawn, settings)
        self.adjustment = state.values["bonus"] - state.values["deduction"]
        # A unit withheld or failed in the run stays so in every draw: its evidence is what it
        # is, whatever the weights (it gets no score, rank or grade, as in the run).
        self.status = state.values["status"]
        self.grader = Grader(state)
        self.vetoes = DrawnVetoes(state, drawn)

    def score(self, rows: Rows) -> Scored:
        chunk = _Chunk(
            rows,
            _or_zeros(rows.normalization, rows.count),
            _or_zeros(rows.aggregation, rows.count),
        )
        value = self._node(self.tree, chunk, np.arange(rows.count)).full()
        scores = graded_scores(value * self.tree.points + self.adjustment, self.status)
        ranks = competition_ranks(scores)
        hits = self.vetoes.veto_hits(rows, scores, self.adjustment)
        return Scored(scores, ranks, self.grader.grade(scores, hits))

    def _distinct(self, deps: tuple[str, ...], chunk: _Chunk, index: np.ndarray):
        """Rows of ``index`` whose inputs in ``deps`` are the same, once each: (rows, inverse).

        In the pick-freeze layout a row AB_g differs from A only in group g, so a node that does
        not depend on g has the same value in both: a dimension with four uncertain inputs has
        six distinct values per base sample, not one per row. None when nothing repeats.
        """
        rows = chunk.rows
        if rows.position is None or len(deps) + 2 >= rows.width:
            return None
        position = rows.position[index]
        key = rows.base[index] << len(deps)
        for bit, group in enumerate(deps):
            from_b = (position == rows.group_index[group] + 1) | (position == rows.width - 1)
            key |= from_b.astype(np.int64) << bit
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        if unique.size == index.size:
            return None
        return index[first], inverse

    def _node(self, node: TreeNode, chunk: _Chunk, index: np.ndarray) -> _Values:
        distinct = self._distinct(self.dependencies[node.id], chunk, index)
        if distinct is not None:
            return _Values(self._node_rows(node, chunk, distinct[0]), distinct[1])
        return _Values(self._node_rows(node, chunk, index))

    def _node_rows(self, node: TreeNode, chunk: _Chunk, index: np.ndarray) -> np.ndarray:
        count, size = index.size, self.state.size
        out = np.empty((count, size))
        normalization, aggregation = chunk.normalization[index], chunk.aggregation[index]
        for variant in sorted(set(zip(normalization.tolist(), aggregation.tolist(), strict=True))):
            where = np.flatnonzero((normalization == variant[0]) & (aggregation == variant[1]))
            out[where] = self._combine(node, chunk, index[where], *variant)
        return out

    def _combine(self, node: TreeNode, chunk: _Chunk, index, normalization, aggregation):
        fixed, fixed_positions = self._fixed_block(node, normalization)
        varying, varying_positions = [], []
        for j, child in enumerate(node.children):
            if child.indicator and child.id in self.drawn:
                varying.append(self._drawn_leaf(child.id, chunk, index, normalization))
            elif not child.indicator:
                varying.append(self._node(child, chunk, index))
            else:
                continue
            varying_positions.append(j)
        weights = chunk.rows.weights
        if node.id in weights:
            shares = weights[node.id][index][:, None, :]
        else:
            shares = np.broadcast_to(np.array(node.shares), (index.size, 1, len(node.children)))
        method = self.aggregations[aggregation] or node.aggregate
        logs = (
            method == "geometric"
            and bool(np.all(shares > 0))
            and bool(np.all(fixed >= 0))
            and all(bool(np.all(child.values >= 0)) for child in varying)
        )
        if logs:
            # Nothing missing, nothing negative, every share positive: a geometric node is exp of
            # the weighted mean of the logs — the same sums combine_blocks makes — with each log
            # taken once per distinct value, before the rows of a base sample are expanded. A
            # child at zero has log −inf and makes the node exp(−inf) = 0, as combine_blocks does.
            with np.errstate(divide="ignore"):
                fixed = self._fixed_logs(node, normalization, fixed)
                varying = [child.mapped(np.log) for child in varying]
            method = "arithmetic"
        blocks = []
        if fixed_positions:
            blocks.append((fixed, shares[..., fixed_positions]))
        if varying_positions:
            # children stacked first (contiguous copies) and viewed as rows × units × children:
            # stacking on the last axis would scatter every value, several times slower
            values = np.moveaxis(np.stack([v.full() for v in varying], axis=0), 0, -1)
            values = zero_missing(values, node)
            blocks.append((values, shares[..., varying_positions]))
        with np.errstate(invalid="ignore"):
            combined = combine_blocks(blocks, method)
        return np.exp(combined) if logs else combined

    def _drawn_leaf(self, name: str, chunk: _Chunk, index: np.ndarray, normalization: int):
        """A sampled indicator's normalized scores (all rows of ``index`` share one rule)."""
        distinct = self._distinct(self.dependencies[name], chunk, index)
        rows = index if distinct is None else distinct[0]
        rule = self.rules[normalization][name]
        scores = normalize(chunk.rows.values[name][rows], rule, self.state.targets.get(name))[0]
        return _Values(scores, None if distinct is None else distinct[1])

    def _fixed_logs(self, node: TreeNode, normalization: int, fixed: np.ndarray) -> np.ndarray:
        key = (node.id, -1 - normalization)
        if key not in self._blocks:
            self._blocks[key] = (np.log(fixed), [])
        return self._blocks[key][0]

    def _fixed_block(self, node: TreeNode, normalization: int) -> tuple[np.ndarray, list[int]]:
        key = (node.id, normalization)
        if key not in self._blocks:
            positions = [
                j
                for j, child in enumerate(node.children)
                if child.indicator and child.id not in self.drawn
            ]
            columns = [self.fixed[normalization][node.children[j].id] for j in positions]
            block = np.column_stack(columns) if columns else np.empty((self.state.size, 0))
            block = zero_missing(block, node)
            self._blocks[key] = (block, positions)
        return self._blocks[key]


@dataclass
class _Values:
    """A child's values for some rows: ``values[inverse]`` when rows repeat (see _distinct)."""

    values: np.ndarray
    inverse: np.ndarray | None = None

    def full(self) -> np.ndarray:
        return self.values if self.inverse is None else self.values[self.inverse]

    def mapped(self, function) -> _Values:
        return _Values(function(self.values), self.inverse)


@dataclass
class _Chunk:
    rows: Rows
    normalization: np.ndarray  # per row: 0 = the scheme's rules, i = alternative i
    aggregation: np.ndarray


def _or_zeros(choice: np.ndarray | None, count: int) -> np.ndarray:
    return np.zeros(count, dtype=np.int64) if choice is None else choice


def check_nominal(rescorer: Rescorer, state: ScoringState, settings: Settings) -> None:
    """The nominal inputs must give back the run's scores, ranks and grades exactly."""
    rows = Rows(start=0, count=1)
    for node in state.scheme.tree.walk():
        if not node.indicator and len(node.children) > 1:
            rows.weights[node.id] = np.array([node.shares])
    rows.values = {name: state.values[name][None, :].astype(float) for name in rescorer.drawn}
    scored = rescorer.score(rows)
    expected_grades = rescorer.grader.indices(state.values["grade"]).tolist()
    expected_ranks = np.nan_to_num(state.values["rank"], nan=NO_RANK).astype(int).tolist()
    score = state.values["score"]
    same_scores = np.allclose(scored.scores[0], score, rtol=1e-9, atol=1e-9, equal_nan=True)
    if not (
        same_scores
        and scored.ranks[0].tolist() == expected_ranks
        and scored.grades[0].tolist() == expected_grades
    ):
        raise KaoheError(
            text(
                "敏感性分析无法用名义输入重现本次考核的得分、排名和等次；这是 kaohe 的缺陷，请报告",
                "the sensitivity analysis cannot reproduce the run's scores, ranks and grades "
                "from the nominal inputs; this is a bug in kaohe, please report it",
            )
        )


def _dependencies(
    tree: TreeNode, drawn: set[str], settings: Settings
) -> dict[str, tuple[str, ...]]:
    """For each node and sampled indicator: the input groups its value depends on."""
    methods = []
    if settings.normalizations:
        methods.append("normalize")
    found: dict[str, tuple[str, ...]] = {}

    def visit(node: TreeNode) -> set[str]:
        if node.indicator:
            own = {f"sampling:{node.id}"} if node.id in drawn else set()
            found[node.id] = tuple(sorted(own | set(methods)))
            return own
        own = (
            {f"weights:{node.id}"} if settings.weights.active and len(node.children) > 1 else set()
        )
        for child in node.children:
            own |= visit(child)
        extra = set(methods) | ({"aggregate"} if settings.aggregations else set())
        found[node.id] = tuple(sorted(own | extra))
        return own

    visit(tree)
    return found
