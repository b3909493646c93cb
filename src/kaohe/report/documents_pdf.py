"""The official documents as PDF: the sections of ``documents_text`` in an HTML page that
WeasyPrint prints with the Noto CJK fonts, as the report's PDF is (``report/pdf.py``)."""

from __future__ import annotations

import logging
from pathlib import Path

from weasyprint import HTML

from .document_content import Documents
from .documents_text import Section
from .html import environment


def render_document_html(docs: Documents, title: str, sections: list[Section]) -> str:
    """The document as the HTML page the PDF prints."""
    return (
        environment()
        .get_template("official_document.html.j2")
        .render(
            lang=docs.words.lang,
            title=title,
            authority=docs.issuance.authority,
            number=docs.issuance.number,
            date=docs.date_text(),
            sections=sections,
        )
    )


def write_document_pdf(docs: Documents, title: str, sections: list[Section], path: Path) -> None:
    # WeasyPrint logs every CSS property it ignores; the CSS is ours (as in report/pdf.py).
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_document_html(docs, title, sections)
    # No creation date: WeasyPrint writes none unless the page names one, so equal inputs give
    # equal bytes.
    HTML(string=html).write_pdf(str(path))
