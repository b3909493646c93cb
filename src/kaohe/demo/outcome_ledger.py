"""The outcomes of the demo's runs recorded in a fresh ledger (结果应用与整改台账), as
``kaohe outcomes open`` would record them, and the project audit findings of the funds demo, as
``kaohe outcomes open-audit`` would open them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..outcomes.from_run import Opened, open_from_run
from ..outcomes.ledger import Ledger
from ..outcomes.project_findings import open_audit_findings
from .project_audit_findings import write_project_audit_findings
from .world import PERIOD

# the scheme whose next cycle reads the project audit findings (fund use is assessed there)
AUDIT_SCHEME = "fund-performance-2017"


def open_demo_ledger(
    ledger_dir: Path, run_dirs: list[Path], data: Path | None = None
) -> list[tuple[Path, Opened]]:
    """Record the runs' outcomes in ``ledger_dir`` (a fresh ledger), opened on 1 March of the
    year after the demo year, then the project audit findings of ``data`` (default: the demo's
    layout, ``data`` beside the ledger); return what each run and the findings file opened."""
    ledger_dir = Path(ledger_dir)
    if (ledger_dir / "events.jsonl").exists():
        (ledger_dir / "events.jsonl").unlink()  # the demo rewrites its output
    ledger = Ledger(ledger_dir)
    opened = dt.date(int(PERIOD) + 1, 3, 1)
    at = f"{opened.isoformat()}T09:00:00+08:00"
    result = [
        (Path(run_dir), open_from_run(ledger, Path(run_dir), opened, "kaohe demo", at=at))
        for run_dir in run_dirs
    ]
    findings = write_project_audit_findings(data or ledger_dir.parent / "data")
    if findings is not None:
        audit = open_audit_findings(
            ledger, findings, opened, "kaohe demo", scheme=AUDIT_SCHEME, period=PERIOD, at=at
        )
        result.append((findings, Opened(0, 0, audit.opened, audit.skipped)))
    return result
