"""A source's file in a data directory (数据目录), read by the one reader whatever its shape.

``assess --data DIR``, ``data check``, funds, monitoring and verify look for source ``S`` as

1. the file a mapping for ``S`` names (``--mapping FILE.yaml``, or ``DIR/*.mapping.yaml``);
2. ``DIR/S.csv``, ``S.parquet``, ``S.xlsx`` or ``S.xls``;
3. a sheet named ``S`` (or the source's label) in a workbook in DIR — one workbook, one sheet
   per source, as offices send them.

A file in our own layout (UTF-8 CSV or Parquet with the declared ids on line 1) is read where it
lies, at DuckDB's full speed. Anything else — GB18030 or UTF-16 text, Excel, title rows, headers
by label or alias, a mapping's values — goes through ``readers.prepare`` once and is kept as a
Parquet copy for the process (``__row`` keeps the original's rows, so errors still name the
line or sheet row the user sees).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..disk_space import write_error
from ..errors import DataError
from ..i18n import text
from ..staging import clear_abandoned, owner
from .files import columns_of, find_ragged_line, position, scan_sql
from .mappings import Mapping, load_mapping
from .readers import InputFile, prepare
from .schemas import bundled_schemas, load_schema

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")
MAPPING_SUFFIX = ".mapping.yaml"
_WORKBOOKS = (".xlsx", ".xls")


@dataclass(frozen=True)
class SourceFile:
    """Where a source's rows are read from, and how to name a row to the user."""

    path: Path  # the user's file
    readable: Path  # what DuckDB reads: ``path`` itself, or a Parquet copy with ``__row``
    where: Callable[[int], str]  # data row → "file:line" / "file[sheet]:row"
    prepared: InputFile | None = None  # how an office's file was read (None: read as it lies)
    mapping: Path | None = None  # the mapping file it was read through

    @property
    def copied(self) -> bool:
        return self.readable != self.path

    def scan(self) -> str:
        """A DuckDB table expression of the rows, in file order (CSV columns as text)."""
        if self.copied:
            return f"(SELECT * EXCLUDE (__row) FROM {scan_sql(self.readable)})"
        return scan_sql(self.readable)

    def numbered(self) -> str:
        """The rows with ``__row``, the data row ``where`` names."""
        if self.copied:
            return scan_sql(self.readable)
        if self.readable.suffix == ".parquet":
            literal = str(self.readable).replace("'", "''")
            return (
                "(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
                f"FROM read_parquet('{literal}', file_row_number = true))"
            )
        return f"(SELECT row_number() OVER () AS __row, * FROM {scan_sql(self.readable)})"

    def columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """The columns, in file order (declared ids where a header names one)."""
        return [c for c in columns_of(con, self.readable) if c != "__row"]


_SCRATCH: Path | None = None
_SCRATCH_PREFIX = "kaohe-read-"
_COPIES: dict[tuple, SourceFile] = {}


def _scratch() -> Path:
    """One folder per process for the copies, removed when the process ends — or, when it was
    killed, by the next process that makes one."""
    global _SCRATCH
    if _SCRATCH is None:
        clear_abandoned(Path(tempfile.gettempdir()), _SCRATCH_PREFIX)
        _SCRATCH = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{owner()}-"))
        atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
    return _SCRATCH


def directory_mappings(
    directory: Path | None, extra: list[Path] | tuple[Path, ...] = ()
) -> dict[str, tuple[Mapping, Path]]:
    """The mappings for a data directory: ``DIR/*.mapping.yaml`` and the ``extra`` files (which
    win), by source."""
    found: dict[str, tuple[Mapping, Path]] = {}
    files = sorted(Path(directory).glob(f"*{MAPPING_SUFFIX}")) if directory else []
    for path in [*files, *map(Path, extra)]:
        mapping = load_mapping(path)
        found[mapping.source] = (mapping, path)
    return found


def _columns(source: str, schema_path: Path | None = None) -> dict | None:
    if schema_path is not None:
        return load_schema(str(schema_path)).model.columns
    if source in bundled_schemas():
        return load_schema(source).model.columns
    return None


def _label(source: str) -> str | None:
    if source in bundled_schemas():
        return load_schema(source).model.label
    return None


