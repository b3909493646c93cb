"""Input files as DuckDB relations with row numbers: CSV (UTF-8 or GB18030), Excel and Parquet.

Every relation has ``__row`` (1-based, in file order) so that a problem is reported where the
user will look for it (``InputFile.position``: the line an editor shows). A CSV is checked as a
file while it is hashed (``files.CsvScanner``: line lengths, unclosed quotes; then its header)
and read with ``files.csv_sql``, the reader every other part of Kaohe uses too. DuckDB reads UTF-8 CSV and Parquet itself, in parallel and out of core.
Two formats need a conversion first, streamed into the store's scratch folder:

- GB18030 (what Chinese office software exports): DuckDB only reads it through an extension it
  downloads, which an offline server cannot; Python's codec transcodes to UTF-8 in 1 MiB blocks.
- Excel (.xlsx): openpyxl's read-only mode streams rows into Parquet in batches; the values
  become text, exactly as a CSV export would give them, and are then checked like a CSV's.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError, UsageError
from ..i18n import text
from .files import CsvScanner, check_csv_header, csv_sql, position

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
ENCODINGS = ("auto", "utf-8", "gb18030")
_SNIFF_BYTES = 4 << 20
_BLOCK = 1 << 20
_XLSX_BATCH = 50_000

Advance = Callable[[float], None]


@dataclass(frozen=True)
class InputFile:
    """One file given to an import, ready to be read by DuckDB as ``relation``."""

    path: Path
    format: str  # csv | xlsx | parquet
    encoding: str | None  # for CSV: utf-8 or gb18030
    sha256: str
    bytes: int
    readable: Path  # what DuckDB reads: the file itself, or its UTF-8 / Parquet conversion

    def relation(self) -> str:
        """A DuckDB table expression with ``__row`` and the file's columns (CSV as text)."""
        literal = str(self.readable).replace("'", "''")
        if self.format == "csv":
            # row_number() over the file order: DuckDB keeps insertion order while reading.
            return f"(SELECT row_number() OVER () AS __row, * FROM {csv_sql(self.readable)})"
        if self.format == "xlsx":
            return f"read_parquet('{literal}')"
        return (
            f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
            f"FROM read_parquet('{literal}', file_row_number = true))"
        )

    def position(self, row: int) -> str:
        """Where data row ``row`` is, as the user's editor or spreadsheet shows it."""
        return position(self.path, row, self.readable if self.format == "csv" else None)

    def record(self) -> dict:
        """What the snapshot's sidecar says about this input."""
        return {
            "name": self.path.name,
            "path": str(self.path.resolve()),
            "sha256": self.sha256,
            "bytes": self.bytes,
            "format": self.format,
            "encoding": self.encoding,
        }


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if path.suffix.lower() == ".xls":
        raise UsageError(
            text(
                f"{path}：旧版 Excel（.xls）不受支持，请在 Excel/WPS 中另存为 .xlsx",
                f"{path}: the old Excel format (.xls) is not supported; save it as .xlsx",
            )
        )
    if fmt is None:
        raise UsageError(
            text(
                f"{path}：不支持的文件类型 {path.suffix or '（无扩展名）'}；请用 CSV、Excel（.xlsx）或 Parquet",
                f"{path}: unsupported file type {path.suffix or '(no extension)'}; "
                "use CSV, Excel (.xlsx) or Parquet",
            )
        )
    return fmt


