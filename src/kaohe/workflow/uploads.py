"""What an uploaded file may be: its size is bounded and its content must match its kind (the
first bytes are checked, never the name or the browser's content type alone)."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass

from ..i18n import text
from .errors import Invalid

MAX_BYTES = int(os.environ.get("KAOHE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))

_MAGIC = {
    ".xlsx": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".xls": "application/vnd.ms-excel",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
DATA_FILES = (".xlsx", ".xls", ".csv")
EVIDENCE_FILES = (".pdf", ".png", ".jpg", ".jpeg", ".xlsx")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content: bytes
    content_type: str


def check_file(filename: str, content: bytes, allowed: tuple[str, ...]) -> CheckedFile:
    name = os.path.basename(filename or "").strip() or "upload"
    extension = os.path.splitext(name)[1].lower()
    if extension not in allowed:
        raise Invalid(
            text(
                f"{name}：只接受 {'、'.join(allowed)} 文件",
                f"{name}: only {', '.join(allowed)} files are accepted",
            )
        )
    if len(content) > MAX_BYTES:
        raise Invalid(
            text(
                f"{name}：文件超过 {MAX_BYTES // (1024 * 1024)} MB 上限",
                f"{name}: larger than the {MAX_BYTES // (1024 * 1024)} MB limit",
            )
        )
    if not content:
        raise Invalid(text(f"{name}：文件是空的", f"{name}: the file is empty"))
    if extension == ".csv":
        # text: UTF-16 (by its byte-order mark) holds NUL bytes, nothing else we read does
        utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        ok = utf16 or b"\x00" not in content[:65536]
    else:
        ok = any(content.startswith(m) for m in _MAGIC[extension])
    if not ok:
        raise Invalid(
            text(
                f"{name}：文件内容与扩展名 {extension} 不符",
                f"{name}: the content is not a {extension} file",
            )
        )
    return CheckedFile(name, content, CONTENT_TYPES[extension])
