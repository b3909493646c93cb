"""Declared source schemas (数据源格式): what an import checks before any data is accepted.

A schema names a source's columns with their types and rules (required, allowed values, ranges,
patterns, resident-ID checks), its unique keys, and the column that links each row to a unit.
The bundled schemas live in ``kaohe/data/schemas/*.yaml``; a user may pass their own file.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import UsageError
from ..expr import suggest
from ..i18n import text
from ..scheme.documents import bundled_files, read_yaml, validate
from ..scheme.model import ColumnType, Identifier
from .headers import header_index

UNITS_SOURCE = "units"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Model):
    """One declared column and the rules its values must meet."""

    type: ColumnType = "text"
    label: str | None = None
    label_en: str | None = None
    required: bool = False  # every row needs a value
    optional: bool = False  # the column itself may be absent from a file (then all NULL)
    allowed: list[str] | None = None  # text: the only values accepted
    min: float | None = None  # integer/number: inclusive bounds
    max: float | None = None
    pattern: str | None = None  # text: a regular expression the whole value must match
    check: Literal["resident_id"] | None = None  # text: 居民身份证号码 (GB 11643, python-stdnum)
    references: Identifier | None = None  # another column of the same source holding the key
    format: str | None = None  # date: a strftime format (%Y/%m/%d); default ISO YYYY-MM-DD
    exponent: bool = False  # number: also accept scientific notation (1.5e3)
    # number: "%" stores a fraction (0.125) and also reads "12.5%" as 0.125
    unit_of_measure: Literal["%"] | None = None
    # other headers the column is known by in the systems the data come from (the poverty
    # registry's exports, the statistics bureau's tables, the finance department's lists);
    # a file's header matches the id, the label, the English label or one of these
    aliases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if (self.min is not None or self.max is not None) and self.type not in (
            "integer",
            "number",
        ):
            raise ValueError("min/max apply to integer and number columns")
        if (self.allowed or self.pattern or self.check) and self.type != "text":
            raise ValueError("allowed, pattern and check apply to text columns")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("max must not be less than min")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise ValueError(f"pattern is not a regular expression: {error}") from None
        if self.format is not None and self.type != "date":
            raise ValueError("format applies to date columns")
        if self.format is not None and "%" not in self.format:
            raise ValueError("format is a strftime format such as %Y/%m/%d")
        if self.exponent and self.type != "number":
            raise ValueError("exponent applies to number columns")
        if self.unit_of_measure is not None and self.type != "number":
            raise ValueError('unit_of_measure "%" applies to number columns')
        if self.required and self.optional:
            raise ValueError("a column cannot be both required and optional")
        return self


class UnitLink(_Model):
    """The column that names each row's unit, and which units it may name."""

    column: Identifier = "unit"
    kinds: list[str] | None = None
    levels: list[str] | None = None


class SourceSchema(_Model):
    """A source's declared schema; ``version`` changes whenever the rules change."""

    source: Identifier
    version: int = Field(ge=1)
    label: str | None = None
    label_en: str | None = None
    unit: UnitLink | None = None  # None only for the units source itself
    unique: list[list[Identifier]] = Field(default_factory=list)
    extra_columns: Literal["ignore", "keep"] = "ignore"
    allow_empty: bool = False  # a file with a header and no rows may be imported
    one_row_per_unit: bool = False  # at most one row per unit (and period, if there is one)
    columns: dict[Identifier, Column]

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, columns: dict) -> dict:
        if not columns:
            raise ValueError("a schema declares at least one column")
        return columns

    @model_validator(mode="after")
    def _names(self) -> SourceSchema:
        for key in self.unique:
            for name in key:
                if name not in self.columns:
                    raise ValueError(f"unique key column {name} is not declared")
        if self.unit is not None and self.unit.column not in self.columns:
            raise ValueError(f"unit column {self.unit.column} is not declared")
        if self.one_row_per_unit and self.unit is None:
            raise ValueError("one_row_per_unit needs a unit column (unit: {column: …})")
        header_index(self.columns)  # one header never names two columns
        for name, column in self.columns.items():
            if column.references is not None and column.references not in self.columns:
                raise ValueError(f"column {name} references undeclared column {column.references}")
        return self

    def unit_key(self) -> list[str]:
        """The columns that may not repeat when ``one_row_per_unit``: the unit, and the period."""
        if not self.one_row_per_unit or self.unit is None:
            return []
        return [self.unit.column, *(["period"] if "period" in self.columns else [])]

    def label_text(self) -> str:
        return text(self.label or self.source, self.label_en or self.label or self.source)


class LoadedSchema:
    """A schema with where it came from and its content hash (recorded with every snapshot)."""

    def __init__(self, model: SourceSchema, file: str, sha256: str):
        self.model = model
        self.file = file
        self.sha256 = sha256

    @property
    def source(self) -> str:
        return self.model.source


SCHEMAS_FOLDER = "data/schemas"


def bundled_schemas() -> dict[str, Path]:
    return bundled_files(SCHEMAS_FOLDER)


def load_schema(name_or_path: str) -> LoadedSchema:
    """The bundled schema of that source name, or a schema file."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        bundled = bundled_schemas()
        if name_or_path not in bundled:
            raise UsageError(
                text(
                    f"没有数据源 {name_or_path} 的格式定义；内置数据源：{'、'.join(sorted(bundled))}，"
                    "也可以给出自定义格式文件（.yaml）",
                    f"no schema for source {name_or_path}; bundled sources: "
                    f"{', '.join(sorted(bundled))}, or give a schema file (.yaml)",
                )
                + suggest(name_or_path, bundled)
            )
        path = bundled[name_or_path]
    doc, file, sha256 = read_yaml(path)
    return LoadedSchema(validate(SourceSchema, doc, file), file, sha256)


@functools.cache  # a schema file is parsed with line numbers: 30 ms a source, once a process
def cast_options(source: str) -> dict[str, dict]:
    """Per column, the options of ``casts.cast_sql`` the bundled schema of ``source`` declares
    (``date_format``, ``exponent``, and ``percent`` for ``unit_of_measure: "%"``): a data
    directory's file is then read by the same rules as an import. Empty for a source without a
    bundled schema."""
    if source not in bundled_schemas():
        return {}
    options = {}
    for name, column in load_schema(source).model.columns.items():
        declared = {"date_format": column.format, "exponent": column.exponent}
        if column.unit_of_measure == "%":
            declared["percent"] = True
        if column.format or column.exponent or column.unit_of_measure:
            options[name] = declared
    return options
