"""The detectors in the order they run, like sqlglot's optimizer RULES: each is a module with a
``detect(ctx) -> list[Finding]``; this file is the list and a short loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import UsageError
from ..i18n import text
from ..verify.inputs import Inputs
from . import (
    benford,
    bunching,
    cross_source,
    digit_heaping,
    duplicate_ids,
    eligibility_flags,
    implausible_records,
    outliers,
    resident_ids,
)
from .context import QualityContext
from .findings import Finding, Note
from .quality_rules import LoadedQuality

DETECTORS: tuple[tuple[str, Callable[[QualityContext], list[Finding]]], ...] = (
    ("resident_ids", resident_ids.detect),
    ("duplicate_ids", duplicate_ids.detect),
    ("implausible_records", implausible_records.detect),
    ("eligibility_flags", eligibility_flags.detect),
    ("bunching", bunching.detect),
    ("benford", benford.detect),
    ("digit_heaping", digit_heaping.detect),
    ("outliers", outliers.detect),
    ("cross_source", cross_source.detect),
)
NAMES = tuple(name for name, _ in DETECTORS)

# Called before each detector with the detectors done, the detectors to run and the one starting,
# and once more at the end with every detector done and no name: a command line draws it.
DetectorProgress = Callable[[int, int, str], None]


@dataclass
class QualityResult:
    findings: list[Finding]
    notes: list[Note]


def run_detectors(
    inputs: Inputs,
    rules: LoadedQuality,
    eligibility_rules=None,
    only: list[str] | None = None,
    progress: DetectorProgress | None = None,
) -> QualityResult:
    """Run the enabled detectors (or ``only`` these) over the open data; ``progress`` follows
    them one by one."""
    unknown = [name for name in only or [] if name not in NAMES]
    if unknown:
        raise UsageError(
            text(
                f"不认识的检查 {', '.join(unknown)}；可选：{', '.join(NAMES)}",
                f"unknown detector {', '.join(unknown)}; use one of {', '.join(NAMES)}",
            )
        )
    ctx = QualityContext(inputs, rules, eligibility_rules)
    findings: list[Finding] = []
    chosen = [(name, detect) for name, detect in DETECTORS if not only or name in only]
    for done, (name, detect) in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), name)
        if not getattr(rules.model, name).enabled:
            ctx.note(name, text("已在规则文件中停用", "disabled in the rules file"))
            continue
        findings += detect(ctx)
    if progress is not None:
        progress(len(chosen), len(chosen), "")
    return QualityResult(findings, ctx.notes)
