"""The funds area's rules files: declarative YAML with parameters, checked with line numbers.

Each rules file (gate, monitoring, evaluation, allocation, audit) has the same shape as a scheme's
top: ``id``, ``title``, ``policy_source`` and ``parameters`` (value, status confirmed/seed/open,
label, note), and elsewhere ``$name`` stands for a parameter's value. Every threshold the policy
texts leave open is such a parameter, so ``--param name=value`` changes it without editing a file.
The bundled files live in ``kaohe/funds/rules/``; a path to another file may be given instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from ..scheme.documents import Kind, bundled_files, load_document
from ..scheme.model import Parameter

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


FUNDS_RULES = Kind(
    folder="funds/rules",
    noun=("规则文件", "rules file"),
    bundled=("内置规则", "bundled rules"),
    mapping=("规则文件应是一个 YAML 映射", "a rules file must be a mapping"),
)


def bundled_rules() -> dict[str, Path]:
    return bundled_files(FUNDS_RULES.folder)


def load_rules(
    name_or_path: str | Path, model: type[M], overrides: dict[str, Any] | None = None
) -> LoadedRules[M]:
    """Load a bundled rules file by name (``gate``) or any file by path; ``SchemeError`` if unusable."""
    document = load_document(name_or_path, model, FUNDS_RULES, overrides)
    return LoadedRules(document.model, document.file, document.sha256, document.parameters)
