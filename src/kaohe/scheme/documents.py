"""Rules documents: every YAML file kaohe reads rules from, loaded one way.

Schemes, source schemas and the funds, monitoring, verification and quality rules are all YAML
read with line numbers (``yaml_lines``), with ``$name`` parameters filled in where the kind of
document has them (``parameters``), validated by a pydantic model, and every problem reported as
``FILE:LINE: message`` in the user's language. A document is named by a path, or by the id of a
file shipped with kaohe (``bundled_file``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap

from ..errors import Problem, SchemeError, UsageError
from ..expr import suggest
from ..i18n import text
from .parameters import apply_parameters
from .yaml_lines import key_line_of, line_of, parse_yaml

M = TypeVar("M", bound=BaseModel)

# A model location → the path of the same place in the YAML document (a scheme's tree written as
# a plain list sits one level higher in the document than in the model).
Locate = Callable[[Any, Sequence[Any]], tuple]


@dataclass(frozen=True)
class Kind:
    """A kind of rules document: where its bundled files live and what messages call it."""

    folder: str  # below the kaohe package: "schemes", "funds/rules"
    noun: tuple[str, str]  # (zh, en) for "no … X"
    bundled: tuple[str, str]  # (zh, en) for "neither a file nor …"
    mapping: tuple[str, str] | None  # (zh, en) when the file is not a YAML mapping; None: any


# Schemes are the first kind; the other kinds are declared beside their models.
SCHEMES = Kind(
    folder="schemes",
    noun=("考核办法", "scheme"),
    bundled=("内置办法", "a bundled scheme"),
    mapping=("考核办法应是一个 YAML 映射", "a scheme must be a YAML mapping"),
)


@dataclass(frozen=True)
class Document(Generic[M]):
    """A validated rules document: the model, the file, its sha256, the YAML with lines and the
    parameters' values as applied."""

    model: M
    file: str
    sha256: str
    doc: Any
    parameters: dict[str, Any]


def bundled_files(folder: str) -> dict[str, Path]:
    """The ``.yaml`` files shipped in ``kaohe/<folder>``, by id (the name without ``.yaml``)."""
    root = resources.files("kaohe").joinpath(*folder.split("/"))
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in root.iterdir()
        if entry.name.endswith(".yaml")
    }


def bundled_file(folder: str, name: str) -> Path:
    """The file ``name`` shipped in ``kaohe/<folder>`` (``name`` with or without ``.yaml``)."""
    file = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    return Path(str(resources.files("kaohe").joinpath(*folder.split("/"), file)))


