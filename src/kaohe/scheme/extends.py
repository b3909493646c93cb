"""Local schemes (地方考核办法): a scheme that ``extends`` another and writes only what differs.

A city or county models its rules on a provincial or national scheme (policy.md §1: "cities and
counties write their own rules modelled on it"). Its file names the scheme it builds on and
overrides weights, points, targets, bands or parameters::

    extends: provincial-effectiveness-2016      # a bundled id, or a path relative to this file
    id: county-effectiveness-hebei
    parameters: {cut_good: 88}                  # shorthand for {cut_good: {value: 88}}
    tree:
      - {id: funds, remove: true}               # drop a node of the tree

The merge rules (also in docs/scheme-versions.md):

- mappings merge key by key, recursively; a key set to ``null`` removes the key (as in JSON
  Merge Patch, RFC 7386); a ``null`` for a key the base lacks is ignored;
- a list whose items are all mappings with an ``id`` — the tree's nodes, ``vetoes``,
  ``adjustments.items`` — merges item by item by ``id``: a matching item merges as a mapping,
  ``{id: x, remove: true}`` drops item ``x``, an item with a new id is appended;
- every other list (a node's ``children``, ``grading.bands``, score-table ``rows``,
  ``outcomes``, which have no ids) and every scalar is replaced whole;
- under ``parameters`` a plain value sets the parameter's ``value`` and keeps its status and label;
- ``extends`` itself is not part of the effective scheme, and a local scheme must set its own
  ``id`` (otherwise its runs would be recorded under the id of the scheme it extends).

The merge works on YAML documents, before parameters are substituted, so the effective scheme is
again a scheme file: ``kaohe scheme show`` prints it and it loads on its own. Every value keeps
the file and line where it was written, and problems found in the effective scheme are reported
at that file and line.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import Problem, SchemeError
from ..expr import suggest
from ..i18n import text
from .documents import SCHEMES, bundled_files, read_yaml
from .yaml_lines import parse_yaml

EXTENDS = "extends"
REMOVE = "remove"
_SCALAR = (str, int, float, bool, type(None))


@dataclass
class Written:
    """A value of a scheme document and where it was written (1-based lines)."""

    value: Any  # dict[str, Written] | list[Written] | a scalar
    file: str
    line: int | None  # where the value starts
    key_line: int | None  # where its key (or list item) is written

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value as plain Python data."""
        if self.is_mapping:
            return {key: item.plain() for key, item in self.value.items()}
        if self.is_list:
            return [item.plain() for item in self.value]
        return self.value


@dataclass
class EffectiveScheme:
    """The merged scheme as YAML text, with the origin of each of its lines."""

    file: str  # the local scheme that was loaded
    chain: list[str]  # the files merged, from the furthest base to the local scheme
    text: str
    origins: dict[int, tuple[str, int | None]] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def origin(self, line: int | None) -> tuple[str, int | None]:
        """The file and line where the value on ``line`` of the effective text was written."""
        if line is None or not self.origins:
            return self.file, None
        if line in self.origins:
            return self.origins[line]
        # a line inside a value that spans lines belongs to the value that starts above it
        lines = sorted(self.origins)
        k = bisect_right(lines, line) - 1
        return self.origins[lines[k]] if k >= 0 else (self.file, None)

    def relocate(self, problem: Problem) -> Problem:
        file, line = self.origin(problem.line)
        return Problem(file, line, problem.message)


# --------------------------------------------------------------------------- reading


def _written(node: Any, file: str, line: int | None, key_line: int | None) -> Written:
    """Wrap a ruamel node (which knows the line of every key and item) as ``Written``."""
    if isinstance(node, CommentedMap):
        items = {}
        for key, value in node.items():
            try:
                k_line = node.lc.key(key)[0] + 1
                v_line = node.lc.value(key)[0] + 1
            except (KeyError, TypeError):
                k_line = v_line = line
            items[str(key)] = _written(value, file, v_line, k_line)
        return Written(items, file, line, key_line)
    if isinstance(node, CommentedSeq):
        entries = []
        for i, value in enumerate(node):
            try:
                i_line = node.lc.item(i)[0] + 1
            except (KeyError, TypeError):
                i_line = line
            entries.append(_written(value, file, i_line, i_line))
        return Written(entries, file, line, key_line)
    return Written(node, file, line, key_line)


