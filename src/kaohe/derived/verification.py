"""The verification job on one data directory: estimates, reconciliation, eligibility and the
quality detectors, written as the report directory and the two derived sources
(``verification_estimates.csv``, ``quality_findings.csv``) that schemes read like any other.

``kaohe verify report`` runs it; the demo can call ``run_verification`` before assessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..i18n import text
from ..quality.findings import FINDING_COLUMNS, finding_rows
from ..quality.quality_rules import load_quality_rules
from ..quality.registry import DETECTORS, run_detectors
from ..run.record import staged_file
from ..verify.unit_tables import (
    ESTIMATE_COLUMNS,
    TABLES,
    Judged,
    StepProgress,
    inputs_manifest,
    missing_columns_note,
    open_for_rules,
    source_rows,
    verify_directory,
    write_csv,
    write_report_dir,
    write_source_file,
)
from ..verify.verification_rules import load_eligibility_rules, load_verification_rules

ESTIMATES_SOURCE = "verification_estimates"
FINDINGS_SOURCE = "quality_findings"
# The steps of ``run_verification`` with their names for a progress display: the tables, then
# each quality check (counted one by one, all under "quality"), then the writing.
STEPS = {
    **TABLES,
    "quality": ("质量检查", "quality checks"),
    "write": ("写入核查报告", "writing the report"),
}


@dataclass
class VerificationRun:
    judged: Judged
    findings: list[dict]
    notes: list[dict]


def run_verification(
    data: Path,
    out: Path | None = None,
    period: str | None = None,
    rules: Path | None = None,
    eligibility_rules: Path | None = None,
    quality_rules: Path | None = None,
    quality: bool = True,
    levels: list[str] | None = None,
    sources_into: Path | None = None,
    memory_limit: str | None = None,
    progress: StepProgress | None = None,
) -> VerificationRun:
    """Estimate, judge, reconcile, check eligibility and run the quality detectors on ``data``.

    ``out``: the report directory (replaced atomically). ``sources_into``: a data directory to
    write ``verification_estimates.csv`` and ``quality_findings.csv`` into (usually ``data``), so
    that schemes run afterwards can read them; existing ones are replaced, since they are derived.
    ``memory_limit`` (e.g. ``"1GB"``) bounds DuckDB's memory; beyond it, it spills to disk.
    ``progress`` is told each step (``STEPS``) as it starts, on one count: the tables, each
    quality check, the writing.
    """
    loaded = load_verification_rules(rules)
    eligibility = load_eligibility_rules(eligibility_rules)
    rule_files = {
        "verification": {"file": loaded.file, "sha256": loaded.sha256},
        "eligibility": {"file": eligibility.file, "sha256": eligibility.sha256},
    }
    findings: list[dict] = []
    notes: list[dict] = []
    if sources_into is not None:
        _only_derived(Path(sources_into))
    report = progress or _unobserved
    checks = len(DETECTORS) if quality else 0
    table_count = 0

    def judging(done: int, count: int, table: str) -> None:
        nonlocal table_count
        table_count = count
        if table:  # the end of the tables is the start of the next step
            report(done, count + checks + 1, table)

    def detecting(done: int, _count: int, detector: str) -> None:
        if detector:  # "" once every check ran: the writing's start says so
            report(table_count + done, table_count + checks + 1, "quality")

    with open_for_rules(data, period, loaded, memory_limit=memory_limit) as inputs:
        judged = verify_directory(inputs, loaded, levels, eligibility, progress=judging)
        tables = {
            "estimates": (judged.estimates, ESTIMATE_COLUMNS),
            "ratios": (judged.ratios, None),
            "reconciliation": (judged.reconciliation, None),
            "eligibility": (judged.eligibility, None),
        }
        columns, rows = source_rows(judged, loaded)
        tables[ESTIMATES_SOURCE] = (rows, columns)
        if quality:
            qrules = load_quality_rules(quality_rules)
            rule_files["quality"] = {"file": qrules.file, "sha256": qrules.sha256}
            checked = run_detectors(
                inputs, qrules, eligibility_rules=eligibility, progress=detecting
            )
            findings = finding_rows(checked.findings, inputs)
            notes = [{"rule": n.rule, "message": n.message} for n in checked.notes]
            judged.notes += quality_column_notes(inputs, qrules)
            tables[FINDINGS_SOURCE] = (findings, FINDING_COLUMNS)
        manifest = {
            "data": str(Path(data).resolve()),
            "period": period,
            "confidence": loaded.model.confidence.value,
            "interval": loaded.model.interval,
            "rules": rule_files,
            "inputs": inputs_manifest(inputs),
            "quality_notes": notes,
            "notes": judged.notes,
        }
    total = table_count + checks + 1
    report(total - 1, total, "write")
    if out is not None:
        write_report_dir(out, tables, manifest)
    if sources_into is not None:
        write_source_file(Path(sources_into) / f"{ESTIMATES_SOURCE}.csv", judged, loaded)
        if quality:
            with staged_file(Path(sources_into) / f"{FINDINGS_SOURCE}.csv") as staging:
                write_csv(staging, findings, FINDING_COLUMNS)
    report(total, total, "")
    return VerificationRun(judged, findings, notes)


def quality_column_notes(inputs, qrules) -> list[dict]:
    """Quality checks that read an optional column a file lacks: they run on empty values and
    find nothing there, so say which checks and columns (the view shows the column as NULL)."""
    owner = {c: s for s, columns in inputs.missing.items() for c in columns}
    design = {"weight", "stratum", "psu"}  # how the sample was drawn, not something checked
    needs: dict[tuple[str, str], set[str]] = {}
    for key, expression in qrules.expressions.items():
        for column in expression.names:
            if column in owner and column not in design:
                needs.setdefault((str(key[0]), owner[column]), set()).add(column)
    return [
        missing_columns_note(
            inputs,
            source,
            sorted(columns),
            [f"quality_findings: {detector}"],
            (
                f"质量检查 {detector} 中读取该列的部分",
                f"the part of quality check {detector} that reads it is",
            ),
        )  # fmt: skip
        for (detector, source), columns in sorted(needs.items())
    ]


def _only_derived(directory: Path) -> None:
    """Refuse to overwrite a Parquet twin of a derived source (the data layer would see both)."""
    for name in (ESTIMATES_SOURCE, FINDINGS_SOURCE):
        if (directory / f"{name}.parquet").exists():
            raise DataError(
                text(
                    f"{directory}：已有 {name}.parquet；派生数据源只写 CSV，请先删除该文件",
                    f"{directory}: {name}.parquet exists; the derived source is written as CSV, "
                    "remove the Parquet file first",
                )
            )


def _unobserved(done: int, total: int, step: str) -> None:
    pass
