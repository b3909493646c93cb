"""Units (考核对象) and their hierarchy, from ``units.csv``.

Columns: ``unit`` (code, e.g. GB/T 2260), ``name``, ``parent`` (empty at the top), ``level``,
optionally ``kind`` (region, bank, …; default region), then attributes such as region or peer group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError
from ..i18n import text
from .casts import bad_values, cast_sql, type_problem
from .files import columns_of, position, scan_sql, sha256_of
from .headers import some_columns
from .source_files import directory_mappings, find_source_file, open_source_file

REQUIRED = ("unit", "name", "level")
UNITS = "units"


@dataclass
class Units:
    file: Path
    sha256: str
    codes: list[str]
    name: dict[str, str]
    parent: dict[str, str | None]
    level: dict[str, str]
    kind: dict[str, str]
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ancestors(self) -> list[tuple[str, str]]:
        """Every (unit, ancestor) pair, a unit being its own ancestor: the roll-up map."""
        pairs = []
        for code in self.codes:
            current: str | None = code
            while current is not None:
                pairs.append((code, current))
                current = self.parent[current]
        return pairs

    def assessed(self, kind: str, level: str) -> list[str]:
        """The units a scheme grades, in code order (which fixes the order of every computation)."""
        return sorted(c for c in self.codes if self.kind[c] == kind and self.level[c] == level)


def load_units(
    directory: Path | None,
    attribute_types: dict[str, str],
    *,
    path: Path | None = None,
    mappings: dict | None = None,
) -> Units:
    """Read and check the units in ``directory`` (``units.csv``, ``.parquet``, ``.xlsx``, a
    workbook's sheet or a mapping's file: ``source_files``), or the file ``path`` (a units
    snapshot from the store)."""
    opened = None
    if path is None and directory is not None:
        known = directory_mappings(Path(directory), [m[1] for m in (mappings or {}).values()])
        mapping = known.get(UNITS)
        located = find_source_file(Path(directory), UNITS, mapping)
        if located is not None:
            path, sheet = located
            opened = open_source_file(
                path, UNITS, sheet=sheet, mapping=mapping[0] if mapping else None
            )
    if path is None:
        raise DataError(
            text(
                f"{directory}：缺少 units.csv（列：unit, name, parent, level，以及属性列）",
                f"{directory}: units.csv is missing (columns: unit, name, parent, level, "
                "and attribute columns)",
            )
        )
    readable = opened.readable if opened is not None else path
    where = opened.where if opened is not None else (lambda row: position(path, row))
    copied = opened is not None and opened.copied
    with duckdb.connect() as con:
        present = [c for c in columns_of(con, readable) if c != "__row"]
        needed = [*REQUIRED, *attribute_types]
        missing = [c for c in needed if c not in present]
        if missing:
            raise DataError(
                text(
                    f"{path}：缺少列 {', '.join(missing)}；现有列：{some_columns(present)}",
                    f"{path}: missing columns {', '.join(missing)}; the file has "
                    f"{some_columns(present)}",
                )
            )
        numbered = "*" if copied else "row_number() OVER () AS __row, *"
        con.execute(f"CREATE VIEW raw AS SELECT {numbered} FROM {scan_sql(readable)}")
        problems = []
        for column, kind in attribute_types.items():
            count, rows = bad_values(con, "raw", column, kind)
            if count:
                problems.append(type_problem(path, column, kind, count, rows, where=where))
        if problems:
            raise DataError("\n".join(problems))
        parent_sql = "CAST(parent AS VARCHAR)" if "parent" in present else "NULL"
        kind_sql = "CAST(kind AS VARCHAR)" if "kind" in present else "'region'"
        casts = "".join(f", {cast_sql(c, t)}" for c, t in attribute_types.items())
        rows = con.execute(
            f"SELECT __row, trim(CAST(unit AS VARCHAR)), CAST(name AS VARCHAR), "
            f"nullif(trim({parent_sql}), ''), trim(CAST(level AS VARCHAR)), "
            f"coalesce(nullif(trim({kind_sql}), ''), 'region'){casts} FROM raw ORDER BY __row"
        ).fetchall()
    return _build(path, rows, list(attribute_types), where)


def _build(
    path: Path, rows: list[tuple], attribute_names: list[str], where: Callable[[int], str]
) -> Units:
    units = Units(path, sha256_of(path), [], {}, {}, {}, {}, {a: {} for a in attribute_names})
    first_row: dict[str, int] = {}
    for row, code, name, parent, level, kind, *values in rows:
        if not code:
            raise DataError(
                text(
                    f"{where(row)}：unit 列为空；每个考核对象都需要代码",
                    f"{where(row)}: the unit column is empty; every unit needs a code",
                )
            )
        if code in first_row:
            raise DataError(
                text(
                    f"{where(row)}：考核对象 {code} 重复（首次出现在 {where(first_row[code])}）",
                    f"{where(row)}: unit {code} appears again (first at {where(first_row[code])})",
                )
            )
        first_row[code] = row
        units.codes.append(code)
        units.name[code] = name or code
        units.parent[code] = parent
        units.level[code] = level
        units.kind[code] = kind
        for attribute, value in zip(attribute_names, values, strict=True):
            units.attributes[attribute][code] = value
    for code in units.codes:
        parent = units.parent[code]
        if parent is not None and parent not in units.parent:
            raise DataError(
                text(
                    f"{where(first_row[code])}：上级 {parent} 不在 units.csv 中",
                    f"{where(first_row[code])}: parent {parent} is not in units.csv",
                )
            )
    _reject_orphans(where, units, first_row)
    _reject_cycles(where, units, first_row)
    return units


def _reject_orphans(where: Callable[[int], str], units: Units, first_row: dict[str, int]) -> None:
    """A unit with no parent must be at the top: if other units of its kind and level have a
    parent, it would silently drop out of its parent's totals."""
    with_parent = {
        (units.kind[c], units.level[c]) for c in units.codes if units.parent[c] is not None
    }
    for code in units.codes:
        kind, level = units.kind[code], units.level[code]
        if units.parent[code] is None and (kind, level) in with_parent:
            raise DataError(
                text(
                    f"{where(first_row[code])}：列 parent：考核对象 {code}（{level}）没有上级，"
                    f"但同类型的其他 {level} 级考核对象有上级；只有最高一级的考核对象可以没有上级，"
                    "否则它不会计入上级的合计。请填写它的上级代码",
                    f"{where(first_row[code])}: column parent: unit {code} ({level}) has "
                    f"no parent, but other {level} units have one; only units at the top level "
                    "may have none (it would be left out of its parent's totals). Fill in its "
                    "parent's code",
                )
            )


def _reject_cycles(where: Callable[[int], str], units: Units, first_row: dict[str, int]) -> None:
    settled: set[str] = set()
    for code in units.codes:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in settled:
            if current in chain:
                loop = " → ".join([*chain[chain.index(current) :], current])
                raise DataError(
                    text(
                        f"{where(first_row[current])}：上下级关系成环：{loop}",
                        f"{where(first_row[current])}: the parent chain loops: {loop}",
                    )
                )
            chain.append(current)
            current = units.parent[current]
        settled.update(chain)
