"""YAML that remembers where each value was written, so errors can say ``scheme.yaml:LINE``."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ..errors import Problem, SchemeError
from ..i18n import text


def parse_yaml(content: str, file: str) -> Any:
    """Parse with ruamel's round-trip loader, which records the line of every key and item.

    Each caller gets its own copy (callers merge ``extends`` and apply parameters in place) of
    the document parsed once per process: ruamel's loader is pure Python, and the demo job and
    the tests read the same schemes and source schemas hundreds of times (a copy costs a tenth
    of a parse)."""
    return copy.deepcopy(_parsed(content, file))


@functools.lru_cache(maxsize=256)
def _parsed(content: str, file: str) -> Any:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(content)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or str(error)
        # An unclosed bracket or quote is noticed lines later, where the parser gives up; the
        # line where the construct started is where the user has to look, so name it too.
        started = error.context_mark.line + 1 if error.context_mark is not None else None
        hint = ""
        if error.problem and error.context and started is not None and started != line:
            hint = text(
                f"（{error.context}，始于第 {started} 行）",
                f" ({error.context} that starts at line {started})",
            )
        raise SchemeError(
            [
                Problem(
                    file,
                    line,
                    text(f"YAML 格式错误：{problem}{hint}", f"invalid YAML: {problem}{hint}"),
                )
            ]
        ) from None


def line_of(document: Any, path: Sequence[Any]) -> int | None:
    """The 1-based line of the deepest part of ``path`` that exists in ``document``."""
    line: int | None = None
    node = document
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            try:
                line = node.lc.value(key)[0] + 1
            except (KeyError, TypeError):
                line = node.lc.line + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            try:
                line = node.lc.item(key)[0] + 1
            except (KeyError, TypeError):
                line = node.lc.line + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(document, CommentedMap | CommentedSeq):
        line = document.lc.line + 1
    return line


def key_line_of(document: Any, path: Sequence[Any]) -> int | None:
    """The line where the last key of ``path`` is written (for errors about the key itself)."""
    parent = document
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return line_of(document, path)
    if isinstance(parent, CommentedMap) and path and path[-1] in parent:
        return parent.lc.key(path[-1])[0] + 1
    return line_of(document, path)
