"""The funds area's rules files: declarative YAML with parameters, checked with line numbers.

Each rules file (gate, monitoring, evaluation, allocation, audit) has the same shape as a scheme's
top: ``id``, ``title``, ``policy_source`` and ``parameters`` (value, status confirmed/seed/open,
label, note), and elsewhere ``$name`` stands for a parameter's value. Every threshold the policy
texts leave open is such a parameter, so ``--param name=value`` changes it without editing a file.
The bundled files live in ``kaohe/funds/rules/``; a path to another file may be given instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml.comments import CommentedMap

from ..errors import Problem, SchemeError, UsageError
from ..expr import suggest
from ..i18n import text
from ..scheme.model import Parameter
from ..scheme.parameters import parameter_values, substitute_parameters
from ..scheme.yaml_lines import key_line_of, line_of, parse_yaml

M = TypeVar("M", bound=BaseModel)


class RulesModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesHeader(RulesModel):
    """What every rules file starts with."""

    id: str
    title: str
    title_en: str | None = None
    policy_source: str
    parameters: dict[str, Parameter] = {}


@dataclass(frozen=True)
class LoadedRules(Generic[M]):
    """A checked rules file: the model, where it came from and the parameter values used."""

    model: M
    file: str
    sha256: str
    parameters: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        """For output manifests: which rules, which file, which values."""
        return {
            "id": self.model.id,  # type: ignore[attr-defined]
            "file": self.file,
            "sha256": self.sha256,
            "parameters": self.parameters,
        }


def bundled_rules() -> dict[str, Path]:
    folder = resources.files("kaohe.funds") / "rules"
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def load_rules(
    name_or_path: str | Path, model: type[M], overrides: dict[str, Any] | None = None
) -> LoadedRules[M]:
    """Load a bundled rules file by name (``gate``) or any file by path; ``SchemeError`` if unusable."""
    path = Path(name_or_path)
    if not path.is_file():
        bundled = bundled_rules()
        if str(name_or_path) not in bundled:
            raise UsageError(
                text(
                    f"找不到规则文件 {name_or_path}：既不是文件，也不是内置规则"
                    f"（{'、'.join(sorted(bundled))}）",
                    f"no rules file {name_or_path}: neither a file nor bundled rules "
                    f"({', '.join(sorted(bundled))})",
                )
                + suggest(str(name_or_path), bundled)
            )
        path = bundled[str(name_or_path)]
    raw = path.read_bytes()
    file = str(path)
    try:
        doc = parse_yaml(raw.decode("utf-8"), file)
    except UnicodeDecodeError:
        raise SchemeError(
            [Problem(file, None, text("文件不是 UTF-8 编码", "the file is not UTF-8 encoded"))]
        ) from None
    if not isinstance(doc, CommentedMap):
        raise SchemeError(
            [Problem(file, 1, text("规则文件应是一个 YAML 映射", "a rules file must be a mapping"))]
        )
    problems: list[Problem] = []
    values = parameter_values(doc, overrides or {}, file, problems)
    substitute_parameters(doc, values, problems, file, doc)
    if problems:
        raise SchemeError(problems)
    try:
        checked = model.model_validate(doc)
    except ValidationError as error:
        raise SchemeError(_problems(error, file, doc)) from None
    return LoadedRules(checked, file, hashlib.sha256(raw).hexdigest(), values)


def _problems(error: ValidationError, file: str, doc: Any) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if not _is_tag(part)]
        where = ".".join(str(part) for part in loc) or "(top)"
        if item["type"] == "extra_forbidden":
            problems.append(
                Problem(
                    file,
                    key_line_of(doc, loc),
                    text(f"不认识的字段 {loc[-1]}", f"unknown field {loc[-1]}"),
                )
            )
        elif item["type"] == "missing":
            problems.append(
                Problem(
                    file,
                    line_of(doc, loc),
                    text(f"缺少必填字段 {where}", f"missing required field {where}"),
                )
            )
        else:
            problems.append(Problem(file, line_of(doc, loc), f"{where}: {item['msg']}"))
    return problems


def _is_tag(part: Any) -> bool:
    # pydantic adds the union member it tried to the location; it is not a key of the document.
    return isinstance(part, str) and (
        part in {"str", "float", "int", "bool", "list[str]"} or part.startswith("function-")
    )
