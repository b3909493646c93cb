"""Mapping files (映射文件): how a file that is not in a source's layout is read as that source.

A mapping says which of a file's headers is which declared column, and which of its values
mean which declared value (脱贫/未脱贫 → false/true, county names → codes)::

    source: households          # the source the file is read as
    file: 附件1.xlsx            # optional: the file it was written for (relative to the mapping)
    sheet: 农户                 # optional: the worksheet
    columns:                    # declared column id: the file's header
      household_id: 户编号
      size: 人口/家庭人口数      # a two-row header is written "upper/lower"
    values:                     # declared column id: {the file's value: the declared value}
      poor_at_end: {未脱贫: true, 脱贫: false}

``kaohe data map FILE --source S`` proposes one (``propose``); the user confirms it and passes it
with ``--mapping`` to ``data check``, ``import`` and ``assess``. Problems are ``FILE:LINE``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import Problem, SchemeError, UsageError
from ..i18n import text
from ..scheme.documents import read_yaml, validate
from ..scheme.model import Identifier
from ..scheme.yaml_lines import key_line_of


class Mapping(BaseModel):
    """A confirmed mapping of one file (or sheet) onto one source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Identifier
    file: str | None = None
    sheet: str | None = None
    columns: dict[Identifier, str] = Field(default_factory=dict)
    values: dict[Identifier, dict[str, str | int | float | bool]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_header_per_column(self) -> Mapping:
        seen: dict[str, str] = {}
        for column, header in self.columns.items():
            if header in seen:
                raise ValueError(f"header {header!r} is mapped to {seen[header]} and {column}")
            seen[header] = column
        return self

    def explicit_headers(self) -> dict[str, str]:
        """The file's header → declared column id."""
        return {header: column for column, header in self.columns.items()}

    def value_map(self, column: str) -> dict[str, str]:
        """The file's value → the declared value as text (what a CSV would hold)."""
        return {str(found): _as_text(value) for found, value in self.values.get(column, {}).items()}


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_mapping(path: Path, schema=None) -> Mapping:
    """The mapping in ``path``, checked against the source's ``schema`` (a ``LoadedSchema``)
    when given: every mapped column must be declared."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"找不到映射文件 {path}", f"no such mapping file: {path}"))
    doc, file, _ = read_yaml(
        path, ("映射文件须为 YAML 映射（键: 值）", "a mapping file is a YAML mapping")
    )
    mapping = validate(Mapping, doc, file)
    if schema is None:
        from .schemas import bundled_schemas, load_schema  # noqa: PLC0415  (schemas is heavier)

        if mapping.source in bundled_schemas():
            schema = load_schema(mapping.source)
    if schema is not None:
        problems = []
        if mapping.source != schema.source:
            problems.append(
                (
                    ("source",),
                    text(
                        f"映射文件写的是数据源 {mapping.source}，但读取的是 {schema.source}",
                        f"the mapping is for source {mapping.source}, but {schema.source} is read",
                    ),
                )
            )
        declared = schema.model.columns
        for section in ("columns", "values"):
            for column in getattr(mapping, section):
                if column not in declared:
                    problems.append(
                        (
                            (section, column),
                            text(
                                f"数据源 {schema.source} 没有列 {column}；"
                                f"已声明的列：{', '.join(declared)}",
                                f"source {schema.source} has no column {column}; "
                                f"declared: {', '.join(declared)}",
                            ),
                        )
                    )
        if problems:
            raise SchemeError(
                [Problem(file, key_line_of(doc, where), message) for where, message in problems]
            )
    return mapping
