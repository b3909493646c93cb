"""Load a scheme: read YAML with line numbers, fill in parameters, validate, check every name.

All problems are collected and reported together as ``FILE:LINE: message`` before any data is
read, so an assessor fixes a scheme in one pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import Problem, SchemeError
from ..expr import ExprError, Expression, ExprKind, parse, suggest
from ..i18n import text
from .actions import ACTIONS, EVIDENCE_ACTIONS
from .documents import SCHEMES, bundled_files, read_yaml, resolve_document, validate
from .extends import EXTENDS, effective_scheme
from .model import Scheme
from .parameters import apply_parameters
from .tree import TreeNode, TreeProblem, resolve_tree
from .yaml_lines import key_line_of, line_of, parse_yaml

# Names every run provides to conditions evaluated after scoring.
SCORE_NAMES = ("base_score", "bonus", "deduction", "score")
RESULT_NAMES = (
    *SCORE_NAMES,
    "vetoed",
    "grade",
    "rank",
    "group_rank",
    "status",
    "completeness",
)


@dataclass(frozen=True)
class LoadedScheme:
    """A scheme checked end to end, with its expressions parsed and its tree resolved."""

    model: Scheme
    file: str
    sha256: str
    parameters: dict[str, Any]
    measures: dict[str, Expression]
    indicators: dict[str, Expression]
    flags: dict[str, Expression]
    adjustment_when: dict[str, Expression | None]
    adjustment_points: dict[str, Expression | float]
    vetoes: list[Expression]
    outcomes: list[Expression]
    tree: TreeNode
    attribute_names: tuple[str, ...] = field(default=())
    intervals: dict[str, tuple[Expression, Expression]] = field(default_factory=dict)
    coverage: list[Expression] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.model.id

    def label(self, name: str, lang: str = "zh") -> str:
        """The Chinese (or English) label of a measure, indicator, flag or node; else its id."""
        for table in (self.model.indicators, self.model.measures, self.model.flags):
            if name in table:
                item = table[name]
                return (item.label_en if lang == "en" else item.label) or item.label or name
        for node in self.tree.walk():
            if node.id == name:
                return (node.label_en if lang == "en" else node.label) or node.label or name
        return name


def bundled_schemes() -> dict[str, Path]:
    """The schemes shipped with kaohe, by id."""
    return bundled_files(SCHEMES.folder)


def resolve_scheme_path(name_or_path: str) -> Path:
    """A path to a scheme file, or the bundled scheme of that name."""
    return resolve_document(name_or_path, SCHEMES)


def document_path(doc: Any, path: Sequence[Any]) -> tuple:
    """The path of a model location in the YAML document.

    A tree written as a plain list of top nodes is the model's ``tree.children``; in the document
    those nodes sit right under ``tree``.
    """
    path = tuple(path)
    if (
        len(path) >= 2
        and path[:2] == ("tree", "children")
        and isinstance(doc, CommentedMap)
        and isinstance(doc.get("tree"), CommentedSeq)
    ):
        return ("tree", *path[2:])
    return path


def load_scheme(name_or_path: str, overrides: dict[str, Any] | None = None) -> LoadedScheme:
    """Load, validate and check a scheme file or bundled scheme; raise ``SchemeError`` if unusable."""
    path = resolve_scheme_path(name_or_path)
    doc, file, sha256 = read_yaml(path)
    if isinstance(doc, CommentedMap) and EXTENDS in doc:
        return _load_extended(doc, path, overrides)
    return load_document(doc, file, sha256, overrides)


def _load_extended(
    doc: CommentedMap, path: Path, overrides: dict[str, Any] | None = None
) -> LoadedScheme:
    """A local scheme: merged onto what it extends, then loaded as the effective scheme; problems
    are reported at the file and line where the offending value was written."""
    effective = effective_scheme(doc, path)
    document = parse_yaml(effective.text, effective.file)
    try:
        return load_document(document, effective.file, effective.sha256, overrides)
    except SchemeError as error:
        raise SchemeError([effective.relocate(p) for p in error.problems]) from None


def show_scheme(name_or_path: str) -> str:
    """The effective scheme as YAML text: a local scheme merged, any other scheme as written."""
    path = resolve_scheme_path(name_or_path)
    doc, _, _ = read_yaml(path, SCHEMES.mapping)
    if EXTENDS not in doc:
        return path.read_text(encoding="utf-8")
    return effective_scheme(doc, path).text


def load_document(
    doc: Any, file: str, sha256: str, overrides: dict[str, Any] | None = None
) -> LoadedScheme:
    """Validate and check a parsed scheme document (from ``parse_yaml``, which keeps lines)."""
    if not isinstance(doc, CommentedMap):
        raise SchemeError([Problem(file, 1, text(*SCHEMES.mapping))])
    values = apply_parameters(doc, overrides or {}, file)
    model = validate(Scheme, doc, file, document_path)
    checked = _check(model, doc, file, values)
    return LoadedScheme(model=model, file=file, sha256=sha256, parameters=values, **checked)


def _check(model: Scheme, doc, file: str, params: dict[str, Any]) -> dict[str, Any]:
    problems: list[Problem] = []

    def problem(path: tuple, message: str, key: bool = False) -> None:
        path = document_path(doc, path)
        line = key_line_of(doc, path) if key else line_of(doc, path)
        problems.append(Problem(file, line, message))

    def checked(source: str, scope, kind: ExprKind, path: tuple) -> Expression | None:
        try:
            expression = parse(source, scope, kind)
        except ExprError as error:
            problem(path, str(error))
            return None
        return _inline_parameters(expression, params)

    # Names must be unique across the spaces an expression can see.
    spaces = {
        "unit_attributes": model.unit_attributes,
        "parameters": model.parameters,
        "measures": model.measures,
        "indicators": model.indicators,
        "flags": model.flags,
    }
    owner: dict[str, str] = {name: "reserved" for name in (*RESULT_NAMES, "unit", "name")}
    for space, names in spaces.items():
        for name in names:
            if name in owner:
                problem(
                    (space, name),
                    text(
                        f"名称 {name} 已在 {owner[name]} 中使用，请换一个名称",
                        f"the name {name} is already used in {owner[name]}; choose another",
                    ),
                    key=True,
                )
            else:
                owner[name] = space

    attributes = set(model.unit_attributes)
    measures: dict[str, Expression] = {}
    for name, measure in model.measures.items():
        if measure.source not in model.sources:
            problem(
                ("measures", name, "source"),
                text(f"未声明的数据源 {measure.source}", f"undeclared source {measure.source}")
                + suggest(measure.source, model.sources),
            )
            continue
        columns = set(model.sources[measure.source].columns) | set(params)
        expression = checked(measure.expr, columns, ExprKind.AGGREGATE, ("measures", name, "expr"))
        if expression is not None:
            measures[name] = dataclasses.replace(expression, declared_rollup=measure.rollup)

    row_scope = attributes | set(model.measures) | set(params)
    indicators = {}
    intervals = {}
    for name, indicator in model.indicators.items():
        expression = checked(indicator.expr, row_scope, ExprKind.ROW, ("indicators", name, "expr"))
        if expression is not None:
            indicators[name] = expression
        if indicator.interval is not None:
            where = ("indicators", name, "interval")
            bounds = (
                checked(indicator.interval.low, row_scope, ExprKind.ROW, (*where, "low")),
                checked(indicator.interval.high, row_scope, ExprKind.ROW, (*where, "high")),
            )
            if None not in bounds:
                intervals[name] = bounds
        target = indicator.target
        if (
            target is not None
            and not isinstance(target, int | float)
            and target.column not in attributes
        ):
            problem(
                ("indicators", name, "target", "column"),
                text(
                    f"目标列 {target.column} 未在 unit_attributes 中声明",
                    f"target column {target.column} is not declared in unit_attributes",
                )
                + suggest(target.column, attributes),
            )
        if indicator.score.method == "target" and target is None:
            problem(
                ("indicators", name, "score"),
                text(
                    "method: target 需要指标有 target（常数或 {column: …}）",
                    "method: target needs the indicator to have a target (a number or {column: …})",
                ),
            )

    indicator_scope = row_scope | set(model.indicators)
    flags = {}
    for name, flag in model.flags.items():
        expression = checked(flag.when, indicator_scope, ExprKind.ROW, ("flags", name, "when"))
        if expression is not None:
            flags[name] = expression

    unit_scope = indicator_scope | set(model.flags)
    adjustment_when: dict[str, Expression | None] = {}
    adjustment_points: dict[str, Expression | float] = {}
    for i, item in enumerate(model.adjustments.items):
        base = ("adjustments", "items", i)
        adjustment_when[item.id] = (
            checked(item.when, unit_scope, ExprKind.ROW, (*base, "when")) if item.when else None
        )
        if isinstance(item.points, str):
            points = checked(item.points, unit_scope, ExprKind.ROW, (*base, "points"))
            if points is not None:
                adjustment_points[item.id] = points
        else:
            adjustment_points[item.id] = float(item.points)

    grades = model.grading.grades
    score_scope = unit_scope | set(SCORE_NAMES)
    vetoes = []
    for i, veto in enumerate(model.vetoes):
        expression = checked(veto.when, score_scope, ExprKind.ROW, ("vetoes", i, "when"))
        if expression is not None:
            vetoes.append(expression)
        for key in ("grade", "grade_at_most"):
            grade = getattr(veto, key)
            if grade is not None and grade not in grades:
                problem(
                    ("vetoes", i, key),
                    text(
                        f"等次 {grade} 不在评级档次（{'、'.join(grades)}）中",
                        f"grade {grade} is not one of the bands ({', '.join(grades)})",
                    )
                    + suggest(grade, grades),
                )

    result_scope = unit_scope | set(RESULT_NAMES)
    outcomes = []
    for i, outcome in enumerate(model.outcomes):
        expression = checked(outcome.when, result_scope, ExprKind.ROW, ("outcomes", i, "when"))
        if expression is not None:
            outcomes.append(expression)
        for j, action in enumerate(outcome.actions):
            kind = next(iter(action))
            if kind not in ACTIONS:
                problem(
                    ("outcomes", i, "actions", j),
                    text(f"未知的结果应用动作 {kind}", f"unknown outcome action {kind}")
                    + suggest(kind, ACTIONS),
                )
            elif outcome.status != "graded" and kind not in EVIDENCE_ACTIONS:
                problem(
                    ("outcomes", i, "actions", j),
                    text(
                        f"未评定等次的考核对象（status: {outcome.status}）只能收到补充证据的要求"
                        f"（{'、'.join(EVIDENCE_ACTIONS)}），不能有 {kind}",
                        f"a unit without a grade (status: {outcome.status}) can only be asked for "
                        f"evidence ({', '.join(EVIDENCE_ACTIONS)}), not {kind}",
                    ),
                )

    coverage = []
    for i, rule in enumerate(model.coverage):
        expression = checked(rule.when, unit_scope, ExprKind.ROW, ("coverage", i, "when"))
        if expression is not None:
            coverage.append(expression)

    peer_group = model.grading.peer_group
    if peer_group is not None and peer_group not in attributes:
        problem(
            ("grading", "peer_group"),
            text(
                f"同组分组列 {peer_group} 未在 unit_attributes 中声明",
                f"peer group column {peer_group} is not declared in unit_attributes",
            )
            + suggest(peer_group, attributes),
        )

    tree = None
    try:
        tree = resolve_tree(model.tree, model.indicators, owner)
    except TreeProblem as error:
        problem(error.path, str(error))
    if tree is not None:
        in_tree = [node.id for node in tree.walk()]
        for i, rule in enumerate(model.coverage):
            for j, name in enumerate(rule.nodes):
                if name not in in_tree:
                    problem(
                        ("coverage", i, "nodes", j),
                        text(f"指标树中没有 {name}", f"{name} is not in the tree")
                        + suggest(name, in_tree),
                    )

    if problems:
        raise SchemeError(problems)
    return {
        "measures": measures,
        "indicators": indicators,
        "flags": flags,
        "adjustment_when": adjustment_when,
        "adjustment_points": adjustment_points,
        "vetoes": vetoes,
        "outcomes": outcomes,
        "tree": tree,
        "attribute_names": tuple(model.unit_attributes),
        "intervals": intervals,
        "coverage": coverage,
    }


def _inline_parameters(expression: Expression, params: dict[str, Any]) -> Expression:
    """Replace parameter names with their values as SQL literals (so every engine sees constants)."""
    used = expression.names & set(params)
    if not used:
        return expression
    from sqlglot import exp

    def replace(node):
        if isinstance(node, exp.Column) and node.name in used:
            return exp.convert(params[node.name])
        return node

    tree = expression.tree.copy().transform(replace)
    return dataclasses.replace(expression, tree=tree, names=expression.names - used)
