"""Input files as DuckDB relations with row numbers: CSV (UTF-8, GB18030 or UTF-16), Excel
(.xlsx, .xls) and Parquet — the one reader of ``kaohe import``, ``data check`` and ``assess``.

Every relation has ``__row`` (1-based, in file order) so that a problem is reported where the
user will look for it (``InputFile.position``: the line an editor shows). A CSV is checked as a
file while it is hashed (``files.CsvScanner``: line lengths, unclosed quotes; then its header)
and read with ``files.csv_sql``, the reader every other part of Kaohe uses too. DuckDB reads UTF-8 CSV and Parquet itself, in parallel and out of core.
Two formats need a conversion first, streamed into the store's scratch folder:

- GB18030 (what Chinese office software exports): DuckDB only reads it through an extension it
  downloads, which an offline server cannot; Python's codec transcodes to UTF-8 in 1 MiB blocks.
- Excel (.xlsx, .xls): ``workbooks.sheet_to_parquet`` reads one worksheet as text, exactly as
  a CSV export would give it, and the values are then checked like a CSV's.

Offices' layouts are read too: the header is found under title rows and may be two rows
(``header_rows``), headers name columns by id, label or alias (``headers``) or by a mapping file
(``mappings``), whose value maps are applied before the strict casts, and 合计 rows are left out.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..disk_space import writing
from ..errors import DataError, UsageError
from ..expr import quote
from ..i18n import text
from .file_kinds import check_encoding_option, detect_encoding, file_format
from .files import CsvScanner, check_csv_header, csv_layout, csv_line, csv_sql, text_lines
from .header_rows import (
    SEARCH_ROWS,
    TOTAL_COLUMNS,
    TOTAL_PATTERN,
    HeaderLayout,
    find_header,
    match_names,
)
from .mappings import Mapping
from .total_lines import TotalLines
from .workbooks import sheet_to_parquet

_BLOCK = 1 << 20

Advance = Callable[[float], None]


@dataclass(frozen=True)
class InputFile:
    """One file given to an import, ready to be read by DuckDB as ``relation``."""

    path: Path
    format: str  # csv | xlsx | xls | parquet
    encoding: str | None  # for CSV: utf-8, gb18030 or utf-16
    sha256: str
    bytes: int
    readable: Path  # what DuckDB reads: the file itself, or its UTF-8 / Parquet conversion
    sheet: str | None = None  # the worksheet read, for a workbook
    header_row: int = 1  # the line or sheet row of the header's last row
    renames: tuple[tuple[str, str], ...] = ()  # the file's header → the declared column id
    values: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # column → value map
    totals: tuple[int, ...] = ()  # lines or sheet rows left out as 合计/小计 rows
    total_rows: tuple[int, ...] = ()  # a CSV's data rows (``__row``) of those lines
    office: bool = False  # an office's layout (not our ids on line 1): 合计 rows are looked for
    columns: tuple[str, ...] = ()  # the readable's column names (before renaming), file order

    def relation(self) -> str:
        """A DuckDB table expression with ``__row`` and the file's columns (CSV as text), the
        declared ids for headers that name them, and a mapping's values in place."""
        literal = str(self.readable).replace("'", "''")
        if self.format == "csv":
            # row_number() over the file order: DuckDB keeps insertion order while reading.
            scan = f"(SELECT row_number() OVER () AS __row, * FROM {csv_sql(self.readable)})"
        elif self.format in ("xlsx", "xls"):
            scan = f"read_parquet('{literal}')"
        else:
            scan = (
                f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
                f"FROM read_parquet('{literal}', file_row_number = true))"
            )
        if not (self.renames or self.values or self.total_rows):
            return scan
        values = dict(self.values)
        renamed = dict(self.renames)
        select = ["__row"]
        for name in self.header:
            target = renamed.get(name, name)
            ref = quote(name)
            if target in values:
                ref = _mapped(ref, dict(values[target]))
            select.append(f"{ref} AS {quote(target)}")
        where = ""
        if self.total_rows:
            # the rows prepare found; a list function, not IN (…): DuckDB plans a constant
            # list as a join, and a join does not keep the file's row order
            listed = ", ".join(map(str, self.total_rows))
            where = f" WHERE NOT list_contains([{listed}], __row)"
        return f"(SELECT {', '.join(select)} FROM {scan}{where})"

    @property
    def header(self) -> list[str]:
        """The readable's column names (before renaming), in file order."""
        return list(self.columns)

    def position(self, row: int) -> str:
        """Where data row ``row`` is, as the user's editor or spreadsheet shows it."""
        name = self.path.name
        if self.format == "csv":
            line = csv_line(self.path, row, self.readable) + self.header_row - 1
            return text(f"{name}:第 {line} 行", f"{name}:line {line}")
        if self.format in ("xlsx", "xls"):
            where = f"{name}[{self.sheet}]" if self.sheet else name
            sheet_row = row + self.header_row
            return text(f"{where}:第 {sheet_row} 行", f"{where}:row {sheet_row}")
        return text(f"{name}:第 {row} 条记录", f"{name}:row {row}")

    def notices(self) -> list[str]:
        """What the reader did that the user should know (shown by import and data check)."""
        where = f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name
        notes = []
        if self.header_row > 1:
            notes.append(
                text(
                    f"{where}：表头在第 {self.header_row} 行，其上的标题行未作为数据读取",
                    f"{where}: the header ends on row {self.header_row}; the title rows above "
                    "are not data",
                )
            )
        if self.totals:
            rows = "、".join(map(str, self.totals[:10]))
            notes.append(
                text(
                    f"{where}：第 {rows} 行是合计/小计行，已忽略",
                    f"{where}: rows {', '.join(map(str, self.totals[:10]))} are totals "
                    "(合计/小计) and were left out",
                )
            )
        return notes

    def record(self) -> dict:
        """What the snapshot's sidecar says about this input."""
        record = {
            "name": self.path.name,
            "path": str(self.path.resolve()),
            "sha256": self.sha256,
            "bytes": self.bytes,
            "format": self.format,
            "encoding": self.encoding,
        }
        if self.sheet is not None:
            record["sheet"] = self.sheet
        if self.header_row != 1:
            record["header_row"] = self.header_row
        if self.renames:
            record["headers"] = dict(self.renames)
        if self.totals:
            record["totals_rows"] = list(self.totals)
        return record


