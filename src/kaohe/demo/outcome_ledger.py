"""The outcomes of the demo's runs recorded in a fresh ledger (结果应用与整改台账), as
``kaohe outcomes open`` would record them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..outcomes.from_run import Opened, open_from_run
from ..outcomes.ledger import Ledger
from .world import PERIOD


def open_demo_ledger(ledger_dir: Path, run_dirs: list[Path]) -> list[tuple[Path, Opened]]:
    """Record the runs' outcomes in ``ledger_dir`` (a fresh ledger), opened on 1 March of the
    year after the demo year; return what each run opened."""
    ledger_dir = Path(ledger_dir)
    if (ledger_dir / "events.jsonl").exists():
        (ledger_dir / "events.jsonl").unlink()  # the demo rewrites its output
    ledger = Ledger(ledger_dir)
    opened = dt.date(int(PERIOD) + 1, 3, 1)
    at = f"{opened.isoformat()}T09:00:00+08:00"
    return [
        (Path(run_dir), open_from_run(ledger, Path(run_dir), opened, "kaohe demo", at=at))
        for run_dir in run_dirs
    ]
