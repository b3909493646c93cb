"""Proposing a mapping (``kaohe data map``): which of a file's headers is which declared column
— by id, label or alias, then by similarity (difflib) — and which values the columns' rules
would refuse, written as a mapping file for the user to confirm (``mappings.Mapping``)."""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..expr import quote
from ..i18n import text
from .casts import cast_sql
from .headers import column_names, header_index, normalize_header
from .readers import prepare


@dataclass(frozen=True)
class ProposedColumn:
    column: str  # the declared column id
    header: str | None  # the file's header proposed for it (None: none found)
    how: str  # id | label | alias | fuzzy | mapping | missing
    score: float = 1.0
    unknown_values: tuple[str, ...] = ()  # values the column's rules would refuse


@dataclass(frozen=True)
class Proposal:
    source: str
    file: Path
    sheet: str | None
    header_row: int
    columns: list[ProposedColumn]
    unused: list[str]  # the file's headers no column takes
    declared: dict = dataclasses.field(default_factory=dict)  # column id → declared Column

    def to_yaml(self) -> str:
        """The mapping file, with a comment on every line a user must confirm."""
        lines = [
            text(
                "# kaohe data map 生成的映射：请逐行确认（# 后为说明），再用 --mapping 传给 data check、import 和 assess",
                "# Written by kaohe data map: confirm each line (comments after #), then pass "
                "it with --mapping to data check, import and assess",
            ),
            f"source: {self.source}",
            f"file: {_quoted(self.file.name)}",
        ]
        if self.sheet:
            lines.append(f"sheet: {_quoted(self.sheet)}")
        lines.append(
            text(f"# 表头在第 {self.header_row} 行", f"# the header ends on row {self.header_row}")
        )
        lines.append("columns:")
        for item in self.columns:
            if item.header is None:
                lines.append(
                    text(
                        f"  # {item.column}:   # 文件中找不到对应的列；如有，请写出表头",
                        f"  # {item.column}:   # no header found; write the file's header if it has one",
                    )
                )
                continue
            note = {
                "id": text("列名相同", "same id"),
                "label": text("与中文/英文名称相同", "the column's label"),
                "alias": text("已知别名", "a known alias"),
                "fuzzy": text(
                    f"相似度 {item.score:.2f}，请确认", f"similarity {item.score:.2f}: confirm"
                ),
            }[item.how]
            lines.append(f"  {item.column}: {_quoted(item.header)}   # {note}")
        unknown = [item for item in self.columns if item.unknown_values]
        columns_by_id = self.declared
        if unknown:
            lines.append(
                text(
                    "# 以下取值不符合列的规则：请写出每个值对应的取值（例如 未脱贫: true），或删去",
                    "# these values break the column's rules: write what each means "
                    "(e.g. 未脱贫: true), or delete",
                )
            )
            lines.append("values:")
            for item in unknown:
                lines.append(f"  {item.column}:")
                for value in item.unknown_values:
                    lines.append(
                        f"    {_quoted(value)}: null   # {_meaning(columns_by_id[item.column])}"
                    )
        if self.unused:
            lines.append(
                text(
                    f"# 未使用的列：{'、'.join(self.unused)}",
                    f"# columns not used: {', '.join(self.unused)}",
                )
            )
        return "\n".join(lines) + "\n"


def _meaning(column) -> str:
    """What a value of ``column`` may be mapped to, for the comment beside an unknown value."""
    if column.type == "boolean":
        return text("true 或 false？", "true or false?")
    if column.allowed:
        return text(f"{' / '.join(column.allowed)}？", f"{' / '.join(column.allowed)}?")
    return text("对应的取值？", "which value?")


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def propose(
    path: Path, schema, *, sheet: str | None = None, scratch: Path, examples: int = 10
) -> Proposal:
    """A mapping of ``path`` onto ``schema``'s source: headers by id, label or alias, then by
    similarity (difflib) for the columns left; values the column's rules would refuse."""
    columns = schema.model.columns
    prepared = prepare(path, scratch, columns=columns, source=schema.source, sheet=sheet)
    headers = prepared.header
    renamed = dict(prepared.renames)
    taken = {renamed.get(h, h): h for h in headers if renamed.get(h, h) in columns}
    index = header_index(columns)
    proposed: dict[str, ProposedColumn] = {}
    for column_id in columns:
        if column_id in taken:
            header = taken[column_id]
            how = _how(header, column_id, columns[column_id])
            proposed[column_id] = ProposedColumn(column_id, header, how)
    free = [h for h in headers if h not in taken.values() and normalize_header(h) not in index]
    for column_id, column in columns.items():
        if column_id in proposed:
            continue
        best, score = None, 0.0
        for header in free:
            for name in column_names(column_id, column):
                ratio = difflib.SequenceMatcher(
                    None, normalize_header(header), normalize_header(name)
                ).ratio()
                if ratio > score:
                    best, score = header, ratio
        if best is not None and score >= FUZZY_AT_LEAST:
            free.remove(best)
            proposed[column_id] = ProposedColumn(column_id, best, "fuzzy", score)
        else:
            proposed[column_id] = ProposedColumn(column_id, None, "missing", 0.0)
    with duckdb.connect() as con:
        for column_id, item in list(proposed.items()):
            if item.header is None:
                continue
            found = _refused_values(con, prepared, item.header, columns[column_id], examples)
            if found:
                proposed[column_id] = dataclasses.replace(item, unknown_values=tuple(found))
    used = {item.header for item in proposed.values()}
    return Proposal(
        schema.source,
        Path(path),
        prepared.sheet,
        prepared.header_row,
        [proposed[c] for c in columns],
        [h for h in headers if h not in used],
        dict(columns),
    )


FUZZY_AT_LEAST = 0.5


def _how(header: str, column_id: str, column) -> str:
    key = normalize_header(header)
    if key == normalize_header(column_id):
        return "id"
    if key in (normalize_header(column.label), normalize_header(column.label_en)):
        return "label"
    return "alias"


def _refused_values(con, prepared, header: str, column, limit: int) -> list[str]:
    """Distinct values of the file's column that the declared column would refuse."""
    scan = prepared.relation()
    ref = quote(header)
    renamed = dict(prepared.renames).get(header, header)
    ref = quote(renamed)
    raw = f"CAST({ref} AS VARCHAR)"
    if column.type == "text":
        if not column.allowed:
            return []
        allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in column.allowed)
        condition = f"trim({raw}) NOT IN ({allowed})"
    else:
        cast = cast_sql(
            renamed,
            column.type,
            date_format=column.format,
            exponent=column.exponent,
            percent=column.unit_of_measure == "%",
        )
        condition = f"({cast}) IS NULL"
    rows = con.execute(
        f"SELECT DISTINCT trim({raw}) AS v FROM {scan} WHERE {raw} IS NOT NULL "
        f"AND trim({raw}) <> '' AND {condition} ORDER BY v LIMIT {limit}"
    ).fetchall()
    return [row[0] for row in rows]
