"""The weighted indicator tree, resolved: each node's children, their shares and nominal points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..expr import suggest
from ..i18n import text
from .model import Indicator, Node, Reweight, Tree

ROOT_ID = "total"


@dataclass(frozen=True)
class TreeNode:
    """A node or leaf of the resolved tree.

    ``shares`` are the children's weights normalized to sum to 1; ``points`` is the node's nominal
    maximum (its share of the scheme's scale), so an indicator earns ``normalized × points`` under
    arithmetic aggregation.
    """

    id: str
    label: str | None
    label_en: str | None
    indicator: bool
    aggregate: str
    missing: str  # withhold, reweight, zero or fail (see model.MissingPolicy)
    points: float  # nominal: the node's share of the scale when every value is present
    children: tuple[TreeNode, ...] = ()
    shares: tuple[float, ...] = ()
    # reweight: the largest share of the node's nominal points its missing children may hold
    reweight_at_most: float = 1.0
    required: bool = False  # an indicator whose absence withholds the grade whatever its node says

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def dimensions(self) -> list[TreeNode]:
        """Every inner node below the root (the dimensions reported in results)."""
        return [node for node in self.walk() if not node.indicator and node.id != ROOT_ID]


class TreeProblem(ValueError):
    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def _declared(child: Node | Indicator) -> tuple[float | None, float | None]:
    return child.points, child.weight


def _shares(owner_path: tuple, children: list[Node | Indicator], node_points: float | None):
    """Normalized weights of ``children``: by points if all give points, else by weight, else equal."""
    declared = [_declared(child) for child in children]
    points = [p for p, _ in declared]
    weights = [w for _, w in declared]
    if all(p is not None for p in points):
        total = sum(points)
        if node_points is not None and abs(total - node_points) > 1e-9:
            raise TreeProblem(
                owner_path,
                text(
                    f"下级分值合计 {total:g}，但本节点为 {node_points:g} 分",
                    f"the children's points add up to {total:g}, "
                    f"but the node has {node_points:g} points",
                ),
            )
        return [p / total for p in points]
    if any(p is not None for p in points):
        raise TreeProblem(
            owner_path,
            text(
                "同一节点的下级要么都给 points，要么都不给",
                "give points to all children of a node, or to none",
            ),
        )
    if all(w is not None for w in weights):
        total = sum(weights)
        return [w / total for w in weights]
    if any(w is not None for w in weights):
        raise TreeProblem(
            owner_path,
            text(
                "同一节点的下级要么都给 weight，要么都不给",
                "give weights to all children of a node, or to none",
            ),
        )
    return [1.0 / len(children)] * len(children)


def resolve_tree(
    tree: Tree, indicators: dict[str, Indicator], taken: Mapping[str, str] | None = None
) -> TreeNode:
    """Resolve ids to indicators, normalize weights and hand down nominal points.

    ``taken``: names used elsewhere in the scheme (name → where), which a node id may not reuse:
    node ids become result columns and explanation keys beside indicators, flags and the scores.
    Raises ``TreeProblem`` (with the YAML path of the culprit) for unknown or repeated indicators,
    node ids that clash, and inconsistent points.
    """
    seen: dict[str, tuple] = {}
    node_ids: set[str] = set()
    taken = {**(taken or {}), **dict.fromkeys(indicators, "indicators")}

    def check_node_id(path: tuple, ident: str) -> None:
        where = (*path, "id")
        if ident == ROOT_ID:
            raise TreeProblem(
                where,
                text(
                    f"节点名 {ROOT_ID} 保留给指标树的根，请换一个名称",
                    f"the node id {ROOT_ID} is reserved for the root of the tree; choose another",
                ),
            )
        if ident in node_ids:
            raise TreeProblem(
                where,
                text(f"节点名 {ident} 重复", f"the node id {ident} appears twice in the tree"),
            )
        if taken.get(ident) == "reserved":
            raise TreeProblem(
                where,
                text(
                    f"节点名 {ident} 是保留名称（结果表的列名），请换一个名称",
                    f"the node id {ident} is a reserved name (a column of the results); "
                    "choose another",
                ),
            )
        if ident in taken:
            raise TreeProblem(
                where,
                text(
                    f"节点名 {ident} 已在 {taken[ident]} 中使用，请换一个名称",
                    f"the node id {ident} is already used in {taken[ident]}; choose another",
                ),
            )
        node_ids.add(ident)

    def children_of(owner_path: tuple, children: list) -> list[tuple[tuple, Node | Indicator, str]]:
        resolved = []
        for i, child in enumerate(children):
            path = (*owner_path, "children", i)
            if isinstance(child, str):
                if child not in indicators:
                    raise TreeProblem(
                        path,
                        text(f"未知指标 {child}", f"unknown indicator {child}")
                        + suggest(child, indicators),
                    )
                if child in seen:
                    raise TreeProblem(
                        path,
                        text(
                            f"指标 {child} 在指标树中出现了两次",
                            f"indicator {child} appears twice in the tree",
                        ),
                    )
                seen[child] = path
                resolved.append((path, indicators[child], child))
            else:
                check_node_id(path, child.id)
                resolved.append((path, child, child.id))
        return resolved

    def build(path, ident, item, points: float) -> TreeNode:
        if isinstance(item, Indicator):
            return TreeNode(
                ident,
                item.label,
                item.label_en,
                True,
                "arithmetic",
                "withhold" if item.required else "reweight",
                points,
                required=item.required,
            )
        kids = children_of(path, item.children)
        shares = _shares(path, [k for _, k, _ in kids], item.points)
        policy = item.missing
        return TreeNode(
            id=ident,
            label=getattr(item, "label", None),
            label_en=getattr(item, "label_en", None),
            indicator=False,
            aggregate=item.aggregate,
            missing="reweight" if isinstance(policy, Reweight) else policy,
            reweight_at_most=policy.at_most if isinstance(policy, Reweight) else 1.0,
            points=points,
            children=tuple(
                build(kpath, kid, k, points * share)
                for (kpath, k, kid), share in zip(kids, shares, strict=True)
            ),
            shares=tuple(shares),
        )

    def declared_points(child: str | Node) -> float | None:
        if isinstance(child, str):
            return indicators[child].points if child in indicators else None
        return child.points

    top_points = [declared_points(child) for child in tree.children]
    if tree.scale is not None:
        scale = tree.scale
    elif all(p is not None for p in top_points):
        scale = float(sum(top_points))
    else:
        scale = 100.0
    root = Node(id=ROOT_ID, aggregate=tree.aggregate, missing=tree.missing, children=tree.children)
    return build(("tree",), ROOT_ID, root, scale)
