"""Sources (数据源): one file per source, checked against the scheme's declaration.

A source is exposed to the measure engine as a typed view ``src_<name>`` whose unit key is the
column ``__unit``. The view is defined over ``raw_<name>`` (the file as read) by ``view_sql``,
written in DuckDB's dialect so that another engine (Spark) can transpile it and read the same
file. The checks stream through DuckDB; nothing is loaded into Python.

A file from a data directory is checked here in full. A snapshot from the store was checked at
import, and its sidecar recorded its periods and units (``SourceFacts``): then no check needs to
read the data again, and the only full scan of a registry is the measures' own ``GROUP BY``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import DataError
from ..i18n import text
from ..scheme.model import Source
from .cardinality import repeated_units, repeated_units_problem
from .casts import DUCKDB_TYPES, bad_values, cast_sql, type_problem
from .files import column_types, csv_header_names, position, scan_sql, sha256_of
from .headers import some_columns
from .mappings import Mapping
from .schemas import cast_options
from .source_files import SourceFile, directory_mappings, find_source_file, open_source_file

UNIT_KEY = "__unit"
PERIOD_COLUMN = "period"


@dataclass(frozen=True)
class SourceFacts:
    """What an import recorded about a snapshot (its values are typed and trimmed already)."""

    periods: dict[str, int] | None  # rows per period, if the source has a period column
    units: list[str] | None  # the distinct unit codes
    rows: int
    columns: dict[str, str] | None = None  # column → declared type (text, integer …)
    one_row_per_unit: bool = False  # the import refused a second row per unit (and period)


@dataclass(frozen=True)
class SourceInput:
    """What a run read for one source: recorded in the manifest."""

    name: str
    file: Path
    sha256: str
    rows: int
    view_sql: str = ""  # SELECT … FROM raw_<name> (DuckDB dialect): the typed view's definition
    snapshot: bool = False  # read from the snapshot store (file is named by its sha256)
    columns: tuple[str, ...] = ()  # the file's columns, in order
    periods: dict[str, int] = field(default_factory=dict)  # rows per period in the whole file
    readable: Path | None = None  # what the engines read, when not ``file`` (the reader's copy)
    opened: SourceFile | None = field(default=None, compare=False, repr=False)

    def position(self, row: int) -> str:
        """Where data row ``row`` is in the user's file (line, or sheet row)."""
        return self.opened.where(row) if self.opened is not None else position(self.file, row)

    def read_as(self) -> dict:
        """How an office's file was read (sheet, header row, headers named, mapping), for the
        manifest: empty for a file in our own layout."""
        prepared = self.opened.prepared if self.opened is not None else None
        if prepared is None:
            return {}
        record = {
            key: value
            for key, value in prepared.record().items()
            if key in ("format", "encoding", "sheet", "header_row", "headers", "totals_rows")
        }
        if self.opened.mapping is not None:
            mapping = self.opened.mapping
            record["mapping"] = {"file": str(mapping), "sha256": sha256_of(mapping)}
        return record

    def numbered(self) -> str:
        """The file's rows with ``__row`` (all periods), as the user's file holds them."""
        opened = self.opened or SourceFile(self.file, self.file, self.position)
        return opened.numbered()

    def scan(self) -> str:
        opened = self.opened or SourceFile(self.file, self.file, self.position)
        return opened.scan()

    @property
    def read_from(self) -> Path:
        return self.readable or self.file

    @property
    def format(self) -> str:
        return "parquet" if self.read_from.suffix == ".parquet" else "csv"


def view_name(source: str) -> str:
    return f"src_{source}"


def raw_name(source: str) -> str:
    return f"raw_{source}"


def _require_columns(path: Path, name: str, present: list[str], needed: list[str]) -> None:
    missing = [c for c in needed if c not in present]
    if missing:
        raise DataError(
            text(
                f"{path}：缺少列 {', '.join(missing)}；现有列：{some_columns(present)}。"
                f"可用 kaohe data map {path.name} --source {name} 生成映射文件",
                f"{path}: missing columns {', '.join(missing)}; the file has "
                f"{some_columns(present)}. kaohe data map {path.name} --source {name} "
                "proposes a mapping",
            )
        )


