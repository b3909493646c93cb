"""Parameters of a YAML rules document (a scheme, the funds rules): values the policy texts leave
open, each declared once under ``parameters:`` and referred to elsewhere as ``$name``.

Shared by every loader of such documents, so that overrides (``--param``) and ``$name``
references behave — and are reported — the same everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import Problem, SchemeError
from ..expr import suggest
from ..i18n import text
from .yaml_lines import line_of

PARAM_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


def apply_parameters(doc: Any, overrides: dict[str, Any], file: str) -> dict[str, Any]:
    """Each parameter's value (``overrides`` applied), every ``$name`` in ``doc`` replaced by its
    value; ``SchemeError`` with every unknown name at its line."""
    problems: list[Problem] = []
    values = parameter_values(doc, overrides, file, problems)
    substitute_parameters(doc, values, problems, file, doc)
    if problems:
        raise SchemeError(problems)
    return values


def parameter_values(
    doc: Any, overrides: dict[str, Any], file: str, problems: list[Problem]
) -> dict[str, Any]:
    """Each declared parameter's value, with ``overrides`` applied (also written into ``doc``)."""
    declared = doc.get("parameters") or {}
    values = {
        name: spec.get("value") if isinstance(spec, dict) else spec
        for name, spec in declared.items()
    }
    for name, value in overrides.items():
        if name not in values:
            problems.append(
                Problem(
                    file,
                    None,
                    text(f"--param {name}：没有这个参数", f"--param {name}: no such parameter")
                    + suggest(name, values),
                )
            )
            continue
        values[name] = value
        if isinstance(doc["parameters"][name], dict):
            doc["parameters"][name]["value"] = value
        else:
            doc["parameters"][name] = value
    return values


def substitute_parameters(
    node: Any, values: dict[str, Any], problems: list[Problem], file: str, doc: Any, path=()
) -> None:
    """Replace every ``$name`` scalar with the parameter's value, in place (lines are kept)."""
    if isinstance(node, CommentedMap):
        items = list(node.items())
    elif isinstance(node, CommentedSeq):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        if path == () and key == "parameters":
            continue  # the declarations themselves
        here = (*path, key)
        if isinstance(value, str) and (match := PARAM_REF.match(value.strip())):
            name = match.group(1)
            if name in values:
                node[key] = values[name]
            else:
                problems.append(
                    Problem(
                        file,
                        line_of(doc, here),
                        text(f"未声明的参数 ${name}", f"undeclared parameter ${name}")
                        + suggest(name, values),
                    )
                )
        else:
            substitute_parameters(value, values, problems, file, doc, here)
