"""The draws: uncertain inputs in groups, arranged as Saltelli's pick-freeze design.

Each group is one source of uncertainty: the shares of one node's children, the choice of
normalization, the choice of aggregation, or the sampling error of one estimated indicator (all
units at once). Groups are independent. For each of ``base`` samples two independent draws A and
B of every group are made, and the model is evaluated on G + 2 rows: A, then A with group g taken
from B for each g (AB_g), then B — the layout SALib's ``sobol.analyze`` reads. Every row is a
draw from the same joint distribution, so all rows feed the rank and grade summaries, and the
pairs (A, AB_g, B) give the variance-based indices.

Each group draws from its own random stream, seeded by the run seed and the group's id, and
streams are consumed base sample by base sample: results do not depend on how rows are chunked,
and adding a group does not change the draws of the others.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..i18n import text
from ..scheme.tree import ROOT_ID, TreeNode
from .sampling import Sampler
from .settings import Settings, WeightPerturbation


@dataclass(frozen=True)
class InputGroup:
    id: str  # weights:<node>, normalize, aggregate, sampling:<indicator>
    kind: str
    target: str | None
    label: str
    label_en: str


@dataclass
class Rows:
    """The inputs of a chunk of rows: one entry per row for each group."""

    start: int  # index of the first row in the whole design
    count: int
    base: np.ndarray | None = None  # per row: its base sample (within the chunk)
    position: np.ndarray | None = None  # per row: 0 = A, g + 1 = AB_g, width - 1 = B
    width: int = 0  # rows per base sample
    group_index: dict[str, int] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # node → rows × children
    normalization: np.ndarray | None = None  # rows: 0 = the scheme's rules, i = alternative i
    aggregation: np.ndarray | None = None
    values: dict[str, np.ndarray] = field(default_factory=dict)  # indicator → rows × units


@dataclass
class Design:
    groups: list[InputGroup]
    base: int  # number of base samples
    settings: Settings
    nodes: dict[str, TreeNode]
    samplers: dict[str, Sampler]

    @property
    def width(self) -> int:
        """Rows per base sample: A, one AB per group, B."""
        return len(self.groups) + 2

    @property
    def rows(self) -> int:
        return self.base * self.width

    def chunks(self, base_per_chunk: int) -> Iterator[Rows]:
        streams = {
            g.id: np.random.default_rng(_seed(self.settings.seed or 0, g.id)) for g in self.groups
        }
        for first in range(0, self.base, base_per_chunk):
            count = min(base_per_chunk, self.base - first)
            yield self._rows(first, count, streams)

    def _rows(self, first: int, count: int, streams) -> Rows:
        width = self.width
        rows = Rows(
            start=first * width,
            count=count * width,
            base=np.repeat(np.arange(count, dtype=np.int64), width),
            position=np.tile(np.arange(width), count),
            width=width,
            group_index={group.id: g for g, group in enumerate(self.groups)},
        )
        position = np.arange(width)
        for g, group in enumerate(self.groups):
            # row k of a base sample takes group g from B when k is AB_g (g + 1) or B (last)
            from_b = (position == g + 1) | (position == width - 1)
            take = (np.arange(count)[:, None] * 2 + from_b[None, :]).ravel()
            pairs = self._draw(group, streams[group.id], count)  # (count, 2, …)
            chosen = pairs.reshape(count * 2, *pairs.shape[2:])[take]
            if group.kind == "weights":
                rows.weights[group.target] = chosen
            elif group.kind == "normalize":
                rows.normalization = chosen
            elif group.kind == "aggregate":
                rows.aggregation = chosen
            else:
                rows.values[group.target] = chosen
        return rows

    def _draw(self, group: InputGroup, rng: np.random.Generator, count: int) -> np.ndarray:
        settings = self.settings
        if group.kind == "weights":
            return perturb_shares(
                np.array(self.nodes[group.target].shares), settings.weights, rng, count
            )
        if group.kind == "normalize":
            return rng.integers(0, len(settings.normalizations) + 1, size=(count, 2))
        if group.kind == "aggregate":
            return rng.integers(0, len(settings.aggregations) + 1, size=(count, 2))
        return self.samplers[group.target].draw(rng, (count, 2))


def perturb_shares(
    shares: np.ndarray, spec: WeightPerturbation, rng: np.random.Generator, count: int
) -> np.ndarray:
    """``count`` × 2 draws of a node's children's shares around the nominal ``shares``."""
    if spec.kind == "dirichlet":
        return rng.dirichlet(shares * spec.amount, size=(count, 2))
    factors = rng.uniform(1.0 - spec.amount, 1.0 + spec.amount, size=(count, 2, shares.size))
    weights = shares * factors
    return weights / weights.sum(axis=-1, keepdims=True)


def _seed(seed: int, group: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, zlib.crc32(group.encode("utf-8"))])


def build_design(
    tree: TreeNode, settings: Settings, samplers: list[Sampler], labels: dict[str, str]
) -> Design:
    """The groups of uncertain inputs the settings switch on, and enough base samples for them."""
    groups: list[InputGroup] = []
    nodes = {node.id: node for node in tree.walk() if not node.indicator}
    if settings.weights.active:
        for node in tree.walk():
            if not node.indicator and len(node.children) > 1:
                if node.id == ROOT_ID:
                    label, label_en = "维度权重", "weights of the dimensions"
                else:
                    name, name_en = (
                        labels.get(node.id, node.id),
                        labels.get(node.id + ":en", node.id),
                    )
                    label, label_en = f"{name}内部权重", f"weights within {name_en}"
                groups.append(InputGroup(f"weights:{node.id}", "weights", node.id, label, label_en))
    if settings.normalizations:
        groups.append(
            InputGroup("normalize", "normalize", None, "标准化方法", "normalization method")
        )
    if settings.aggregations:
        groups.append(InputGroup("aggregate", "aggregate", None, "加总方法", "aggregation method"))
    for sampler in samplers:
        name = labels.get(sampler.indicator, sampler.indicator)
        groups.append(
            InputGroup(
                f"sampling:{sampler.indicator}",
                "sampling",
                sampler.indicator,
                f"{name}抽样误差",
                f"sampling error of {labels.get(sampler.indicator + ':en', name)}",
            )
        )
    if not groups:
        raise UsageError(
            text(
                "没有可变化的输入：权重固定（--weights none）、没有备选方法（--methods），"
                "也没有可抽样的估计指标",
                "nothing to vary: weights are fixed (--weights none), no alternative methods "
                "(--methods) and no estimated indicator to draw",
            )
        )
    base = math.ceil(settings.draws / (len(groups) + 2))
    return Design(groups, base, settings, nodes, {s.indicator: s for s in samplers})
