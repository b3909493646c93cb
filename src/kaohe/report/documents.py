"""The official documents of a run (``kaohe documents``): the results circular (考核结果通报) and one
feedback letter (反馈意见) per unit, as .docx and .pdf, written whole into one directory:

    OUT/通报.docx, OUT/通报.pdf, OUT/反馈意见/<code> <name>.docx|.pdf, OUT/manifest.json
    (--lang en: OUT/circular.*, OUT/feedback/…)

The directory is built in staging and renamed into place (``run.record.staged_directory``): a
failure leaves no directory and keeps the previous one. The documents are reproducible (see
``documents_docx`` and ``documents_pdf``); only manifest.json carries the time it was written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..errors import UsageError
from ..i18n import text
from ..run.opened import open_run
from ..run.record import (
    MANIFEST,
    check_output_directory,
    input_entry,
    manifest,
    staged_directory,
    write_json,
)
from .document_content import Documents, Issuance, build_documents
from .documents_text import circular_sections, circular_title, letter_sections, letter_title

FORMATS = ("docx", "pdf")
# File and folder names, in the documents' language.
NAMES = {"zh": ("通报", "反馈意见"), "en": ("circular", "feedback")}


def parse_formats(value: str) -> tuple[str, ...]:
    """``--format docx,pdf`` as the formats, in a fixed order; a clear error for anything else."""
    asked = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in asked if part not in FORMATS]
    if unknown or not asked:
        raise UsageError(
            text(
                f"--format 应为 docx、pdf 或 docx,pdf，而不是 {value!r}",
                f"--format takes docx, pdf or docx,pdf, not {value!r}",
            )
        )
    return tuple(f for f in FORMATS if f in asked)


def check_issuance(issuance: Issuance) -> None:
    """An official document names who issues it and under which number."""
    for option, value in (("--authority", issuance.authority), ("--number", issuance.number)):
        if not value or not value.strip():
            raise UsageError(
                text(
                    f"{option} 不能为空：公文须写明发文机关和文号",
                    f"{option} must not be empty: an official document names its issuing "
                    "authority and its document number",
                )
            )
    if issuance.lang not in NAMES:
        raise UsageError(
            text(
                f"--lang 应为 zh 或 en，而不是 {issuance.lang!r}",
                f"--lang takes zh or en, not {issuance.lang!r}",
            )
        )


def file_stem(code: str, name: str) -> str:
    """ "<code> <name>" made safe as a file name (a slash or colon in a name would split it)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", f"{code} {name}".strip())


def write_documents(
    run_dir: Path,
    out: Path,
    issuance: Issuance,
    items: Sequence[tuple[str, dict[str, Any]]],
    units: Iterable[str] | None = None,
    formats: Sequence[str] = FORMATS,
) -> Path:
    """Write the documents of ``run_dir`` into ``out`` (replaced whole) and return ``out``.

    ``items``: the run's ledger events, ``outcomes.from_run.run_entries(run_dir, issuance.date)``
    (the rectification deadlines).
    """
    check_issuance(issuance)
    run = open_run(Path(run_dir))
    docs = build_documents(run, issuance, items, units)
    check_output_directory(out)
    # Each format's renderer is imported when asked for: WeasyPrint alone takes about a second
    # to import, and python-docx loads lxml.
    writers = {}
    if "docx" in formats:
        from .documents_docx import write_circular_docx, write_letter_docx  # on demand: lxml

        writers["docx"] = (write_circular_docx, write_letter_docx)
    if "pdf" in formats:
        from .documents_pdf import write_document_pdf  # on demand: WeasyPrint

        writers["pdf"] = (
            lambda d, title, path: write_document_pdf(d, title, circular_sections(d), path),
            lambda d, letter, title, path: write_document_pdf(
                d, title, letter_sections(d, letter), path
            ),
        )
    circular_name, letters_folder = NAMES[issuance.lang]
    with staged_directory(Path(out)) as staging:
        (staging / letters_folder).mkdir()
        for fmt, (circular, letter_writer) in writers.items():
            circular(docs, circular_title(docs), staging / f"{circular_name}.{fmt}")
            for letter in docs.letters:
                path = staging / letters_folder / f"{file_stem(letter.unit, letter.name)}.{fmt}"
                letter_writer(docs, letter, letter_title(docs, letter), path)
        _write_manifest(staging, Path(run_dir), docs, formats)
    return Path(out)


def _write_manifest(staging: Path, run_dir: Path, docs: Documents, formats: Sequence[str]) -> None:
    # Files in the letters' folder too (record.output_hashes lists one folder's files only).
    outputs = {
        path.relative_to(staging).as_posix(): sha256_of(path)
        for path in sorted(staging.rglob("*"))
        if path.is_file()
    }
    issuance = docs.issuance
    write_json(
        staging / MANIFEST,
        manifest(
            dt.datetime.now(dt.UTC),
            outputs,
            kind="documents",
            language=issuance.lang,
            authority=issuance.authority,
            number=issuance.number,
            decision_date=issuance.date.isoformat(),
            formats=list(formats),
            units=[letter.unit for letter in docs.letters],
            inputs={"run": input_entry(run_dir / MANIFEST, sha256_of(run_dir / MANIFEST))},
        ),
    )