def register_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    declaration: Source,
    directory: Path | None,
    period: str | None,
    *,
    path: Path | None = None,
    facts: SourceFacts | None = None,
    sha256: str | None = None,
    mappings: dict[str, tuple[Mapping, Path]] | None = None,
) -> SourceInput:
    """Check the file of source ``name`` and create its typed view; raise ``DataError`` if unusable.

    The file is ``path`` or found in ``directory`` (``source_files.find_source_file``: a mapping's
    file, ``name.csv|.parquet|.xlsx|.xls`` or a workbook's sheet); ``mappings`` are the
    ``--mapping`` files by source (``DIR/*.mapping.yaml`` are added). ``facts`` (from a
    snapshot's sidecar) replace the scans for periods and units; ``sha256`` is the file's hash
    if already known. Expects a table ``kaohe_units(unit)`` of known unit codes in ``con``.
    """
    sheet = mapping = None
    if path is None and directory is not None:
        known = directory_mappings(Path(directory), [m[1] for m in (mappings or {}).values()])
        mapping = known.get(name)
        located = find_source_file(Path(directory), name, mapping)
        path, sheet = located if located is not None else (None, None)
    if path is None:
        raise DataError(
            text(
                f"{directory}：缺少数据源 {name} 的文件（{name}.csv、.parquet、.xlsx，"
                f"工作簿中名为 {name} 的工作表，或 --mapping 映射文件写明的文件）",
                f"{directory}: no file for source {name} ({name}.csv, .parquet or .xlsx, a "
                f"worksheet named {name} in a workbook, or the file a --mapping names)",
            )
        )
    if facts is None:
        opened = open_source_file(
            path,
            name,
            sheet=sheet,
            mapping=mapping[0] if mapping else None,
            mapping_file=mapping[1] if mapping else None,
        )
    else:  # a snapshot: our own Parquet
        opened = SourceFile(path, path, lambda row: position(path, row))
    readable, where_is = opened.readable, opened.where
    needed = [declaration.unit_column, *declaration.columns]
    if facts is None and readable.suffix == ".csv":
        # the header line first: DuckDB's DESCRIBE of a CSV with tens of thousands of columns
        # takes seconds, only to be told a needed one is missing
        _require_columns(path, name, csv_header_names(readable), needed)
    types = _known_types(facts) or column_types(con, readable)
    types.pop("__row", None)
    present = list(types)
    _require_columns(path, name, present, needed)
    raw = raw_name(name)
    scan = scan_sql(readable)
    if opened.copied:
        scan = f"(SELECT * EXCLUDE (__row) FROM {scan})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {raw} AS SELECT * FROM {scan}")
    has_period = PERIOD_COLUMN in present
    where = _period_filter(types, period) if has_period and period is not None else ""
    rows, periods = _check_period(con, path, raw, has_period, period, facts)
    numbered = _numbered_view(con, name, readable, where, opened.copied)
    problems = []
    # a bundled source's column options (a date format, numbers with exponents): a data
    # directory's file is read by the same rules as an import of it
    # (a snapshot was checked by them at import: its columns are typed already)
    options = cast_options(name) if facts is None else {}
    for column, kind in declaration.columns.items():
        if _cast_cannot_fail(types.get(column), kind):
            continue  # typed already (Parquet, snapshots): no value can fail the cast
        count, examples = bad_values(con, numbered(), column, kind, **options.get(column, {}))
        if count:
            problems.append(type_problem(path, column, kind, count, examples, where=where_is))
    unit = quote(declaration.unit_column)
    if facts is not None and facts.units is not None:
        unknown_codes = con.execute(
            "SELECT u FROM (SELECT unnest($1::VARCHAR[]) AS u) "
            "WHERE u NOT IN (SELECT unit FROM kaohe_units) LIMIT 5",
            [facts.units],
        ).fetchall()
        for (code,) in unknown_codes:
            problems.append(
                text(
                    f"{path}：列 {declaration.unit_column} 的考核对象 {code!r} 不在 units 中"
                    "（快照导入时的考核对象与本次不同）",
                    f"{path}: column {declaration.unit_column}: unit {code!r} is not in the "
                    "units (the snapshot was imported against other units)",
                )
            )
    else:
        unknown = con.execute(
            f"SELECT __row, CAST({unit} AS VARCHAR) FROM {numbered()} "
            f"WHERE CAST({unit} AS VARCHAR) IS NULL OR trim(CAST({unit} AS VARCHAR)) NOT IN "
            f"(SELECT unit FROM kaohe_units) ORDER BY __row LIMIT 5"
        ).fetchall()
        for row, code in unknown:
            problems.append(
                text(
                    f"{where_is(row)}：列 {declaration.unit_column} 的考核对象 {code!r} 不在 units.csv 中",
                    f"{where_is(row)}: column {declaration.unit_column}: unit {code!r} "
                    "is not in units.csv",
                )
            )
    checked_at_import = facts is not None and facts.one_row_per_unit
    if declaration.one_row_per_unit and not problems and not checked_at_import:
        # one period's rows (the numbered view is filtered by period already)
        count, repeated = repeated_units(con, numbered(), declaration.unit_column)
        if count:
            problems.append(
                repeated_units_problem(
                    path, declaration.unit_column, None, count, repeated, where=where_is
                )
            )
    if problems:
        raise DataError("\n".join(problems))
    view_sql = _view_sql(
        name, declaration, types, where, trimmed=facts is not None, options=options
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view_name(name)} AS {view_sql}")
    return SourceInput(
        name=name,
        file=path,
        readable=readable,
        opened=opened,
        sha256=sha256 or sha256_of(path),
        rows=rows,
        view_sql=view_sql,
        periods={str(p): int(n) for p, n in sorted(periods.items())},
        snapshot=facts is not None,
        columns=tuple(present),
    )


