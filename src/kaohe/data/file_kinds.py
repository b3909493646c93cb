"""What a file is, from its first bytes (文件类型与编码): CSV text and its encoding, Excel
(.xlsx, .xls) or Parquet — and a clear refusal for anything else.

The name's extension is a claim the content must back: a CSV saved as ``.xlsx``, a web page
saved as ``.xls``, a truncated download or an empty file each get one line that says what the
file really is and what to do, before any library gets to print its own message.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import DataError, UsageError
from ..i18n import text

SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xls": "xls", ".parquet": "parquet"}
ENCODINGS = ("auto", "utf-8", "gb18030", "utf-16")
_SNIFF_BYTES = 4 << 20
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Excel 97–2003
_PARQUET = b"PAR1"
_NAMES = {
    "csv": ("CSV 文本", "CSV text"),
    "xlsx": ("Excel 工作簿（.xlsx）", "an Excel workbook (.xlsx)"),
    "xls": ("旧版 Excel 工作簿（.xls）", "an old Excel workbook (.xls)"),
    "parquet": ("Parquet 文件", "a Parquet file"),
}


def _claimed(path: Path) -> str:
    claimed = SUFFIXES.get(path.suffix.lower())
    if claimed is None:
        raise UsageError(
            text(
                f"{path.name}：不支持的文件类型 {path.suffix or '（无扩展名）'}；"
                "请用 CSV、Excel（.xlsx、.xls）或 Parquet",
                f"{path.name}: unsupported file type {path.suffix or '(no extension)'}; "
                "use CSV, Excel (.xlsx, .xls) or Parquet",
            )
        )
    return claimed


def _content(head: bytes) -> str | None:
    """The format the first bytes show; None for what is none of ours (HTML, PDF, images)."""
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    if head.startswith(_PARQUET):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"%pdf", b"\x89png", b"\xff\xd8")):
        return None
    if b"\x00" in head[:4096] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # binary, and not UTF-16 text
    return "csv"


def file_format(path: Path) -> str:
    """csv | xlsx | xls | parquet, checked against the file's first bytes."""
    claimed = _claimed(path)
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head and claimed != "csv":  # an empty CSV is told by its header check, with its line
        raise DataError(
            text(
                f"{path.name}：文件是空的（0 字节）。请重新导出或上传",
                f"{path.name}: the file is empty (0 bytes). Export or upload it again",
            )
        )
    found = _content(head) if head else "csv"
    if found == claimed:
        return claimed
    zh_claimed, en_claimed = _NAMES[claimed]
    if found is None:
        raise DataError(
            text(
                f"{path.name}：扩展名表明是{zh_claimed}，但内容不是表格文件（可能是网页、PDF 或图片，"
                "或文件已损坏）。请从原系统重新导出",
                f"{path.name}: the name says {en_claimed}, but the content is no table (a web "
                "page, a PDF or an image, or a damaged file). Export it again from its system",
            )
        )
    zh_found, en_found = _NAMES[found]
    raise DataError(
        text(
            f"{path.name}：扩展名表明是{zh_claimed}，但内容是{zh_found}。"
            f"请把扩展名改为 {_suffix(found)}，或从原系统重新导出",
            f"{path.name}: the name says {en_claimed}, but the content is {en_found}. "
            f"Rename it to {_suffix(found)}, or export it again",
        )
    )


def _suffix(fmt: str) -> str:
    return {"csv": ".csv", "xlsx": ".xlsx", "xls": ".xls", "parquet": ".parquet"}[fmt]


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM), utf-16 (by its BOM) or gb18030.

    UTF-8 if the first 4 MiB decode as UTF-8 (Chinese GB18030 text almost never does), else
    GB18030, what Chinese office software writes. A later invalid byte is reported with its
    line when the file is transcoded or read."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the 4 MiB mark is not an error
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def check_encoding_option(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise UsageError(
            text(
                f"--encoding 只能是 {'、'.join(ENCODINGS)}",
                f"--encoding must be one of {', '.join(ENCODINGS)}",
            )
        )
