"""What changed between two versions of a scheme (考核办法修订对照).

Both schemes are compared as loaded — parameters substituted, the tree resolved — so a change of
a parameter shows up twice: as the parameter's new value and as its effect (a dimension's points,
a grade's cut-off). Items are matched by their ids (indicators, tree nodes, vetoes, adjustment
items, parameters, measures, sources, flags); grade bands by grade; outcomes, which have no ids, by
their condition.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .load import LoadedScheme
from .tree import TreeNode

ChangeKind = Literal["added", "removed", "changed"]

# Sections in the order a reader looks at them: what is assessed, how it is scored, what follows.
SECTIONS = (
    "scheme",
    "indicators",
    "tree",
    "grading",
    "vetoes",
    "adjustments",
    "outcomes",
    "parameters",
    "flags",
    "measures",
    "sources",
)


@dataclass(frozen=True)
class Change:
    """One difference: ``field`` of ``item`` in ``section`` went from ``old`` to ``new``."""

    section: str
    item: str
    change: ChangeKind
    field: str | None = None
    old: Any = None
    new: Any = None
    label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _same(a: Any, b: Any) -> bool:
    if (
        isinstance(a, float)
        and isinstance(b, float | int)
        or isinstance(b, float)
        and isinstance(a, int | float)
    ):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def _dump(model: Any) -> Any:
    return (
        model.model_dump(mode="json", exclude_none=True) if hasattr(model, "model_dump") else model
    )


def _fields(
    section: str, item: str, old: dict, new: dict, label: str | None, skip: tuple = ()
) -> list[Change]:
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in skip:
            continue
        a, b = old.get(key), new.get(key)
        if not _same(a, b):
            changes.append(Change(section, item, "changed", key, a, b, label))
    return changes


def _keyed(
    section: str,
    old: dict[str, Any],
    new: dict[str, Any],
    label: Any = lambda item: None,
    skip: tuple = (),
) -> list[Change]:
    """Added, removed and changed items of two mappings of pydantic models (or values)."""
    changes = []
    for name, item in old.items():
        if name not in new:
            changes.append(Change(section, name, "removed", old=_dump(item), label=label(item)))
    for name, item in new.items():
        if name not in old:
            changes.append(Change(section, name, "added", new=_dump(item), label=label(item)))
            continue
        a, b = _dump(old[name]), _dump(item)
        if isinstance(a, dict) and isinstance(b, dict):
            changes += _fields(section, name, a, b, label(item), skip)
        elif not _same(a, b):
            changes.append(Change(section, name, "changed", None, a, b, label(item)))
    return changes


def _label(item: Any) -> str | None:
    return getattr(item, "label", None)


def _nodes(tree: TreeNode) -> dict[str, tuple[TreeNode, str | None]]:
    """Every node and indicator of a resolved tree, with its parent's id."""
    found: dict[str, tuple[TreeNode, str | None]] = {}

    def visit(node: TreeNode, parent: str | None) -> None:
        found[node.id] = (node, parent)
        for child in node.children:
            visit(child, node.id)

    visit(tree, None)
    return found


def _tree_changes(old: LoadedScheme, new: LoadedScheme) -> list[Change]:
    """Nodes added and removed, and each node's or indicator's maximum points and place."""
    a, b = _nodes(old.tree), _nodes(new.tree)
    changes = []
    for ident, (node, _parent) in a.items():
        if ident not in b and not node.indicator:
            changes.append(
                Change("tree", ident, "removed", old=round(node.points, 6), label=node.label)
            )
    for ident, (node, parent) in b.items():
        if ident not in a:
            if not node.indicator:
                changes.append(
                    Change("tree", ident, "added", new=round(node.points, 6), label=node.label)
                )
            continue
        before, before_parent = a[ident]
        if not _same(round(before.points, 6), round(node.points, 6)):
            changes.append(
                Change(
                    "tree",
                    ident,
                    "changed",
                    "max_points",
                    round(before.points, 6),
                    round(node.points, 6),
                    node.label,
                )
            )
        if before_parent != parent:
            changes.append(
                Change("tree", ident, "changed", "parent", before_parent, parent, node.label)
            )
        if not node.indicator and (before.aggregate, before.missing) != (
            node.aggregate,
            node.missing,
        ):
            changes.append(
                Change(
                    "tree",
                    ident,
                    "changed",
                    "aggregate",
                    f"{before.aggregate}/{before.missing}",
                    f"{node.aggregate}/{node.missing}",
                    node.label,
                )
            )
    return changes