def _known_types(facts: SourceFacts | None) -> dict[str, str] | None:
    """A snapshot's column types from its sidecar (no need to open the file to ask)."""
    if facts is None or not facts.columns:
        return None
    if any(kind not in DUCKDB_TYPES for kind in facts.columns.values()):
        return None  # columns kept as read (units): only the file knows their types
    return {name: DUCKDB_TYPES[kind] for name, kind in facts.columns.items()}


_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


def _cast_cannot_fail(present: str | None, kind: str) -> bool:
    return (
        present == DUCKDB_TYPES[kind]
        or (kind == "number" and present in (*_INTEGERS, "FLOAT", "DOUBLE"))
        or (kind == "integer" and present in _INTEGERS)
    )


def _numbered_view(con, name: str, path: Path, where: str, numbered_already: bool = False):
    """A function giving a view of the file with ``__row`` (file order), created when first
    needed: a snapshot usually needs no check that reads rows. A reader's copy has ``__row``
    already (the original's rows)."""
    view = f"checked_{name}"
    created = False

    def numbered() -> str:
        nonlocal created
        if not created:
            if numbered_already:
                select, scan = "*", f"read_parquet('{_literal(path)}')"
            elif path.suffix == ".parquet":
                select = "file_row_number + 1 AS __row, * EXCLUDE (file_row_number)"
                scan = f"read_parquet('{_literal(path)}', file_row_number = true)"
            else:
                select, scan = "row_number() OVER () AS __row, *", scan_sql(path)
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS "
                f"SELECT * FROM (SELECT {select} FROM {scan}){where}"
            )
            created = True
        return view

    return numbered


def quote(name: str) -> str:
    # an SQL identifier, quoted; by hand because sqlglot's quoting costs ~50 µs a call and a
    # run quotes every column of every source
    return '"' + name.replace('"', '""') + '"'


def _literal(value) -> str:
    return str(value).replace("'", "''")


def _period_filter(types: dict[str, str], period: str) -> str:
    column = quote(PERIOD_COLUMN)
    value = column if types.get(PERIOD_COLUMN) == "VARCHAR" else f"CAST({column} AS VARCHAR)"
    return f" WHERE trim({value}) = '{_literal(period)}'"


def _check_period(con, path, raw, has_period, period, facts) -> tuple[int, dict[str, int]]:
    """The rows a run reads, and the file's rows per period (none without a period column);
    an error if they span several periods or none of the chosen one."""
    if not has_period:
        if facts is not None:
            return facts.rows, {}
        return con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0], {}
    if facts is not None and facts.periods is not None:
        periods = facts.periods
    else:
        periods = {
            str(p).strip(): n
            for p, n in con.execute(
                f"SELECT CAST({quote(PERIOD_COLUMN)} AS VARCHAR), count(*) FROM {raw} GROUP BY 1"
            ).fetchall()
        }
    if period is None:
        if len(periods) > 1:
            raise DataError(
                text(
                    f"{path}：含有多个考核期（{PERIOD_COLUMN} 列），请用 --period 选择一期",
                    f"{path}: holds several periods (column {PERIOD_COLUMN}); "
                    "choose one with --period",
                )
            )
        return sum(periods.values()), periods
    if periods and period not in periods:
        found = ", ".join(sorted(str(p) for p in periods))
        raise DataError(
            text(
                f"{path}：没有考核期 {period} 的数据（{PERIOD_COLUMN} 列中的考核期：{found}）；"
                "请检查 --period",
                f"{path}: no rows for period {period} (the periods in column "
                f"{PERIOD_COLUMN}: {found}); check --period",
            )
        )
    return periods.get(period, 0), periods


def _view_sql(
    name: str,
    declaration: Source,
    types: dict[str, str],
    where: str,
    trimmed: bool,
    options: dict[str, dict] | None = None,
) -> str:
    """The typed view over ``raw_<name>``: columns already of the declared type are read as they
    are — a cast per row of a 10^8-row registry is not free."""
    unit_column = declaration.unit_column
    unit = quote(unit_column)
    if not (trimmed and types.get(unit_column) == "VARCHAR"):
        unit = f"trim(CAST({unit} AS VARCHAR))"
    columns = [f"{unit} AS {UNIT_KEY}"]
    for column, kind in declaration.columns.items():
        if types.get(column) == DUCKDB_TYPES[kind]:
            columns.append(quote(column))
        else:
            cast = cast_sql(column, kind, types.get(column), **(options or {}).get(column, {}))
            columns.append(f"{cast} AS {quote(column)}")
    return f"SELECT {', '.join(columns)} FROM {raw_name(name)}{where}"
