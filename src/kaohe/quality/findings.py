"""A finding (问题): something wrong at a unit, with the rule, severity and evidence.

Findings are written as ``quality_findings.csv`` (and ``.json``), one row per unit and rule, so a
scheme can count them in a measure — ``count(*) filter (where severity = '严重')``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..run.record import staged_file
from ..verify.inputs import data_period
from ..verify.unit_tables import write_csv, write_json

FINDING_COLUMNS = [
    "unit", "name", "level", "period", "rule", "label", "severity", "count", "statistic",
    "p_value", "evidence",
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    unit: str
    rule: str
    label: str
    severity: str  # 严重 / 一般 / 提示
    count: int  # records involved (households, persons, figures)
    evidence: str  # what was seen, in the user's language, with examples
    statistic: float | None = None  # the test statistic or measured value, when there is one
    p_value: float | None = None


@dataclass(frozen=True)
class Note:
    """Why a detector (or a unit) was skipped: recorded in the report, never a finding."""

    rule: str
    message: str


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def finding_rows(findings: list[Finding], inputs) -> list[dict[str, Any]]:
    """Report rows, ordered by unit then rule, with the unit's name, level and the period."""

    period = next(
        (p for p in (data_period(inputs, s) for s in inputs.sources) if p is not None), None
    )
    rows = []
    for f in sorted(findings, key=lambda f: (f.unit, f.rule, f.evidence)):
        rows.append(
            {
                "unit": f.unit,
                "name": inputs.units.name.get(f.unit, ""),
                "level": inputs.units.level.get(f.unit, ""),
                "period": period,
                "rule": f.rule,
                "label": f.label,
                "severity": f.severity,
                "count": int(f.count),
                "statistic": _number(f.statistic),
                "p_value": _number(f.p_value),
                "evidence": f.evidence,
            }
        )
    return rows


def write_findings(path: Path, rows: list[dict[str, Any]]) -> None:
    """``quality_findings.csv`` and its ``.json`` twin, each written whole or not at all."""

    path = Path(path)
    with staged_file(path) as staging:
        write_csv(staging, rows, FINDING_COLUMNS)
    with staged_file(path.with_suffix(".json")) as staging:
        write_json(staging, rows)