def find_source_file(
    directory: Path, name: str, mapping: tuple[Mapping, Path] | None = None
) -> tuple[Path, str | None] | None:
    """The user's file for source ``name`` and the sheet to read (None: the file decides)."""
    if mapping is not None and mapping[0].file:
        named = Path(mapping[0].file)
        for base in (mapping[1].parent, directory):
            if (base / named).is_file():
                return base / named, mapping[0].sheet
        raise DataError(
            text(
                f"{mapping[1]}：映射文件写的文件 {mapping[0].file} 不存在"
                f"（在 {mapping[1].parent} 和 {directory} 中都找不到）",
                f"{mapping[1]}: the file {mapping[0].file} it maps is in neither "
                f"{mapping[1].parent} nor {directory}",
            )
        )
    found = [directory / f"{name}{suffix}" for suffix in TABLE_SUFFIXES]
    found = [path for path in found if path.is_file()]
    if len(found) > 1:
        raise DataError(
            text(
                f"{directory}：数据源 {name} 有多个文件（{'、'.join(p.name for p in found)}），"
                "请只保留一个",
                f"{directory}: source {name} has several files "
                f"({', '.join(p.name for p in found)}); keep only one",
            )
        )
    if found:
        return found[0], mapping[0].sheet if mapping else None
    return _sheet_in_a_workbook(directory, name)


def _sheet_in_a_workbook(directory: Path, name: str) -> tuple[Path, str] | None:
    from .headers import normalize_header  # noqa: PLC0415  (only when no file is named S)
    from .workbooks import sheet_names  # noqa: PLC0415

    wanted = {normalize_header(name)}
    if label := _label(name):
        wanted.add(normalize_header(label))
    for book in sorted(p for p in directory.iterdir() if p.suffix.lower() in _WORKBOOKS):
        if book.name.startswith("~$"):
            continue  # Excel's lock file of an open workbook
        for sheet in sheet_names(book):
            if normalize_header(sheet) in wanted:
                return book, sheet
    return None


def open_source_file(
    path: Path,
    source: str,
    *,
    sheet: str | None = None,
    mapping: Mapping | None = None,
    schema_path: Path | None = None,
    mapping_file: Path | None = None,
) -> SourceFile:
    """Read ``path`` as source ``source``: as it lies when it is in our layout, else through
    the reader into a Parquet copy (made once per process and file)."""
    path = Path(path)
    suffix = path.suffix.lower()
    columns = _columns(source, schema_path)
    plain = suffix in (".csv", ".parquet") and mapping is None and sheet is None
    if plain and suffix == ".parquet":
        return SourceFile(path, path, lambda row: position(path, row))
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, source, sheet, repr(mapping))
    if key in _COPIES:
        return _COPIES[key]
    scratch = _scratch()
    prepared = prepare(path, scratch, columns=columns, source=source, mapping=mapping, sheet=sheet)
    if (
        plain
        and prepared.format == "csv"
        and prepared.readable == path
        and not (prepared.renames or prepared.office)
    ):
        found = SourceFile(path, path, lambda row: position(path, row))
    else:
        target = scratch / f"{prepared.sha256}.{len(_COPIES)}.parquet"
        literal = str(target).replace("'", "''")
        with duckdb.connect() as con:
            con.execute("SET preserve_insertion_order = true")
            try:
                con.execute(
                    f"COPY (SELECT * FROM {prepared.relation()}) TO '{literal}' (FORMAT parquet)"
                )
            except duckdb.Error as error:
                target.unlink(missing_ok=True)
                # DuckDB says IO Error for a copy it cannot write too: that is no unreadable file
                raise write_error(error, target) or _unreadable(prepared, error) from None
        found = SourceFile(path, target, prepared.position, prepared, mapping_file)
    _COPIES[key] = found
    return found


def open_table(
    directory: Path, name: str, mappings: dict[str, tuple[Mapping, Path]] | None = None
) -> SourceFile | None:
    """Source ``name``'s file in ``directory``, opened (None when there is none)."""
    known = directory_mappings(Path(directory), [m[1] for m in (mappings or {}).values()])
    mapping = known.get(name)
    located = find_source_file(Path(directory), name, mapping)
    if located is None:
        return None
    path, sheet = located
    return open_source_file(
        path,
        name,
        sheet=sheet,
        mapping=mapping[0] if mapping else None,
        mapping_file=mapping[1] if mapping else None,
    )


def _unreadable(prepared: InputFile, error: duckdb.Error) -> DataError:
    """One line for a file DuckDB cannot read: the ragged line if there is one (it also raises),
    else what to do — never DuckDB's own diagnostics, which suggest options a user cannot set."""
    if prepared.format == "csv":
        find_ragged_line(prepared.readable, prepared.header, prepared.path, prepared.header_row - 1)
    name = prepared.path.name
    return DataError(
        text(
            f"{name}：无法读取（行的格式不一致，或换行符混用）。请在 Excel/WPS 中打开后另存为"
            "“CSV UTF-8”再试",
            f"{name}: cannot be read (rows of different shapes, or mixed line breaks). Open it "
            'in Excel or WPS and save it as "CSV UTF-8"',
        )
        + f" [{type(error).__name__}]"
    )