def _mapped(ref: str, values: dict[str, str]) -> str:
    """A mapping's values in place of the file's; other values pass through to the casts."""
    cases = " ".join(
        f"WHEN '{found.replace(chr(39), chr(39) * 2)}' THEN '{to.replace(chr(39), chr(39) * 2)}'"
        for found, to in values.items()
    )
    return f"(CASE trim(CAST({ref} AS VARCHAR)) {cases} ELSE CAST({ref} AS VARCHAR) END)"


def transcode(
    source: Path,
    target: Path,
    encoding: str,
    advance: Advance | None = None,
    totals: TotalLines | None = None,
) -> None:
    """Stream ``source`` in ``encoding`` into UTF-8 ``target``; a bad byte names its offset.
    A full disk is a ``WriteError`` saying how much room the copy needs; no partial copy stays."""
    try:
        # UTF-8 takes at most 1.5 times the bytes of GB18030 or UTF-16 (3 bytes for 2)
        with writing(target, needed=source.stat().st_size * 3 // 2):
            _transcode(source, target, encoding, advance, totals)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _transcode(
    source: Path, target: Path, encoding: str, advance: Advance | None, totals: TotalLines | None
) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while block := reader.read(_BLOCK):
            try:
                encoded = decoder.decode(block).encode("utf-8")
            except UnicodeDecodeError as error:
                at = offset + error.start
                raise DataError(
                    text(
                        f"{source}：第 {at} 字节处的内容不是 {encoding} 编码。"
                        "请用 --encoding 指定文件的实际编码（utf-8、gb18030 或 utf-16），或另存为 UTF-8",
                        f"{source}: the bytes at offset {at} are not {encoding}. Name the "
                        "file's encoding with --encoding (utf-8, gb18030 or utf-16), or save it as UTF-8",
                    )
                ) from None
            writer.write(encoded)
            if totals is not None:
                totals.feed(encoded)
            offset += len(block)
            if advance:
                advance(len(block))
        rest = decoder.decode(b"", final=True).encode("utf-8")
        writer.write(rest)
        if totals is not None:
            totals.feed(rest)


@dataclass
class _Scan:
    """What one pass over a file's bytes found besides its hash: the head of a UTF-8 CSV, and
    whether the 合计 finder saw every block."""

    head: list[str] | None = None  # the first SEARCH_ROWS lines, as ``text_lines`` reads them
    totals_fed: bool = True


def _hash_and_scan(
    path: Path,
    scanner: CsvScanner | None,
    totals: TotalLines | None = None,
    office: Callable[[list[str]], bool] | None = None,
) -> tuple[str, _Scan]:
    """The file's sha256; a CSV's lines and quotes are checked in the same pass (and a UTF-8
    file's candidate 合计 lines found). With ``office`` (true on a head that is an office's
    layout) the head is read from the first block, and the totals are no longer fed when it is
    not an office's: only there are 合计 rows looked for (10^7 rows: 0.6 s)."""
    found = _Scan()

    def scan(block: bytes, first: bool) -> None:
        if scanner is not None:
            scanner.feed(block)
        if first and office is not None:
            found.head = _head_of(block, whole=len(block) < _BLOCK)
            try:
                found.totals_fed = found.head is None or office(found.head)
            except csv.Error:  # a head csv cannot parse: reported where the header is read
                found.head = None
        if totals is not None and found.totals_fed:
            totals.feed(block)

    digest = hashlib.sha256()
    # Each block is scanned on a second thread while this one hashes it: hashlib lets go of the
    # GIL on large buffers, and the scan takes it at once (the other way round, the hash would
    # wait for the scan to give the GIL up). 10^7 rows: 0.4 s less.
    with ThreadPoolExecutor(1) as scanning, path.open("rb") as handle:
        first = True
        while block := handle.read(_BLOCK):
            scanned = scanning.submit(scan, block, first)
            digest.update(block)
            scanned.result()
            first = False
    return digest.hexdigest(), found


def _head_of(block: bytes, whole: bool) -> list[str] | None:
    """A UTF-8 file's first ``SEARCH_ROWS`` lines as ``text_lines`` reads them, from its first
    block (all of the file when ``whole``); None when the block cuts them short."""
    if not whole:
        block = block[: block.rfind(b"\n") + 1]  # a character never spans a newline byte
    lines = io.StringIO(block.decode("utf-8-sig", errors="replace"), newline="")
    head = list(itertools.islice(lines, SEARCH_ROWS))
    return head if whole or len(head) == SEARCH_ROWS else None


def prepare(
    path: Path,
    scratch: Path,
    encoding: str = "auto",
    advance: Advance | None = None,
    *,
    columns: dict | None = None,
    source: str | None = None,
    mapping: Mapping | None = None,
    sheet: str | None = None,
) -> InputFile:
    """Hash ``path`` and make it readable by DuckDB (converting GB18030 or UTF-16 CSV and Excel).

    ``columns`` (a source schema's declared columns) let the header be found under title rows
    and be named by label or alias; ``mapping`` adds the user's own headers and value maps."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"找不到文件 {path}", f"no such file: {path}"))
    check_encoding_option(encoding)
    fmt = file_format(path)
    explicit = mapping.explicit_headers() if mapping is not None else None
    sheet = sheet or (mapping.sheet if mapping is not None else None)
    used = None
    if fmt == "csv":
        used = detect_encoding(path) if encoding == "auto" else encoding
    # a CSV's lines and quotes are checked while it is hashed; UTF-16 text is checked after it
    # is transcoded (its newlines and quotes are two bytes)
    scanner = CsvScanner(path) if fmt == "csv" and used != "utf-16" else None
    totals = TotalLines() if fmt == "csv" else None
    head = None
    if used == "utf-8":  # the file is its own readable: its head is read while it is hashed

        def office(lines: list[str]) -> bool:
            return _header_of(lines, columns, explicit).office

        digest, scan = _hash_and_scan(path, scanner, totals, office)
        head = scan.head
        if not scan.totals_fed:
            totals = None  # not an office's file: no 合计 rows are looked for
    else:
        digest, _ = _hash_and_scan(path, scanner)
    size = path.stat().st_size
    readable = path
    found = {"header_row": 1, "renames": (), "totals": (), "office": False, "sheet": None}
    if fmt == "csv":
        if used != "utf-8":
            readable = scratch / f"{digest}.utf8.csv"
            transcode(path, readable, used, advance, totals)
        utf8 = readable  # before any header copy: its lines are the original's
        if scanner is not None:
            scanner.finish(readable)  # an unclosed quote is located in the UTF-8 text
        else:
            csv_layout(readable)
        found.update(_csv_layout(readable, scratch, digest, columns, explicit, head))
        readable = found.pop("readable")
        check_csv_header(path, readable)
        if found["office"]:
            found.update(
                _csv_totals(path, utf8, readable, found["columns"], found["header_row"], totals)
            )
    elif fmt in ("xlsx", "xls"):
        readable = scratch / f"{digest}.{fmt}.parquet"
        with writing(readable):
            table = sheet_to_parquet(
                path, readable, sheet=sheet, source=source, columns=columns, explicit=explicit
            )
        found.update(
            renames=table.renames(),
            columns=tuple(table.columns),
            header_row=table.header_last_row,
            totals=tuple(table.totals),
            office=True,
            sheet=None if table.only_sheet else table.sheet,
        )
    else:  # Parquet: its schema names the columns (by id, label or alias too)
        names = tuple(_parquet_columns(path))
        matched = match_names(names, columns, explicit) if columns else {}
        renames = tuple((names[i], c) for i, c in sorted(matched.items()) if names[i] != c)
        found.update(columns=names, renames=renames)
    values = ()
    if mapping is not None:
        values = tuple((c, tuple(mapping.value_map(c).items())) for c in mapping.values)
    return InputFile(path, fmt, used, digest, size, readable, values=values, **found)


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq  # noqa: PLC0415  (only for Parquet inputs)

    try:
        return list(pq.read_schema(path).names)
    except Exception:  # noqa: BLE001  (pyarrow's errors name no file: one line here)
        raise DataError(
            text(
                f"{path.name}：无法作为 Parquet 文件读取（文件可能已损坏或只写了一部分）。请重新导出",
                f"{path.name}: cannot be read as a Parquet file (damaged or only partly "
                "written). Export it again",
            )
        ) from None


def _total_flags(names) -> str:
    """SQL true on a 合计/小计/总计 row. Every total word has 计: a cell without it (nearly
    all) is settled by ``contains`` without the two regular expressions (a 10^7-line file:
    12 s → 6 s)."""
    return " OR ".join(
        f"(CASE WHEN contains({quote(n)}, '计') THEN coalesce(regexp_matches("
        f"regexp_replace({quote(n)}, '\\s+', '', 'g'), '{TOTAL_PATTERN}'), false) "
        "ELSE false END)"
        for n in names[:TOTAL_COLUMNS]
    )


def _csv_totals(
    path: Path,
    utf8: Path,
    readable: Path,
    names: tuple[str, ...],
    header_row: int,
    found_lines: TotalLines,
) -> dict[str, tuple[int, ...]]:
    """An office's CSV's 合计/小计 rows: their data rows (the relation leaves them out) and
    lines (the notice names them). From the lines found while the file streamed past when a
    record is a line; else by a pass of DuckDB, which counts records as it reads them."""
    if csv_layout(utf8).one_record_per_line:
        lines = tuple(n for n in found_lines.totals(utf8, _delimiter_of(utf8)) if n > header_row)
        return {"total_rows": tuple(n - header_row for n in lines), "totals": lines}
    with duckdb.connect() as con:
        try:
            rows = con.execute(
                f"SELECT __row FROM (SELECT row_number() OVER () AS __row, * FROM "
                f"{csv_sql(readable)}) WHERE {_total_flags(names)} ORDER BY __row"
            ).fetchall()
        except duckdb.Error:
            return {}  # a file DuckDB cannot read is reported by the reading that follows
    found = tuple(row for (row,) in rows)
    lines = tuple(csv_line(path, row, readable) + header_row - 1 for row in found)
    return {"total_rows": found, "totals": lines}


def _delimiter_of(utf8: Path) -> str:
    lines = text_lines(utf8)
    try:
        first = next(lines, "")
    finally:
        lines.close()
    return max(",;\t|", key=first.count)


@dataclass(frozen=True)
class _Header:
    """Where a CSV's header is and what it names, judged from the file's first lines."""

    head: list[str]
    delimiter: str
    rows: list[list[str]]
    layout: HeaderLayout | None

    @property
    def plain(self) -> bool:
        """Line 1 names the columns as they are read (no title rows, no other names)."""
        layout = self.layout
        return layout is None or (layout.first == 0 and layout.rows == 1 and not layout.matched)

    @property
    def header(self) -> list[str]:
        layout = self.layout
        if layout is None or (layout.first == 0 and layout.rows == 1):
            return [n.strip() for n in self.rows[0]] if self.rows else []
        return [name or f"column{i + 1}" for i, name in enumerate(layout.names)]

    @property
    def renames(self) -> tuple[tuple[str, str], ...]:
        if self.plain:
            return ()
        header = self.header
        return tuple(
            (header[i], column)
            for i, column in sorted(self.layout.matched.items())
            if header[i] != column
        )

    @property
    def office(self) -> bool:
        """An office's layout: title rows, or headers other than our ids (合计 rows are looked
        for in such a file only)."""
        return not self.plain and (self.layout.last > 0 or bool(self.renames))


def _header_of(head: list[str], columns, explicit) -> _Header:
    delimiter = max(",;\t|", key=(head[0] if head else "").count)
    rows = list(csv.reader(head, delimiter=delimiter))
    layout = find_header(rows, columns, explicit) if columns else None
    return _Header(head, delimiter, rows, layout)


def _csv_layout(readable, scratch, digest, columns, explicit, head=None) -> dict:
    """The header of a CSV: on line 1 with our ids (read as is), or an office's layout — title
    lines above, two header lines, labels or aliases — read through a copy that starts at the
    header (``header_row`` then maps its lines back to the original's). ``head``: the first
    lines, when they were read already."""
    if head is None:
        lines = text_lines(readable)
        try:
            head = [line for _, line in zip(range(SEARCH_ROWS), lines, strict=False)]
        finally:
            lines.close()
    found = _header_of(head, columns, explicit)
    layout = found.layout
    if found.plain:
        return {"readable": readable, "columns": tuple(found.header)}
    target = readable
    if not (layout.first == 0 and layout.rows == 1):
        # the copy: the joined header, then every line after the header's last
        target = scratch / f"{digest}.header.csv"
        with (
            writing(target, needed=readable.stat().st_size),
            target.open("w", encoding="utf-8", newline="") as out,
        ):
            # the file's own line ending: DuckDB refuses a file that mixes them
            ending = "\r\n" if head[layout.last].endswith("\r\n") else "\n"
            writer = csv.writer(out, delimiter=found.delimiter, lineterminator=ending)
            writer.writerow(found.header)
            source = text_lines(readable)
            try:
                for number, line in enumerate(source):
                    if number > layout.last:
                        out.write(line)
            finally:
                source.close()
    return {
        "readable": target,
        "columns": tuple(found.header),
        "header_row": layout.last + 1,
        "renames": found.renames,
        "office": found.office,
    }
