"""Units (考核对象) and their hierarchy, from ``units.csv``.

Columns: ``unit`` (code, e.g. GB/T 2260), ``name``, ``parent`` (empty at the top), ``level``,
optionally ``kind`` (region, bank, …; default region), then attributes such as region or peer group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError
from ..i18n import text
from .casts import bad_values, cast_sql, type_problem
from .files import (
    columns_of,
    find_table,
    position,
    scan_sql,
    sha256_of,
)

REQUIRED = ("unit", "name", "level")


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
    directory: Path | None, attribute_types: dict[str, str], *, path: Path | None = None
) -> Units:
    """Read and check ``units.csv`` (or ``units.parquet``) in ``directory``, or the file ``path``
    (a units snapshot from the store)."""
    if path is None:
        path = find_table(Path(directory), "units") if directory is not None else None
    if path is None:
        raise DataError(
            text(
                f"{directory}：缺少 units.csv（列：unit, name, parent, level，以及属性列）",
                f"{directory}: units.csv is missing (columns: unit, name, parent, level, "
                "and attribute columns)",
            )
        )
    with duckdb.connect() as con:
        present = columns_of(con, path)
        needed = [*REQUIRED, *attribute_types]
        missing = [c for c in needed if c not in present]
        if missing:
            raise DataError(
                text(
                    f"{path}：缺少列 {', '.join(missing)}；现有列：{', '.join(present)}",
                    f"{path}: missing columns {', '.join(missing)}; the file has {', '.join(present)}",
                )
            )
        con.execute(
            f"CREATE VIEW raw AS SELECT row_number() OVER () AS __row, * FROM {scan_sql(path)}"
        )
        problems = []
        for column, kind in attribute_types.items():
            count, rows = bad_values(con, "raw", column, kind)
            if count:
                problems.append(type_problem(path, column, kind, count, rows))
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
    return _build(path, rows, list(attribute_types))


def _build(path: Path, rows: list[tuple], attribute_names: list[str]) -> Units:
    units = Units(path, sha256_of(path), [], {}, {}, {}, {}, {a: {} for a in attribute_names})
    first_row: dict[str, int] = {}
    for row, code, name, parent, level, kind, *values in rows:
        if not code:
            raise DataError(
                text(
                    f"{position(path, row)}：unit 列为空；每个考核对象都需要代码",
                    f"{position(path, row)}: the unit column is empty; every unit needs a code",
                )
            )
        if code in first_row:
            raise DataError(
                text(
                    f"{position(path, row)}：考核对象 {code} 重复（首次出现在 {position(path, first_row[code])}）",
                    f"{position(path, row)}: unit {code} appears again "
                    f"(first at {position(path, first_row[code])})",
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
                    f"{position(path, first_row[code])}：上级 {parent} 不在 units.csv 中",
                    f"{position(path, first_row[code])}: parent {parent} is not in units.csv",
                )
            )
    _reject_orphans(path, units, first_row)
    _reject_cycles(path, units, first_row)
    return units


def _reject_orphans(path: Path, units: Units, first_row: dict[str, int]) -> None:
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
                    f"{position(path, first_row[code])}：列 parent：考核对象 {code}（{level}）没有上级，"
                    f"但同类型的其他 {level} 级考核对象有上级；只有最高一级的考核对象可以没有上级，"
                    "否则它不会计入上级的合计。请填写它的上级代码",
                    f"{position(path, first_row[code])}: column parent: unit {code} ({level}) has "
                    f"no parent, but other {level} units have one; only units at the top level "
                    "may have none (it would be left out of its parent's totals). Fill in its "
                    "parent's code",
                )
            )


def _reject_cycles(path: Path, units: Units, first_row: dict[str, int]) -> None:
    settled: set[str] = set()
    for code in units.codes:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in settled:
            if current in chain:
                loop = " → ".join([*chain[chain.index(current) :], current])
                raise DataError(
                    text(
                        f"{position(path, first_row[current])}：上下级关系成环：{loop}",
                        f"{position(path, first_row[current])}: the parent chain loops: {loop}",
                    )
                )
            chain.append(current)
            current = units.parent[current]
        settled.update(chain)
