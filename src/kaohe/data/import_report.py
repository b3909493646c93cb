"""What an import found: the violations of each rule and the repeated keys, with the first rows of
each, and the report that names file, row or line, column and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..i18n import text
from .import_plan import Rule
from .readers import InputFile
from .snapshots import Snapshot


@dataclass
class Violation:
    rule: Rule
    count: int
    examples: list[tuple[int, int, str | None]]  # (file index, row, value)


@dataclass
class DuplicateKey:
    columns: list[str]
    per_unit: bool  # the key of a one-row-per-unit source (unit, and period)
    groups: int  # keys that appear more than once
    rows: int  # rows holding those keys
    examples: list[tuple[tuple, list[tuple[int, int]]]]  # (key values, [(file, row)])


@dataclass
class ImportResult:
    source: str
    files: list[InputFile]
    rows_read: int = 0
    rows_accepted: int = 0
    violations: list[Violation] = field(default_factory=list)
    duplicates: list[DuplicateKey] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    snapshot: Snapshot | None = None
    created: bool = False  # False: the same content was in the store already
    rejects: Path | None = None

    @property
    def rejected(self) -> int:
        return self.rows_read - self.rows_accepted

    @property
    def failed(self) -> bool:
        return bool(self.violations or self.duplicates)


class ImportRejected(DataError):
    """The files break the schema; nothing was written. ``result`` holds every violation."""

    def __init__(self, message: str, result: ImportResult):
        super().__init__(message)
        self.result = result


def _rows_en(count: int, what: str = "") -> str:
    return f"{count} {what}row" + ("" if count == 1 else "s")


def report(result: ImportResult, advice: bool = False) -> str:
    """Every violated rule with its count and first rows: row, column, value, rule."""
    files = result.files

    def where(file_index: int, row: int) -> str:
        return files[file_index].position(row)

    names = "、".join(f.path.name for f in files)
    broken = len(result.violations) + len(result.duplicates)
    lines = [
        text(
            f"{names}：{result.rows_read} 行中有 {broken} 条规则未满足：",
            f"{names}: {broken} rules fail in {result.rows_read} rows:",
        )
    ]
    for violation in result.violations:
        rule = violation.rule
        lines.append(
            text(
                f"  ● 列 {rule.column} {rule.description}：{violation.count} 行",
                f"  ● column {rule.column} {rule.description}: {_rows_en(violation.count)}",
            )
        )
        for file_index, row, value in violation.examples:
            shown = repr(value) if value is not None else text("（空）", "(empty)")
            lines.append(
                text(
                    f"      {where(file_index, row)}：列 {rule.column} 的值 {shown} {rule.description}",
                    f"      {where(file_index, row)}: column {rule.column}: value {shown} "
                    f"{rule.description}",
                )
            )
        if violation.count > len(violation.examples):
            more = violation.count - len(violation.examples)
            lines.append(text(f"      ……另有 {more} 行", f"      … and {_rows_en(more, 'more ')}"))
    for duplicate in result.duplicates:
        key = "+".join(duplicate.columns)
        if duplicate.per_unit:
            lines.append(
                text(
                    f"  ● 每个考核对象只能有一行（{key}），但 {duplicate.groups} 个出现多行，"
                    f"共 {duplicate.rows} 行",
                    f"  ● one row per unit ({key}): {duplicate.groups} "
                    f"unit{'' if duplicate.groups == 1 else 's'} with more than one row, "
                    f"{_rows_en(duplicate.rows)} in all",
                )
            )
        else:
            lines.append(
                text(
                    f"  ● 唯一键 {key} 重复：{duplicate.groups} 个键值，共 {duplicate.rows} 行",
                    f"  ● unique key {key} repeated: {duplicate.groups} values in "
                    f"{duplicate.rows} rows",
                )
            )
        for values, rows in duplicate.examples:
            shown = ", ".join(f"{c}={v!r}" for c, v in zip(duplicate.columns, values, strict=True))
            places = text("、", ", ").join(where(f, r) for f, r in rows)
            lines.append(
                text(f"      {shown} 出现在 {places}", f"      {shown} appears at {places}")
            )
        if duplicate.groups > len(duplicate.examples):
            more = duplicate.groups - len(duplicate.examples)
            lines.append(text(f"      ……另有 {more} 个键值", f"      … and {more} more values"))
    lines.append(
        text(
            "未写入任何数据。请改正后重新导入；或加 --quarantine 只导入合格的行，"
            "不合格的行连同原因写入拒收文件。",
            "Nothing was written. Correct the file and import it again, or add --quarantine to "
            "import the rows that pass and write the others, with their reasons, to a rejects file.",
        )
        if advice
        else ""
    )
    return "\n".join(line for line in lines if line)
