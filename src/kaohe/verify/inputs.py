"""Open a data directory for verification and quality checks: units plus typed source views.

The sources are the platform's ordinary sources (``kaohe.data.sources``): each file is checked
(types, unknown units, period) and exposed as the DuckDB view ``src_<name>`` with the unit key
``__unit``. Nothing is loaded into Python; registries are streamed by DuckDB, and with a
``memory_limit`` its hash tables and sorts spill to a temporary folder beyond it (the demo's
derived step at 10^8 persons needed 6.2 GiB without one).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..data.schemas import bundled_schemas, load_schema
from ..data.source_files import open_table
from ..data.sources import SourceInput, register_source, view_name
from ..data.units import Units, load_units
from ..errors import DataError, UsageError
from ..i18n import text
from ..measures.duckdb_engine import configure
from ..scheme.model import Source
from ..staging import clear_abandoned, owner

# The columns this area reads from each source of the demo data contract; ``optional`` columns are
# declared only when the file has them (a field-check file without weights is an equal-weight sample).
SOURCE_COLUMNS: dict[str, dict[str, str]] = {
    "persons": {
        "person_id": "text",
        "household_id": "text",
        "age": "integer",
        "poor_at_start": "boolean",
        "poor_at_end": "boolean",
        "exited": "boolean",
    },
    "households": {
        "household_id": "text",
        "size": "integer",
        "income_per_capita": "number",
        "income_last_year": "number",
        "food_clothing_ok": "boolean",
        "education_ok": "boolean",
        "medical_ok": "boolean",
        "housing_ok": "boolean",
        "water_ok": "boolean",
        "status": "text",
    },
    "field_checks": {
        "household_id": "text",
        "registered": "boolean",
        "exited": "boolean",
        "verdict": "text",
        "recognizes": "boolean",
    },
    "monitoring_survey": {
        "rural_population": "number",
        "income_per_capita": "number",
        "income_per_capita_last": "number",
        "poor_county": "boolean",
        "exit_planned": "boolean",
        "exited": "boolean",
    },
}
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "persons": {"sex": "text"},
    "households": {"labour_capacity": "boolean"},
    "field_checks": {
        "satisfied_team": "boolean",
        "satisfied_cadre": "boolean",
        "income_verified": "number",
        "weight": "number",
        "stratum": "text",
        "psu": "text",
    },
    "monitoring_survey": {},
}
# Text columns whose values must be one of the source schema's ``allowed`` list
# (``kaohe/data/schemas/<source>.yaml``): a typo such as 错推 would otherwise count as no event.
CHECKED_VALUES: dict[str, tuple[str, ...]] = {"field_checks": ("verdict",)}
_SQL_TYPES = {"text": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
_SPILL_PREFIX = "kaohe-verify-spill-"


@dataclass
class Inputs:
    """An open data directory: a DuckDB connection with the typed source views, and the units."""

    directory: Path
    con: duckdb.DuckDBPyConnection
    units: Units
    period: str | None
    sources: dict[str, SourceInput] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    # Optional columns the file lacks: the view shows them as typed NULLs (so no query fails on
    # them), and whatever needs them is skipped with a note (see ``absent_columns``).
    missing: dict[str, list[str]] = field(default_factory=dict)
    # Where DuckDB spills beyond the memory limit (only when one is set); removed on close.
    spill: tempfile.TemporaryDirectory | None = None

    def absent_columns(self, source: str, names) -> list[str]:
        """The optional columns of ``source`` among ``names`` that its file does not have."""
        return sorted(set(names) & set(self.missing.get(source, ())))

    def has(self, source: str) -> bool:
        return source in self.sources

    def view(self, source: str) -> str:
        if source not in self.sources:
            raise DataError(
                text(
                    f"{self.directory}：缺少数据源 {source}（{source}.csv 或 {source}.parquet）",
                    f"{self.directory}: source {source} is missing ({source}.csv or .parquet)",
                )
            )
        return view_name(source)

    def level_of(self, code: str) -> str:
        return self.units.level[code]

    def ancestor_at(self, level: str) -> dict[str, str]:
        return ancestor_at(self.units, level)

    def close(self) -> None:
        self.con.close()
        if self.spill is not None:
            self.spill.cleanup()

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ancestor_at(units: Units, level: str) -> dict[str, str]:
    """Each unit's ancestor (or itself) at ``level``; units with none are left out."""
    found = {}
    for code in units.codes:
        current: str | None = code
        while current is not None:
            if units.level[current] == level:
                found[code] = current
                break
            current = units.parent[current]
    return found


