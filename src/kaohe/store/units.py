"""Units in the platform database: imported from ``units.csv``; a subtree is a path prefix."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DataError
from ..i18n import text
from .models import Unit

CORE = ("unit", "name", "parent", "level", "kind")


def _paths(parents: dict[str, str | None], file: Path) -> dict[str, str]:
    paths: dict[str, str] = {}

    def path_of(code: str, seen: tuple[str, ...] = ()) -> str:
        if code in paths:
            return paths[code]
        if code in seen:
            raise DataError(
                text(
                    f"{file}：单位 {code} 的上级关系成环：{' → '.join(seen)}",
                    f"{file}: the parents of unit {code} form a cycle: {' → '.join(seen)}",
                )
            )
        parent = parents[code]
        prefix = "/" if not parent else path_of(parent, (*seen, code))
        paths[code] = f"{prefix}{code}/"
        return paths[code]

    for code in parents:
        path_of(code)
    return paths


def import_units(session: Session, file: Path) -> int:
    """Insert or update every unit of ``units.csv``; returns the number of units in the file."""
    with open(file, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parents: dict[str, str | None] = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("unit") or "").strip()
        if not code:
            raise DataError(
                text(f"{file} 第 {number} 行：unit 为空", f"{file} line {number}: unit is empty")
            )
        parents[code] = (row.get("parent") or "").strip() or None
    for number, parent in enumerate(parents.values(), start=2):
        if parent and parent not in parents:
            raise DataError(
                text(
                    f"{file} 第 {number} 行：上级单位 {parent} 不在文件中",
                    f"{file} line {number}: parent {parent} is not a unit of the file",
                )
            )
    paths = _paths(parents, file)
    existing = {u.code: u for u in session.scalars(select(Unit))}
    # Parents first, so foreign keys hold at every flush.
    for row in sorted(rows, key=lambda r: paths[r["unit"].strip()].count("/")):
        code = row["unit"].strip()
        attributes = {k: v for k, v in row.items() if k not in CORE and k is not None}
        values = {
            "name": row.get("name", code),
            "parent": parents[code],
            "level": row.get("level", ""),
            "kind": row.get("kind") or "region",
            "path": paths[code],
            "attributes": attributes,
        }
        unit = existing.get(code)
        if unit is None:
            session.add(Unit(code=code, **values))
        else:
            for key, value in values.items():
                if getattr(unit, key) != value:
                    setattr(unit, key, value)
    session.flush()
    return len(rows)


def subtree_codes(session: Session, code: str) -> list[str]:
    root = session.get(Unit, code)
    if root is None:
        return []
    return list(session.scalars(select(Unit.code).where(Unit.path.startswith(root.path))))
