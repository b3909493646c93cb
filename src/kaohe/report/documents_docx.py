"""The official documents as Word files, built in code with python-docx.

python-docx rather than a docxtpl template: a template is a binary .docx that would have to be
checked in and edited in Word; building the few paragraphs and tables here keeps the layout in
review like any other code. The layout follows the usual form of a Chinese official document
(GB/T 9704): the issuing authority in red at the top, the document number, the title, the
addressee, the body in numbered parts, the authority and the date at the end.

The files are reproducible: the document properties carry the decision date, never the clock,
and the ZIP members are written again with a fixed time (python-docx stamps the current time),
so the same run and parameters give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .document_content import Documents, FeedbackLetter
from .documents_text import circular_sections, letter_sections

# The fonts official documents name (the reader's Word substitutes where one is missing).
BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋", "黑体", "宋体"
RED = RGBColor(0xC0, 0x00, 0x00)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP member can carry


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    # Word takes Chinese text's font from the East Asian slot, which python-docx does not set.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


class _Writer:
    def __init__(self, docs: Documents, title: str) -> None:
        self.docs, self.w = docs, docs.words
        self.document = Document()
        properties = self.document.core_properties
        moment = dt.datetime.combine(docs.issuance.date, dt.time())
        properties.author = properties.last_modified_by = docs.issuance.authority
        properties.title = title
        properties.created = properties.modified = moment
        properties.revision = 1
        properties.comments = ""

    def paragraph(
        self,
        content: str = "",
        *,
        font: str = BODY_FONT,
        size: float = 14,
        bold: bool = False,
        color: RGBColor | None = None,
        align: int | None = None,
        indent: bool = False,
    ):
        paragraph = self.document.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(2 * size)
        _font(paragraph.add_run(content), font, size, bold, color)
        return paragraph

    def heading(self, content: str) -> None:
        self.paragraph(content, font=HEADING_FONT, size=14, bold=True)

    def header(self, title: str) -> None:
        issuance = self.docs.issuance
        self.paragraph(
            issuance.authority, font=TITLE_FONT, size=22, bold=True, color=RED,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )  # fmt: skip
        self.paragraph(issuance.number, align=WD_ALIGN_PARAGRAPH.CENTER)
        self.paragraph(title, font=TITLE_FONT, size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, content in zip(table.rows[0].cells, header, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(content), HEADING_FONT, 11, bold=True)
        for row in rows:
            cells = table.add_row().cells
            for cell, content in zip(cells, row, strict=True):
                _font(cell.paragraphs[0].add_run(content), BODY_FONT, 11)

    def signature(self) -> None:
        self.paragraph("")
        self.paragraph(self.docs.issuance.authority, align=WD_ALIGN_PARAGRAPH.RIGHT)
        self.paragraph(self.docs.date_text(), align=WD_ALIGN_PARAGRAPH.RIGHT)

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        self.document.save(buffer)
        _reproducible_zip(buffer.getvalue(), path)


def _reproducible_zip(content: bytes, path: Path) -> None:
    """The same package with every member stamped ``ZIP_TIME`` (python-docx stamps the clock)."""
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(member.filename))


def write_circular_docx(docs: Documents, title: str, path: Path) -> None:
    writer = _Writer(docs, title)
    writer.header(title)
    for kind, content in circular_sections(docs):
        _write(writer, kind, content)
    writer.save(path)


def write_letter_docx(docs: Documents, letter: FeedbackLetter, title: str, path: Path) -> None:
    writer = _Writer(docs, title)
    writer.header(title)
    for kind, content in letter_sections(docs, letter):
        _write(writer, kind, content)
    writer.save(path)


def _write(writer: _Writer, kind: str, content: object) -> None:
    if kind == "addressee":
        writer.paragraph(content)
    elif kind == "heading":
        writer.heading(content)
    elif kind == "paragraph":
        writer.paragraph(content, indent=True)
    elif kind == "table":
        header, rows = content
        writer.table(header, rows)
    elif kind == "signature":
        writer.signature()


__all__ = ["write_circular_docx", "write_letter_docx"]