def _grading_changes(old: LoadedScheme, new: LoadedScheme) -> list[Change]:
    a, b = old.model.grading, new.model.grading
    changes = _fields(
        "grading",
        "grading",
        {"method": a.method, "peer_group": a.peer_group, "sd": a.sd},
        {"method": b.method, "peer_group": b.peer_group, "sd": b.sd},
        None,
    )
    cuts_a = {grade: cut for cut, grade in a.bands}
    cuts_b = {grade: cut for cut, grade in b.bands}
    for grade, cut in cuts_a.items():
        if grade not in cuts_b:
            changes.append(Change("grading", grade, "removed", "cut", old=cut))
    for grade, cut in cuts_b.items():
        if grade not in cuts_a:
            changes.append(Change("grading", grade, "added", "cut", new=cut))
        elif not _same(cuts_a[grade], cut):
            changes.append(Change("grading", grade, "changed", "cut", cuts_a[grade], cut))
    if [g for g in a.grades if g in cuts_b] != [g for g in b.grades if g in cuts_a]:
        changes.append(Change("grading", "order", "changed", "grades", a.grades, b.grades))
    return changes


def _by_id(items: list) -> dict[str, Any]:
    return {item.id: item for item in items}


def _outcome_changes(old: LoadedScheme, new: LoadedScheme) -> list[Change]:
    a = {o.when.strip(): _dump(o)["actions"] for o in old.model.outcomes}
    b = {o.when.strip(): _dump(o)["actions"] for o in new.model.outcomes}
    return _keyed("outcomes", a, b)


def _scheme_changes(old: LoadedScheme, new: LoadedScheme) -> list[Change]:
    a, b = old.model, new.model
    fields = ("id", "title", "version", "policy_source")
    return _fields(
        "scheme",
        "scheme",
        {**{f: getattr(a, f) for f in fields}, "assesses": _dump(a.assesses)},
        {**{f: getattr(b, f) for f in fields}, "assesses": _dump(b.assesses)},
        None,
    )


def diff_schemes(old: LoadedScheme, new: LoadedScheme) -> list[Change]:
    """Every difference from ``old`` to ``new``, section by section (see ``SECTIONS``)."""
    a, b = old.model, new.model
    adjust_caps = ("bonus_cap", "deduction_cap")
    changes = [
        *_scheme_changes(old, new),
        *_keyed("indicators", a.indicators, b.indicators, _label),
        *_tree_changes(old, new),
        *_grading_changes(old, new),
        *_keyed("vetoes", _by_id(a.vetoes), _by_id(b.vetoes), lambda v: v.reason),
        *_fields(
            "adjustments",
            "caps",
            {k: getattr(a.adjustments, k) for k in adjust_caps},
            {k: getattr(b.adjustments, k) for k in adjust_caps},
            None,
        ),
        *_keyed("adjustments", _by_id(a.adjustments.items), _by_id(b.adjustments.items), _label),
        *_outcome_changes(old, new),
        *_keyed("parameters", a.parameters, b.parameters, _label),
        *_keyed("flags", a.flags, b.flags, _label),
        *_keyed("measures", a.measures, b.measures, _label),
        *_keyed("sources", a.sources, b.sources, _label),
    ]
    order = {section: i for i, section in enumerate(SECTIONS)}
    return sorted(changes, key=lambda c: order[c.section])  # stable: keeps order within a section
