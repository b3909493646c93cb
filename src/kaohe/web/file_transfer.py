"""Files in and out of the pages and the API: an upload read within the size limit, the page of
a checked upload, a download sent as an attachment, a data file annotated with its errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request, UploadFile
from fastapi.responses import Response

from ..i18n import text
from ..workflow.collection import annotate
from ..workflow.errors import Invalid
from ..workflow.uploads import MAX_BYTES
from .rendering import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def read_upload(upload: UploadFile) -> tuple[str, bytes]:
    """Read at most the limit (+1 byte, to notice a larger file)."""
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(
            text(
                f"{upload.filename}：文件超过 {MAX_BYTES // (1024 * 1024)} MB 上限",
                f"{upload.filename}: larger than {MAX_BYTES // (1024 * 1024)} MB",
            )
        )
    return upload.filename or "upload", content


def checked_upload_page(request: Request, name: str, context: dict[str, Any]) -> Response:
    """The page of a checked upload: 422 while the file has errors (then it is not accepted)."""
    return render(request, name, context, status_code=200 if context["accepted"] else 422)


def download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def data_file(content: bytes, filename: str) -> Response:
    """An uploaded data file (.xlsx or .csv) as it was received."""
    media = XLSX if filename.lower().endswith(".xlsx") else "text/csv"
    return download(content, filename, media)


def annotated_data_file(filename: str, content: bytes, errors: list, number: int) -> Response:
    """Version ``number`` of an uploaded data file with its errors marked in the cells."""
    stem = filename.rsplit(".", 1)[0]
    marked = annotate(filename, content, errors)
    return download(marked, f"{stem}-{text('错误标注', 'errors')}-v{number}.xlsx", XLSX)
