"""The report as PDF: the static HTML page printed by WeasyPrint with the Noto CJK fonts."""

from __future__ import annotations

import logging
from pathlib import Path

from .data import ReportData
from .html import render_html


def write_pdf(data: ReportData, path: Path) -> None:
    from weasyprint import HTML

    # WeasyPrint logs every CSS property it ignores; the report's CSS is ours and checked by tests.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=render_html(data, interactive=False)).write_pdf(str(path))
