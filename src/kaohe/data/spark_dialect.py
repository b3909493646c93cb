"""DuckDB SQL of an import's rules and layers, as Spark SQL: sqlglot's transpiler, plus the few
DuckDB functions it carries over by name although Spark has none of that name.

The rules stay written once, in ``import_plan`` (DuckDB's dialect); only the functions below are
rewritten, each to a Spark function of the same meaning on the values an import gives them. A
function sqlglot cannot place and this module does not know is an error, never passed to Spark
to fail (or worse, to mean something else) there.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

# Functions sqlglot leaves as they are written (exp.Anonymous) that Spark has under that name.
_SAME_IN_SPARK = {"startswith", "endswith", "octet_length", "xxhash64"}


def _startswith(args: list[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="startswith", expressions=args)


def _endswith(args: list[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="endswith", expressions=args)


def _full_match(args: list[exp.Expression]) -> exp.Expression:
    # RLIKE finds a match anywhere: anchored, as casts._full_match does for the casts. \z, not $:
    # Java's $ also matches before a final line break, DuckDB's (RE2's) does not.
    value, pattern = args
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise ValueError(f"regexp_full_match with a pattern that is not a literal: {pattern.sql()}")
    anchored = exp.Literal.string(f"^(?:{pattern.this})\\z")
    return exp.RegexpLike(this=value, expression=anchored)


def _byte_length(args: list[exp.Expression]) -> exp.Expression:
    # DuckDB's strlen counts bytes (idnumbers compares it to length() to find ASCII text)
    return exp.Anonymous(this="octet_length", expressions=args)


def _hash(args: list[exp.Expression]) -> exp.Expression:
    # Another 64-bit hash than DuckDB's: the plan hashes keys only to sieve the candidates for
    # repeats, which are then compared exactly (importer._duplicates), so any hash will do.
    return exp.Anonymous(this="xxhash64", expressions=args)


_REWRITES = {
    "hash": _hash,
    "prefix": _startswith,
    "suffix": _endswith,
    "strlen": _byte_length,
}


def _fields(struct: exp.Struct) -> list[exp.Expression]:
    return [f.expression if isinstance(f, exp.PropertyEQ) else f for f in struct.expressions]


def _struct_in(node: exp.In) -> exp.Expression:
    """``struct(…) IN (SELECT struct(…) …)``: Spark compares a struct on the left field by field
    with the subquery's columns, so the subquery gives the fields as columns (DuckDB compares
    the structs whole; NULL fields make both NULL, which the plan's conditions read as false)."""
    select = node.args["query"].this
    (inner,) = select.expressions
    if not isinstance(inner, exp.Struct):
        raise ValueError(f"a struct IN a subquery that gives no struct: {node.sql()}")
    select.set("expressions", _fields(inner))
    return exp.In(this=exp.Tuple(expressions=_fields(node.this)), query=node.args["query"])


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.In) and isinstance(node.this, exp.Struct) and node.args.get("query"):
        return _struct_in(node)
    if isinstance(node, exp.RegexpFullMatch):
        return _full_match([node.this, node.expression])
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        if name in _REWRITES:
            return _REWRITES[name](list(node.expressions))
        if name not in _SAME_IN_SPARK:
            raise ValueError(f"no Spark counterpart known for the DuckDB function {name}()")
    return node


def to_spark(sql: str) -> str:
    """``sql`` (DuckDB's dialect: a query or an expression) as Spark SQL of the same meaning."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.transform(_rewrite).sql(dialect="spark")