def _base_path(reference: Any, doc: CommentedMap, path: Path, chain: list[Path]) -> Path:
    """The file named by ``extends``: a path (relative to the extending file) or a bundled id."""
    file = str(path)
    line = doc.lc.value(EXTENDS)[0] + 1
    if not isinstance(reference, str) or not reference.strip():
        raise SchemeError(
            [
                Problem(
                    file,
                    line,
                    text(
                        "extends 应写内置办法的 id 或办法文件的路径",
                        "extends takes the id of a bundled scheme or the path of a scheme file",
                    ),
                )
            ]
        )
    candidate = (path.parent / reference).resolve()
    bundled = bundled_files(SCHEMES.folder)
    if candidate.is_file():
        base = candidate
    elif reference in bundled:
        base = bundled[reference].resolve()
    else:
        raise SchemeError(
            [
                Problem(
                    file,
                    line,
                    text(
                        f"extends: 找不到 {reference}：既不是文件（相对于 {path.parent}），"
                        f"也不是内置办法（{'、'.join(sorted(bundled))}）",
                        f"extends: no {reference}: neither a file (relative to {path.parent}) "
                        f"nor a bundled scheme ({', '.join(sorted(bundled))})",
                    )
                    + suggest(reference, bundled),
                )
            ]
        )
    if base in chain:
        loop = " → ".join(str(p) for p in [*chain, base])
        raise SchemeError(
            [
                Problem(
                    file,
                    line,
                    text(f"extends 形成循环：{loop}", f"extends goes round in a circle: {loop}"),
                )
            ]
        )
    return base


def merged_document(
    doc: CommentedMap, path: Path, chain: list[Path] | None = None
) -> tuple[Written, list[str]]:
    """The document of ``path`` (already parsed as ``doc``) merged onto what it extends, and the
    files merged, from the furthest base to ``path``."""
    chain = [*(chain or []), path.resolve()]
    file = str(path)
    local = _written(doc, file, 1, 1)
    if EXTENDS not in doc:
        return local, [file]
    if "id" not in doc:
        raise SchemeError(
            [
                Problem(
                    file,
                    doc.lc.key(EXTENDS)[0] + 1,
                    text(
                        "本地考核办法须写自己的 id（否则考核结果会记在所继承办法的 id 下）",
                        "a local scheme must set its own id (otherwise its runs would be "
                        "recorded under the id of the scheme it extends)",
                    ),
                )
            ]
        )
    base_path = _base_path(doc[EXTENDS], doc, path, chain)
    base, files = merged_document(read_yaml(base_path, SCHEMES.mapping)[0], base_path, chain)
    del local.value[EXTENDS]
    problems: list[Problem] = []
    merged = _merge(base, local, (), problems)
    if problems:
        raise SchemeError(problems)
    return merged, [*files, file]


# --------------------------------------------------------------------------- merging


def _is_id_list(item: Written) -> bool:
    return (
        item.is_list
        and bool(item.value)
        and all(entry.is_mapping and "id" in entry.value for entry in item.value)
    )


def _merge(base: Written, over: Written, path: tuple, problems: list[Problem]) -> Written:
    """``over`` written onto ``base`` by the rules in the module docstring."""
    if path[:1] == ("parameters",) and len(path) == 2 and base.is_mapping and not over.is_mapping:
        # parameters: {name: 88} sets the value and keeps the parameter's status and label
        over = Written(
            {"value": Written(over.value, over.file, over.line, over.line)},
            over.file,
            over.line,
            over.key_line,
        )
    if base.is_mapping and over.is_mapping:
        items = dict(base.value)
        for key, value in over.value.items():
            if value.value is None and not value.is_mapping:
                items.pop(key, None)
            elif key in items:
                items[key] = _merge(items[key], value, (*path, key), problems)
            else:
                items[key] = value
        return Written(items, base.file, base.line, base.key_line)
    if _is_id_list(base) and _is_id_list(over):
        return _merge_by_id(base, over, path, problems)
    if not (base.is_mapping or base.is_list or over.is_mapping or over.is_list) and (
        type(base.value) is type(over.value) and base.value == over.value
    ):
        return base  # written again unchanged (an item's id): it still comes from the base
    return over


