"""The outcomes of the demo's runs recorded in a fresh ledger (结果应用与整改台账), as
``kaohe outcomes open`` would record them, and the project audit findings of the funds demo, as
``kaohe outcomes open-audit`` would open them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..outcomes.from_run import Opened, run_entries
from ..outcomes.ledger import Ledger
from ..outcomes.project_findings import open_audit_findings
from .project_audit_findings import write_project_audit_findings
from .years import period

# the scheme whose next cycle reads the project audit findings (fund use is assessed there)
AUDIT_SCHEME = "fund-performance-2017"


def open_demo_ledger(
    ledger_dir: Path, run_dirs: list[Path], data: Path | None = None, fresh: bool = True
) -> list[tuple[Path, Opened]]:
    """Record the runs' outcomes in ``ledger_dir`` (a fresh ledger unless ``fresh`` is false:
    the demo's later years add to the first's), opened on 1 March of the year after the demo
    year, then the project audit findings of ``data`` (default: ``data`` beside the ledger);
    return what each run and the findings file opened."""
    ledger_dir = Path(ledger_dir)
    if fresh and (ledger_dir / "events.jsonl").exists():
        (ledger_dir / "events.jsonl").unlink()  # the demo rewrites its output
    ledger = Ledger(ledger_dir)
    opened = dt.date(int(period()) + 1, 3, 1)
    at = f"{opened.isoformat()}T09:00:00+08:00"
    # as ``open_from_run`` would record each run, but in one append: each append reads the
    # whole ledger again, which over eight demo years took longer than the runs
    state = ledger.state()
    known = set(state.items) | set(state.actions)
    result, new = [], []
    for run_dir in run_dirs:
        entries = run_entries(Path(run_dir), opened)
        fresh_entries = [(kind, data) for kind, data in entries if data["id"] not in known]
        known |= {data["id"] for _, data in fresh_entries}
        new += fresh_entries
        result.append((Path(run_dir), _counted(fresh_entries, len(entries))))
    ledger.append(new, actor="kaohe demo", at=at)
    findings = write_project_audit_findings(data or ledger_dir.parent / "data")
    if findings is not None:
        audit = open_audit_findings(
            ledger, findings, opened, "kaohe demo", scheme=AUDIT_SCHEME, period=period(), at=at
        )
        result.append((findings, Opened(0, 0, audit.opened, audit.skipped)))
    return result


def _counted(new: list[tuple[str, dict]], entries: int) -> Opened:
    """What a run opened, counted as ``open_from_run`` counts it."""
    items = [data["kind"] for kind, data in new if kind == "item_opened"]
    return Opened(
        actions=sum(1 for kind, _ in new if kind == "action_issued"),
        rectifications=items.count("rectification"),
        findings=items.count("finding"),
        skipped=entries - len(new),
    )