def detect_encoding(path: Path) -> str:
    """utf-8 if the file's first 4 MiB are UTF-8 (Chinese GB18030 text almost never is), else
    gb18030. A later invalid byte is caught when DuckDB reads the file."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the 4 MiB mark is not an error
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def transcode(source: Path, target: Path, encoding: str, advance: Advance | None = None) -> None:
    """Stream ``source`` in ``encoding`` into UTF-8 ``target``; a bad byte names its offset."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while block := reader.read(_BLOCK):
            try:
                writer.write(decoder.decode(block).encode("utf-8"))
            except UnicodeDecodeError as error:
                at = offset + error.start
                raise DataError(
                    text(
                        f"{source}：第 {at} 字节处的内容不是 {encoding} 编码。"
                        "请用 --encoding 指定文件的实际编码（utf-8 或 gb18030），或另存为 UTF-8",
                        f"{source}: the bytes at offset {at} are not {encoding}. Name the "
                        "file's encoding with --encoding (utf-8 or gb18030), or save it as UTF-8",
                    )
                ) from None
            offset += len(block)
            if advance:
                advance(len(block))
        writer.write(decoder.decode(b"", final=True).encode("utf-8"))


def _cell_text(value) -> str | None:
    """A cell as a CSV export would write it (Excel keeps every number as a float)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def xlsx_to_parquet(source: Path, target: Path, advance: Advance | None = None) -> None:
    """The first worksheet as text columns plus ``__row`` (the data row: Excel row minus one)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise DataError(
            text(
                f"{source}：无法作为 Excel（.xlsx）工作簿读取（{error}）",
                f"{source}: cannot be read as an Excel (.xlsx) workbook ({error})",
            )
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        names = [_cell_text(v) for v in header] if header else []
        while names and names[-1] is None:
            names.pop()
        if not names or any(not n for n in names) or len(set(names)) != len(names):
            raise DataError(
                text(
                    f"{source}：第一个工作表的第 1 行须为列名（不能为空或重复）",
                    f"{source}: row 1 of the first worksheet must hold the column names "
                    "(none empty or repeated)",
                )
            )
        arrow_schema = pa.schema([("__row", pa.int64())] + [(n, pa.string()) for n in names])
        with pq.ParquetWriter(target, arrow_schema) as writer:
            batch: list[tuple] = []
            row = 0

            def flush() -> None:
                columns = list(zip(*batch, strict=True))
                writer.write_table(pa.table(list(columns), schema=arrow_schema))
                if advance:
                    advance(len(batch))
                batch.clear()

            for values in rows:
                row += 1
                cells = [_cell_text(v) for v in values[: len(names)]]
                if all(c is None for c in cells):
                    continue  # Excel reports formatted but empty rows; they hold no record
                cells += [None] * (len(names) - len(cells))
                batch.append((row, *cells))
                if len(batch) >= _XLSX_BATCH:
                    flush()
            if batch:
                flush()
            writer.write_table(arrow_schema.empty_table())  # the schema even with no rows
    finally:
        book.close()


def _hash_and_scan(path: Path, scanner: CsvScanner | None) -> str:
    """The file's sha256; a CSV's lines and quotes are checked in the same pass."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            if scanner is not None:
                scanner.feed(block)
    return digest.hexdigest()


def prepare(
    path: Path, scratch: Path, encoding: str = "auto", advance: Advance | None = None
) -> InputFile:
    """Hash ``path`` and make it readable by DuckDB (converting GB18030 CSV and Excel)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(text(f"找不到文件 {path}", f"no such file: {path}"))
    fmt = file_format(path)
    if encoding not in ENCODINGS:
        raise UsageError(
            text(
                f"--encoding 只能是 {'、'.join(ENCODINGS)}",
                f"--encoding must be one of {', '.join(ENCODINGS)}",
            )
        )
    scanner = CsvScanner(path) if fmt == "csv" else None
    digest = _hash_and_scan(path, scanner)
    size = path.stat().st_size
    readable = path
    used = None
    if scanner is not None:
        used = detect_encoding(path) if encoding == "auto" else encoding
        if used != "utf-8":
            readable = scratch / f"{digest}.utf8.csv"
            transcode(path, readable, used, advance)
        scanner.finish(readable)  # an unclosed quote is located in the UTF-8 text
        check_csv_header(path, readable)
    elif fmt == "xlsx":
        readable = scratch / f"{digest}.xlsx.parquet"
        xlsx_to_parquet(path, readable, advance)
    return InputFile(path, fmt, used, digest, size, readable)
