"""The one expression language: SQL expressions, parsed and checked with sqlglot.

Measures, indicator formulas, flags, adjustments, vetoes and outcome conditions are all SQL
expressions. They are parsed when a scheme loads, every name is resolved against the scope the
expression may see, and they are only ever executed by a SQL engine (DuckDB or Spark) after being
re-rendered from the parsed tree, never with Python ``eval``.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .i18n import text


class ExprKind(StrEnum):
    AGGREGATE = "aggregate"  # a measure: aggregates source rows per unit
    ROW = "row"  # anything evaluated once per unit: indicators, flags, conditions


# Nodes that would let an expression reach outside the row it is evaluated on.
_FORBIDDEN = (exp.Query, exp.Subquery, exp.Table, exp.Window, exp.Placeholder, exp.Parameter)


class ExprError(ValueError):
    """A problem in one expression; the scheme loader adds the file and line."""


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, parsed tree, the names it reads and how it rolls up."""

    text: str
    tree: exp.Expression
    names: frozenset[str]
    declared_rollup: str | None = None  # a measure's explicit ``rollup`` (None or 'auto': infer)

    def sql(self, dialect: str = "duckdb") -> str:
        return self.tree.sql(dialect=dialect)

    @property
    def rollup(self) -> str:
        """How a per-unit aggregate combines into a parent's: 'sum', 'min', 'max' or 'recompute'.

        Counts and sums add up the hierarchy; anything else (averages, distinct counts, ratios of
        aggregates) must be recomputed from the rows at each level, never averaged. A measure
        may declare its roll-up, which then wins over what the expression suggests.
        """
        if self.declared_rollup not in (None, "auto"):
            return self.declared_rollup
        node = self.tree
        if isinstance(node, exp.Filter):
            node = node.this
        if isinstance(node, exp.Count) and not isinstance(node.this, exp.Distinct):
            return "sum"
        if isinstance(node, exp.Sum | exp.CountIf):
            return "sum"
        if isinstance(node, exp.Min):
            return "min"
        if isinstance(node, exp.Max):
            return "max"
        return "recompute"


@functools.cache
def _duckdb_functions() -> tuple[frozenset[str], frozenset[str]]:
    """Names of DuckDB's functions and of its aggregate functions (for checking unknown names)."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(
            "select distinct lower(function_name), function_type from duckdb_functions()"
        ).fetchall()
    names = frozenset(name for name, _ in rows)
    aggregates = frozenset(name for name, kind in rows if kind == "aggregate")
    return names, aggregates


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean …?)' for a near-miss name, or ''."""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return text(f"（是否想写：{'、'.join(close)}？）", f" (did you mean {', '.join(close)}?)")


def _is_aggregate(node: exp.Expression) -> bool:
    if isinstance(node, exp.AggFunc):
        return True
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in _duckdb_functions()[1]
    return False


def parse(source: str, scope: Iterable[str], kind: ExprKind) -> Expression:
    """Parse ``source`` and check it may be evaluated with the names in ``scope``.

    Raises ``ExprError`` with a message that says what is wrong and suggests near-miss names.
    """
    if not isinstance(source, str) or not source.strip():
        raise ExprError(text("表达式为空", "the expression is empty"))
    try:
        trees = sqlglot.parse(source, dialect="duckdb")
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        detail = first.get("description") or str(error).splitlines()[0]
        col = first.get("col")
        at = text(f"（第 {col} 个字符附近）", f" (near character {col})") if col else ""
        raise ExprError(
            text(f"表达式无法解析{at}：{detail}", f"cannot parse the expression{at}: {detail}")
        ) from None
    if len(trees) != 1 or trees[0] is None:
        raise ExprError(text("只能写一个表达式", "write exactly one expression"))
    tree = trees[0]
    for node in tree.walk():
        if isinstance(node, exp.Placeholder | exp.Parameter) and node.name:
            # `$name` substitutes a whole YAML value; inside an expression a parameter is a name.
            raise ExprError(
                text(
                    f"表达式中直接写参数名 {node.name}，不要加 $",
                    f"inside an expression write the parameter as {node.name}, without $",
                )
            )
        if isinstance(node, _FORBIDDEN):
            raise ExprError(
                text(
                    "表达式不能包含子查询、表或窗口函数，只能引用当前范围内的名称",
                    "expressions may not contain subqueries, tables or window functions; "
                    "refer only to names in scope",
                )
            )
    scope = frozenset(scope)
    known_functions, _ = _duckdb_functions()
    names: set[str] = set()
    for column in tree.find_all(exp.Column):
        if column.table:
            raise ExprError(
                text(
                    f"名称 {column.sql()} 不能带限定前缀，请直接写 {column.name}",
                    f"name {column.sql()} may not be qualified; write {column.name}",
                )
            )
        name = column.name
        if name not in scope:
            raise ExprError(text(f"未知名称 {name}", f"unknown name {name}") + suggest(name, scope))
        names.add(name)
    for function in tree.find_all(exp.Anonymous):
        fname = function.name.lower()
        if fname not in known_functions:
            raise ExprError(
                text(f"未知函数 {function.name}", f"unknown function {function.name}")
                + suggest(fname, known_functions)
            )
    aggregates = [node for node in tree.walk() if _is_aggregate(node)]
    if kind is ExprKind.AGGREGATE and not aggregates:
        raise ExprError(
            text(
                "基础数据（measure）必须是聚合表达式，例如 count(*) 或 sum(income)",
                "a measure must be an aggregate expression such as count(*) or sum(income)",
            )
        )
    if kind is ExprKind.AGGREGATE:
        for node in aggregates:
            if any(_is_aggregate(inner) for inner in node.walk() if inner is not node):
                raise ExprError(text("聚合函数不能嵌套", "aggregate functions may not be nested"))
    if kind is ExprKind.ROW and aggregates:
        raise ExprError(
            text(
                "这里的表达式按考核对象逐个计算，不能使用聚合函数；请先定义一个 measure",
                "this expression is evaluated per unit and may not aggregate; "
                "define a measure for the aggregate instead",
            )
        )
    return Expression(text=source, tree=tree, names=frozenset(names))


def quote(name: str) -> str:
    """A safely quoted SQL identifier."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
