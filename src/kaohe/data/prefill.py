"""The rows a data directory already holds for a unit, to prefill its template (预填).

``kaohe template --prefill --data DIR --unit U`` writes into each source's sheet the rows of the
source's file in DIR (found and read as ``assess --data`` reads it: ``source_files``) whose unit
is U or a unit below it, typed by the source's schema. What a unit already reported is then
checked by the unit instead of typed again (基层减负).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError, UsageError
from ..expr import quote, suggest
from ..i18n import text
from .casts import bad_values, cast_sql, type_problem
from .files import columns_of, scan_sql
from .schemas import LoadedSchema, SourceSchema
from .source_files import directory_mappings, find_source_file, open_source_file
from .units import load_units


@dataclass(frozen=True)
class KnownRows:
    """The rows of a source a data directory holds for a unit and every unit below it."""

    rows: list[tuple[Any, ...]]  # in the schema's column order
    units: list[str] = field(default_factory=list)  # the codes the rows may name
    file: Path | None = None  # the source's file; None: DIR has none, nothing is known


def known_rows(
    loaded: LoadedSchema, directory: Path, unit: str, period: str | None = None
) -> KnownRows:
    """Rows of the source's file in ``directory`` whose unit is ``unit`` or below it (and of
    ``period``, if given and the source has a period column), typed by the schema, in file order;
    for a source of one row per unit, one row per unit of the source's kinds and levels, in
    units.csv order, empty where nothing is known (so too when ``directory`` has no file for the
    source). A value that does not fit its column is an error naming its file and row, never
    written into a template."""
    schema = loaded.model
    units = load_units(directory, {})
    if unit not in units.name:
        raise UsageError(
            text(
                f"{units.file.name} 中没有考核对象 {unit}",
                f"there is no unit {unit} in {units.file.name}",
            )
            + suggest(unit, units.codes)
        )
    below = [code for code, ancestor in units.ancestors() if ancestor == unit]
    link = schema.unit
    offered = [
        code
        for code in below
        if link is None
        or (
            (not link.kinds or units.kind[code] in link.kinds)
            and (not link.levels or units.level[code] in link.levels)
        )
    ]
    file, rows = _rows_of(loaded, directory, below, period)
    if schema.one_row_per_unit and link is not None:
        rows = _one_per_unit(schema, rows, below, offered, period)
    return KnownRows(rows, offered, file)


def _rows_of(
    loaded: LoadedSchema, directory: Path, below: list[str], period: str | None
) -> tuple[Path | None, list[tuple[Any, ...]]]:
    schema = loaded.model
    mapping = directory_mappings(directory).get(schema.source)
    located = find_source_file(directory, schema.source, mapping)
    if located is None:
        return None, []
    path, sheet = located
    opened = open_source_file(
        path,
        schema.source,
        sheet=sheet,
        mapping=mapping[0] if mapping else None,
        schema_path=Path(loaded.file),
    )
    unit_column = schema.unit.column if schema.unit is not None else "unit"
    with duckdb.connect() as con:
        present = [c for c in columns_of(con, opened.readable) if c != "__row"]
        if unit_column not in present:
            raise DataError(
                text(
                    f"{path.name}：没有列 {unit_column}，无法找出考核对象 {below[0]} 的行",
                    f"{path.name}: no column {unit_column}: the rows of unit {below[0]} "
                    "cannot be found",
                )
            )
        scan = scan_sql(opened.readable)
        numbered = (
            scan if opened.copied else f"(SELECT row_number() OVER () AS __row, * FROM {scan})"
        )
        con.execute("CREATE TEMP TABLE wanted (code VARCHAR)")
        con.executemany("INSERT INTO wanted VALUES (?)", [(code,) for code in below])
        condition = f"trim(CAST({quote(unit_column)} AS VARCHAR)) IN (SELECT code FROM wanted)"
        if period is not None and "period" in present:
            condition += " AND trim(CAST(period AS VARCHAR)) = '" + period.replace("'", "''") + "'"
        con.execute(f"CREATE TEMP VIEW known AS SELECT * FROM {numbered} WHERE {condition}")
        declared = {name: c for name, c in schema.columns.items() if name in present}
        problems = []
        for name, column in declared.items():
            count, examples = bad_values(
                con, "known", name, column.type, date_format=column.format, exponent=column.exponent
            )
            if count:
                problems.append(
                    type_problem(
                        path, name, column.type, count, examples, column.format, where=opened.where
                    )
                )
        if problems:
            raise DataError("\n".join(problems))
        values = [
            "NULL"
            if name not in declared
            else cast_sql(name, column.type, date_format=column.format, exponent=column.exponent)
            for name, column in schema.columns.items()
        ]
        found = con.execute(f"SELECT {', '.join(values)} FROM known ORDER BY __row").fetchall()
    return path, [tuple(_known_value(value) for value in row) for row in found]


def _known_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _one_per_unit(
    schema: SourceSchema,
    rows: list[tuple[Any, ...]],
    below: list[str],
    offered: list[str],
    period: str | None,
) -> list[tuple[Any, ...]]:
    names = list(schema.columns)
    at = names.index(schema.unit.column)
    by_unit: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_unit.setdefault(row[at], []).append(row)
    ordered = []
    for code in below:
        if code in by_unit:
            ordered.extend(by_unit[code])
        elif code in offered:
            empty: list[Any] = [None] * len(names)
            empty[at] = code
            if period is not None and "period" in names:
                empty[names.index("period")] = period
            ordered.append(tuple(empty))
    return ordered
