"""What an assessment ran, kept in its run directory: the scheme and the compiled measure SQL.

``scheme.yaml`` is the effective scheme — a local scheme merged onto what it ``extends`` — with
each parameter's value as applied (``--param`` overrides included), so the run directory alone
says how its grades were computed, wherever it is moved, and assessing the same data by it gives
the same results. ``measures.sql`` is the SQL every source's measures ran as (dbt keeps its
``compiled_code`` the same way).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import DataError
from ..i18n import text
from ..measures.compile import ANCESTORS, MeasurePlan
from ..scheme import LoadedScheme
from ..scheme.extends import EXTENDS, effective_scheme
from ..scheme.yaml_lines import parse_yaml

SCHEME_FILE = "scheme.yaml"
MEASURES_FILE = "measures.sql"


def scheme_as_run(scheme: LoadedScheme) -> str:
    """The text of the effective scheme of ``scheme``, with the parameter values it ran with."""
    path = Path(scheme.file)
    content = path.read_bytes().decode("utf-8")
    doc = parse_yaml(content, scheme.file)
    if isinstance(doc, CommentedMap) and EXTENDS in doc:
        content = effective_scheme(doc, path).text
    if hashlib.sha256(content.encode("utf-8")).hexdigest() != scheme.sha256:
        raise DataError(
            text(
                f"{scheme.file}：考核期间考核办法文件被修改，本次结果无法记录所用的办法；请重新考核",
                f"{scheme.file}: the scheme file changed while the run was computed, so the run "
                "cannot record the scheme it used; run the assessment again",
            )
        )
    return with_parameters(content, scheme.parameters)


def _declared(spec: Any) -> Any:
    return spec.get("value") if isinstance(spec, dict) else spec


def _member(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for name, value in node.value:
            if isinstance(name, ScalarNode) and name.value == key:
                return value
    return None


def with_parameters(content: str, values: dict[str, Any]) -> str:
    """``content`` with each declared parameter's value set to ``values``.

    Only the changed values are rewritten, in place, so the rest of the text (comments, layout,
    quotes) stays as it was; text whose every value is the one declared is returned unchanged.
    """
    declared = parse_yaml(content, "")
    parameters = declared.get("parameters") if isinstance(declared, dict) else None
    changed = {
        name: value
        for name, value in values.items()
        if name in (parameters or {}) and _flow(_declared(parameters[name])) != _flow(value)
    }
    if not changed:
        return content
    section = _member(YAML(typ="rt").compose(content), "parameters")
    spans = []
    for name, value in changed.items():
        node = _member(section, name)
        node = _member(node, "value") if isinstance(node, MappingNode) else node
        # JSON is YAML's flow style: numbers, strings, lists and maps as --param gave them
        spans.append((node.start_mark.index, node.end_mark.index, _flow(value)))
    for start, end, replacement in sorted(spans, reverse=True):
        content = content[:start] + replacement + content[end:]
    shown = ", ".join(f"{name}={_flow(value)}" for name, value in changed.items())
    return f"# 本次考核所用参数 / parameters as applied in this run: {shown}\n{content}"


def _flow(value: Any) -> str:
    """``value`` in YAML's flow style (JSON is a subset of it, except NaN and infinities)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return json.dumps(value, ensure_ascii=False, default=str)


def compiled_measures(plans: list[MeasurePlan], engine: str) -> str:
    """The SQL of every source's measures as the run executed it, in DuckDB's dialect."""
    lines = [
        "-- 基础数据的查询（DuckDB 方言）/ the measures' SQL as run (DuckDB dialect)",
        f"-- engine: {engine}" + (" (transpiled by sqlglot)" if engine != "duckdb" else ""),
        "-- src_<source>: the source's typed view (unit key __unit); "
        f"{ANCESTORS}(unit, ancestor): each unit with every unit above it and itself",
    ]
    for plan in plans:
        lines += ["", f"-- source {plan.source}: {', '.join(plan.measures)}"]
        if plan.rollup:
            lines += [f"-- rolled up: {', '.join(plan.rolled)}", plan.rollup + ";"]
        if plan.recompute:
            lines += [f"-- recomputed at every level: {', '.join(plan.recomputed)}"]
            lines += [plan.recompute + ";"]
        lines += ["-- over no rows", plan.empty + ";"]
    return "\n".join(lines) + "\n"
