"""Official reports of a run: HTML (self-contained), PDF (WeasyPrint) and Excel. See docs/reports.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError
from ..i18n import text
from ..run.record import staged_file
from .data import ReportData, load_report_data

FORMATS = {"html": ".html", "pdf": ".pdf", "xlsx": ".xlsx"}

# The steps of writing a report, with their names for a progress display: reading the run, then
# the format's renderer (one call each; WeasyPrint's PDF is most of the time when asked for).
STEPS = {
    "data": ("读取考核结果", "reading the run"),
    "html": ("生成 HTML", "writing the HTML"),
    "pdf": ("排版 PDF", "typesetting the PDF"),
    "xlsx": ("生成 Excel", "writing the workbook"),
}
# Called with the steps done, the steps in all and the step starting (a key of STEPS; "" once
# every step is done).
ReportProgress = Callable[[int, int, str], None]


def _unobserved(done: int, total: int, step: str) -> None:
    pass


def write_report(
    run_dir: Path,
    fmt: str,
    lang: str = "zh",
    out: Path | None = None,
    previous: Path | None = None,
    verification: Path | None = None,
    history: Path | None = None,
    progress: ReportProgress = _unobserved,
) -> Path:
    """Write the report of ``run_dir`` and return its path (default: RUN_DIR/report-LANG.EXT).

    ``verification``: the verification report's directory (default: RUN_DIR/verification).
    ``history``: a folder of earlier runs, for the trend over the years.
    ``progress``: told each step (``STEPS``) as it starts.
    """
    if fmt not in FORMATS:
        raise UsageError(
            text(
                f"--format 应为 html、pdf 或 xlsx，而不是 {fmt!r}",
                f"--format takes html, pdf or xlsx, not {fmt!r}",
            )
        )
    if lang not in ("zh", "en"):
        raise UsageError(
            text(f"--lang 应为 zh 或 en，而不是 {lang!r}", f"--lang takes zh or en, not {lang!r}")
        )
    progress(0, 2, "data")
    data = load_report_data(Path(run_dir), lang, previous, verification, history)
    progress(1, 2, fmt)
    path = Path(out) if out else Path(run_dir) / f"report-{lang}{FORMATS[fmt]}"
    # Each format's renderer is imported when asked for (the comments below): WeasyPrint (PDF)
    # alone takes about a second to import, and an HTML report needs none of it.
    with staged_file(path) as staging:  # never a half-written report
        if fmt == "html":
            from .html import render_html

            staging.write_text(render_html(data), encoding="utf-8")
        elif fmt == "pdf":
            from .pdf import write_pdf  # on demand: WeasyPrint

            write_pdf(data, staging)
        else:
            from .xlsx import write_xlsx  # on demand: xlsxwriter

            write_xlsx(data, staging)
    progress(2, 2, "")
    return path


__all__ = ["FORMATS", "STEPS", "ReportData", "load_report_data", "write_report"]