def open_inputs(
    directory: Path,
    period: str | None = None,
    sources: tuple[str, ...] = tuple(SOURCE_COLUMNS),
    required: tuple[str, ...] = (),
    attributes: dict[str, str] | None = None,
    memory_limit: str | None = None,
) -> Inputs:
    """Check ``units.csv`` and each present source of ``sources``; ``required`` ones must exist.

    ``memory_limit`` (DuckDB's syntax, e.g. ``"1GB"``) bounds the queries of every check run on
    the inputs; what does not fit spills to a temporary folder (DuckDB's default: 80 % of RAM)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(
            text(f"数据目录 {directory} 不存在", f"the data directory {directory} does not exist")
        )
    units = load_units(directory, attributes or {})
    con = duckdb.connect()
    spill = None
    try:
        if memory_limit:
            # folders of killed runs are removed first: nothing else does, and they can be large
            clear_abandoned(Path(tempfile.gettempdir()), _SPILL_PREFIX)
            spill = tempfile.TemporaryDirectory(prefix=f"{_SPILL_PREFIX}{owner()}-")
            configure(con, memory_limit, spill.name)
        con.execute("CREATE TEMP TABLE kaohe_units (unit VARCHAR)")
        con.executemany("INSERT INTO kaohe_units VALUES (?)", [(c,) for c in units.codes])
        inputs = Inputs(directory, con, units, period, spill=spill)
        for name in sources:
            opened = open_table(directory, name)
            if opened is None:
                if name in required:
                    inputs.view(name)  # raises the "missing source" error
                continue
            present = set(opened.columns(con))
            columns = dict(SOURCE_COLUMNS.get(name, {}))
            columns.update(
                {c: t for c, t in OPTIONAL_COLUMNS.get(name, {}).items() if c in present}
            )
            declaration = Source(columns=columns)
            inputs.sources[name] = register_source(con, name, declaration, directory, period)
            inputs.columns[name] = list(columns)
            absent = {c: t for c, t in OPTIONAL_COLUMNS.get(name, {}).items() if c not in present}
            inputs.missing[name] = list(absent)
            if absent:
                nulls = ", ".join(
                    f"CAST(NULL AS {_SQL_TYPES[t]}) AS {c}" for c, t in absent.items()
                )
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {view_name(name)} AS "
                    f"SELECT *, {nulls} FROM ({inputs.sources[name].view_sql})"
                )
            for column in CHECKED_VALUES.get(name, ()):
                check_allowed_values(inputs, name, column)
        return inputs
    except BaseException:
        con.close()
        if spill is not None:
            spill.cleanup()
        raise


def allowed_values(source: str, column: str) -> list[str] | None:
    """The values the source schema allows in a text column (None: any value)."""

    if source not in bundled_schemas():
        return None
    declared = load_schema(source).model.columns.get(column)
    return None if declared is None else declared.allowed


def check_allowed_values(inputs: Inputs, source: str, column: str) -> None:
    """Refuse values outside the schema's allowed list, naming file, line, column and value.

    A blank value is not checked here (a household that gave no answer leaves the estimates)."""
    allowed = allowed_values(source, column)
    if not allowed or column not in inputs.columns.get(source, ()):
        return
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in allowed)
    value = f"trim(CAST({column} AS VARCHAR))"
    bad = inputs.con.execute(
        f"SELECT __row, CAST({column} AS VARCHAR) FROM {file_rows(inputs, source)} "
        f"WHERE {value} <> '' AND {value} NOT IN ({listed}) ORDER BY __row LIMIT 5"
    ).fetchall()
    if not bad:
        return

    names = "、".join(allowed)
    raise DataError(
        "\n".join(
            text(
                f"{inputs.sources[source].position(row)}：列 {column} 的值 {found!r} 不在允许的取值中（{names}）",
                f"{inputs.sources[source].position(row)}: column {column}: value {found!r} is not one of the "
                f"allowed values ({', '.join(allowed)})",
            )
            for row, found in bad
        )
    )


def file_rows(inputs: Inputs, source: str) -> str:
    """The source's file as read, numbered in file order (``__row``), in the selected period.

    Built here from the file rather than from the data layer's internal views, so checks that
    report a line number (a design weight of 0 …) do not depend on how sources are registered.
    """
    item = inputs.sources[source]
    where = ""
    if inputs.period is not None and "period" in item.columns:
        literal = inputs.period.replace("'", "''")
        where = f" WHERE trim(CAST(period AS VARCHAR)) = '{literal}'"
    return f"(SELECT * FROM {item.numbered()}{where})"


def data_period(inputs: Inputs, source: str) -> str | None:
    """The period the rows of ``source`` belong to: ``--period``, or the file's only period."""
    if inputs.period is not None:
        return inputs.period
    if source not in inputs.sources:
        return None
    item = inputs.sources[source]
    if "period" not in item.columns:
        return None
    rows = inputs.con.execute(
        f"SELECT DISTINCT trim(CAST(period AS VARCHAR)) FROM {item.scan()} LIMIT 2"
    ).fetchall()
    return rows[0][0] if len(rows) == 1 else None