def resolve_document(name_or_path: str | Path, kind: Kind) -> Path:
    """A path to a document file, or the bundled file of that id; ``UsageError`` if neither."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = bundled_files(kind.folder)
    name = str(name_or_path)
    if name in bundled:
        return bundled[name]
    names_zh, names_en = "、".join(sorted(bundled)), ", ".join(sorted(bundled))
    raise UsageError(
        text(
            f"找不到{kind.noun[0]} {name}：既不是文件，也不是{kind.bundled[0]}（{names_zh}）",
            f"no {kind.noun[1]} {name}: neither a file nor {kind.bundled[1]} ({names_en})",
        )
        + suggest(name, bundled)
    )


def read_yaml(path: Path, mapping: tuple[str, str] | None = None) -> tuple[Any, str, str]:
    """The YAML of ``path`` with lines, its file name and sha256; a mapping if ``mapping`` names
    the message for one that is not."""
    raw = path.read_bytes()
    file = str(path)
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SchemeError(
            [Problem(file, None, text("文件不是 UTF-8 编码", "the file is not UTF-8 encoded"))]
        ) from None
    doc = parse_yaml(content, file)
    if mapping is not None and not isinstance(doc, CommentedMap):
        raise SchemeError([Problem(file, 1, text(*mapping))])
    return doc, file, hashlib.sha256(raw).hexdigest()


def validate(model: type[M], doc: Any, file: str, locate: Locate | None = None) -> M:
    """``model`` validated from ``doc``; ``SchemeError`` with every problem at its line."""
    try:
        return model.model_validate(doc)
    except ValidationError as error:
        raise SchemeError(pydantic_problems(error, file, doc, locate)) from None


def load_document(
    name_or_path: str | Path,
    model: type[M],
    kind: Kind,
    parameters: dict[str, Any] | None = None,
    *,
    substitute: bool = True,
) -> Document[M]:
    """Read, fill in ``$parameters`` (with ``parameters`` as overrides) and validate a document.

    ``substitute=False`` for kinds whose ``parameters`` are plain values the engine reads
    (monitoring thresholds), not ``$name`` references.
    """
    path = resolve_document(name_or_path, kind)
    doc, file, sha256 = read_yaml(path, kind.mapping)
    values = apply_parameters(doc, parameters or {}, file) if substitute else {}
    return Document(validate(model, doc, file), file, sha256, doc, values)


# pydantic puts the tag of the union member it tried into the location ('str', 'Node',
# 'goalposts' …); they are not keys of the document. A member tried against the wrong kind of
# value (a node's fields checked as if it were an indicator name) only adds noise, so its errors
# are dropped when another member's errors explain the problem.
_TEXT_TAGS = {"str", "constrained-str"}
_NUMBER_TAGS = {"float", "int"}
_ANYWHERE_TAGS = {"str", "float", "int", "bool", "list[str]"}  # scalar unions of rules files
_MODEL_TAGS = {"Node", "Target"}
_METHOD_TAGS = {"minmax", "goalposts", "target", "table", "zscore", "percentile", "threshold"}
_UNION_FIELDS = {"target", "points"}  # fields typed as a union of a scalar and a mapping


def _tag_positions(loc: Sequence[Any]) -> list[int]:
    """Positions of union-member tags in a pydantic location (tags only where unions are)."""
    positions = []
    for k, part in enumerate(loc):
        if not isinstance(part, str) or k == 0:
            continue
        before = loc[k - 1]
        if (
            part.startswith("function-")
            or (part in _METHOD_TAGS and before == "score")
            or (
                part in _TEXT_TAGS | _NUMBER_TAGS | _MODEL_TAGS
                and (isinstance(before, int) or before in _UNION_FIELDS)
            )
            or part in _ANYWHERE_TAGS
        ):
            positions.append(k)
    return positions


def _document_keys(loc: Sequence[Any]) -> list[Any]:
    tags = set(_tag_positions(loc))
    return [part for k, part in enumerate(loc) if k not in tags]


def _same_path(doc: Any, path: Sequence[Any]) -> tuple:
    return tuple(path)


def _wrong_member(loc: Sequence[Any], doc: Any, locate: Locate) -> tuple | None:
    """The union's location if the error comes from a member that does not fit the value's kind."""
    for k in _tag_positions(loc):
        part = loc[k]
        if part in _METHOD_TAGS or part.startswith("function-"):
            continue
        keys = _document_keys(loc[:k])
        value = _value_at(doc, locate(doc, keys))
        is_mapping = isinstance(value, dict)
        if (part in _MODEL_TAGS) != is_mapping:
            return tuple(keys)
    return None


def _value_at(doc: Any, path: Sequence[Any]) -> Any:
    node = doc
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


# What a value should have been, by pydantic's error kinds for a value of the wrong type.
_EXPECTED = {
    ("数值", "a number"): ("float_parsing", "float_type"),
    ("整数", "a whole number"): ("int_parsing", "int_type", "int_from_float"),
    ("true 或 false", "true or false"): ("bool_parsing", "bool_type"),
    ("文本", "text"): ("string_type",),
    ("映射（key: value）", "a mapping (key: value)"): (
        "dict_type",
        "model_type",
        "model_attributes_type",
    ),
    ("列表", "a list"): ("list_type", "tuple_type"),
}


def pydantic_message(item: dict, where: str) -> str:
    """pydantic's message in the user's language, for the kinds of mistakes assessors make."""
    kind, ctx = item["type"], item.get("ctx") or {}
    value = item.get("input")
    if kind == "value_error":
        reason = str(ctx.get("error", item["msg"]))
        return text(f"{where}：{reason}", f"{where}: {reason}")
    field = str(ctx.get("discriminator", "")).strip("'")
    if kind == "union_tag_invalid":
        return text(
            f"{where}：未知的 {field} {ctx.get('tag')!r}；可选：{ctx.get('expected_tags')}",
            f"{where}: unknown {field} {ctx.get('tag')!r}; "
            f"expected one of {ctx.get('expected_tags')}",
        )
    if kind == "union_tag_not_found":
        return text(f"{where}：缺少 {field}", f"{where}: missing {field}")
    if kind == "literal_error":
        return text(
            f"{where}：{value!r} 不可用，应为 {ctx.get('expected')}",
            f"{where}: {value!r} is not allowed; expected {ctx.get('expected')}",
        )
    if kind == "string_pattern_mismatch":
        return text(
            f"{where}：{value!r} 不是合法名称（字母或下划线开头，只含字母、数字、下划线）",
            f"{where}: {value!r} is not a valid name (a letter or underscore, then letters, "
            "digits or underscores)",
        )
    expected = next((name for name, kinds in _EXPECTED.items() if kind in kinds), None)
    if expected is not None:
        zh, en = expected
        return text(f"{where}：{value!r} 应为{zh}", f"{where}: {value!r} should be {en}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        bound = ctx.get("gt", ctx.get("ge", ctx.get("lt", ctx.get("le"))))
        return text(f"{where}：应 {sign} {bound}", f"{where}: must be {sign} {bound}")
    if kind in ("too_short", "too_long"):
        zh = "太少" if kind == "too_short" else "太多"
        en = "too few" if kind == "too_short" else "too many"
        return text(f"{where}：项数{zh}", f"{where}: {en} items")
    return text(f"{where}：取值不可用（{item['msg']}）", f"{where}: {item['msg']}")


def pydantic_problems(
    error: ValidationError, file: str, doc: Any, locate: Locate | None = None
) -> list[Problem]:
    """Every error of a pydantic validation as ``Problem(file, line, message)`` in the user's
    language, at the line where the value (or the key, for an unknown field) is written."""
    locate = locate or _same_path
    items = error.errors()
    wrong = [_wrong_member(item["loc"], doc, locate) for item in items]
    # the locations explained by errors of a member that fits the written value
    explained = [
        tuple(_document_keys(item["loc"]))
        for item, union in zip(items, wrong, strict=True)
        if union is None
    ]
    problems = []
    for item, union in zip(items, wrong, strict=True):
        if union is not None and any(key[: len(union)] == union for key in explained):
            continue
        loc = _document_keys(item["loc"])
        path = locate(doc, loc)
        where = ".".join(str(part) for part in path) or "(top)"
        if item["type"] == "extra_forbidden":
            line = key_line_of(doc, path)
            message = text(f"不认识的字段 {loc[-1]}", f"unknown field {loc[-1]}")
        elif item["type"] == "missing":
            # the mapping that lacks the field: the line of its key (or the top of the file)
            line = key_line_of(doc, path[:-1]) if len(path) > 1 else 1
            message = text(f"缺少必填字段 {where}", f"missing required field {where}")
        else:
            line = line_of(doc, path)
            message = pydantic_message(item, where)
        problem = Problem(file, line, message)
        if problem not in problems:
            problems.append(problem)
    return problems