def _merge_by_id(base: Written, over: Written, path: tuple, problems: list[Problem]) -> Written:
    entries = list(base.value)
    position = {entry.value["id"].value: i for i, entry in enumerate(entries)}
    dropped: set[int] = set()
    for entry in over.value:
        ident = entry.value["id"].value
        remove = entry.value.get(REMOVE)
        if remove is not None and remove.value is True:
            if ident in position:
                dropped.add(position[ident])
            else:
                problems.append(
                    Problem(
                        entry.file,
                        entry.key_line,
                        text(
                            f"{'.'.join(map(str, path))}：没有 id 为 {ident} 的项可删除",
                            f"{'.'.join(map(str, path))}: there is no item with id {ident} "
                            "to remove",
                        ),
                    )
                )
            continue
        if ident in position:
            i = position[ident]
            entries[i] = _merge(entries[i], entry, (*path, i), problems)
        else:
            position[ident] = len(entries)
            entries.append(entry)
    kept = [entry for i, entry in enumerate(entries) if i not in dropped]
    return Written(kept, base.file, base.line, base.key_line)


# --------------------------------------------------------------------------- writing


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 4096  # one value per line: long lines are never folded
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def _flow(item: Written) -> bool:
    """Written on one line: lists of scalars (or of lists of scalars), and mappings of scalars
    that were written on one line of one file (so every value on the line has one origin)."""
    if item.is_list:
        return all(
            isinstance(entry.value, _SCALAR)
            or (entry.is_list and all(isinstance(e.value, _SCALAR) for e in entry.value))
            for entry in item.value
        )
    if item.is_mapping and item.value:
        values = list(item.value.values())
        return all(
            (isinstance(v.value, _SCALAR) or (v.is_list and _flow(v)))
            and v.file == item.file
            and v.key_line == item.key_line
            and v.line == item.line
            for v in values
        )
    return False


def _origin_note(item: Written) -> str:
    return f"← {item.file}:{item.line}"


def _commented(item: Written, parent_file: str) -> Any:
    """The ruamel structure to dump; values written in another file than their parent are
    marked with a comment naming that file and line."""
    if item.is_mapping:
        node = CommentedMap()
        for key, value in item.value.items():
            node[key] = _commented(value, item.file)
        if _flow(item):
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()
            for key, value in item.value.items():
                if value.file != item.file and (
                    not (value.is_mapping or value.is_list) or _flow(value)
                ):
                    node.yaml_add_eol_comment(_origin_note(value), key)
        return node
    if item.is_list:
        node = CommentedSeq(_commented(entry, item.file) for entry in item.value)
        if _flow(item):
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()
            for i, entry in enumerate(item.value):
                if entry.file != item.file and not (entry.is_mapping or entry.is_list):
                    node.yaml_add_eol_comment(_origin_note(entry), i)
                elif entry.file != item.file and entry.is_mapping and not _flow(entry):
                    first = next(iter(entry.value), None)
                    if first is not None and entry.value[first].file == entry.file:
                        node[i].yaml_add_eol_comment(_origin_note(entry), first)
        return node
    return item.value


def _header(chain: list[str]) -> str:
    steps = " ← ".join(reversed(chain))
    return (
        "# 有效考核办法（合并后）/ effective scheme, merged by kaohe (scheme/extends.py)\n"
        f"# {steps}\n"
        "# 行尾 “← 文件:行” 标出取自本地文件的值 / '← file:line' marks values a local file sets\n"
    )


def _trace(item: Written, node: Any, origins: dict[int, tuple[str, int | None]]) -> None:
    """Record, for each line of the dumped text, where its value was written (deepest wins)."""
    if isinstance(node, CommentedMap) and item.is_mapping:
        for key, value in item.value.items():
            if key not in node:
                continue
            with contextlib.suppress(KeyError, TypeError):
                origins[node.lc.key(key)[0] + 1] = (value.file, value.key_line)
                origins[node.lc.value(key)[0] + 1] = (value.file, value.line)
            _trace(value, node[key], origins)
    elif isinstance(node, CommentedSeq) and item.is_list:
        for i, entry in enumerate(item.value[: len(node)]):
            with contextlib.suppress(KeyError, TypeError):
                origins[node.lc.item(i)[0] + 1] = (entry.file, entry.line)
            _trace(entry, node[i], origins)


def effective_scheme(doc: CommentedMap, path: Path) -> EffectiveScheme:
    """The effective (merged) scheme of the local scheme ``path`` whose parsed text is ``doc``."""
    merged, chain = merged_document(doc, path)
    buffer = io.StringIO()
    buffer.write(_header(chain))
    _yaml().dump(_commented(merged, merged.file), buffer)
    content = buffer.getvalue()
    effective = EffectiveScheme(file=str(path), chain=chain, text=content)
    reread = parse_yaml(content, str(path))
    _trace(merged, reread, effective.origins)
    return effective
