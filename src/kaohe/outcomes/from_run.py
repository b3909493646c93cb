"""Turn a run's outcomes into ledger events: issued actions, rectifications and findings.

Reads ``RUN_DIR/explain.json`` (per-unit ``outcomes``, ``vetoes``, ``flags``, ``grade``),
``RUN_DIR/manifest.json`` (period) and the scheme the run kept (the flags' labels), all opened by
``run.opened.open_run``, so any run of any scheme can be applied:

- every outcome action becomes an ``action_issued`` event (commendation, fiscal reward with its
  amount, interview, accountability, restrictions for banks …);
- every ``rectify`` action opens a rectification item, due ``days`` after the opening date;
- every veto that hit a unit and every flag that holds opens a finding item, due when the
  unit's rectification is (or ``default_days`` after opening).

Ids are derived from scheme, period, unit and what raised the item, so applying the same run
twice records nothing new. Titles are stored in Chinese, the language of the official record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import text
from ..run.opened import open_run
from ..scheme import LoadedScheme
from .ledger import Ledger


@dataclass(frozen=True)
class Opened:
    actions: int
    rectifications: int
    findings: int
    skipped: int  # already in the ledger


def entry_id(prefix: str, *parts: Any) -> str:
    """A ledger id from what raised the entry: the same parts always give the same id."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:12]}"


def _flag_labels(scheme: LoadedScheme) -> dict[str, str]:
    """The flags' labels from the scheme the run kept."""
    return {name: flag.label or name for name, flag in scheme.model.flags.items()}


def run_entries(
    run_dir: Path, opened: dt.date, default_days: int = 90
) -> list[tuple[str, dict[str, Any]]]:
    """The events that apply run ``run_dir``'s outcomes, in unit order."""
    run = open_run(run_dir)
    run_dir, explain, manifest = run.run_dir, run.explanation, run.manifest
    if manifest.get("preliminary"):
        # a preliminary run (computed before the evidence was complete) is no result: nothing
        # may be issued or opened from it
        raise UsageError(
            text(
                f"{run_dir}：这是初步结果（manifest.json 的 preliminary），不作为正式考核结果，"
                "不能据此开立结果应用与整改；请在证据齐全后重新计算",
                f"{run_dir}: this is a preliminary run (preliminary in manifest.json), not an "
                "official result: no outcome or rectification can come from it; compute the run "
                "again once the evidence is complete",
            )
        )
    scheme = explain.get("scheme") or {}
    scheme_id = scheme.get("id", "")
    title = scheme.get("title", scheme_id)
    period = str(manifest.get("period") or "")
    labels = _flag_labels(run.scheme)
    when = f"（{period}）" if period else ""
    entries: list[tuple[str, dict[str, Any]]] = []
    for unit, result in sorted((explain.get("units") or {}).items()):
        name = result.get("name") or unit
        grade = result.get("grade")
        outcomes = result.get("outcomes") or []
        days = [int(a["days"]) for a in outcomes if a.get("action") == "rectify" and "days" in a]
        due = opened + dt.timedelta(days=min(days) if days else default_days)
        common = {"unit": unit, "unit_name": name, "scheme": scheme_id, "period": period}
        for i, action in enumerate(outcomes):
            kind = action["action"]
            params = {k: v for k, v in action.items() if k not in ("action", "label")}
            entries.append(
                (
                    "action_issued",
                    {
                        "id": entry_id("a", scheme_id, period, unit, i, kind),
                        "action": kind,
                        "params": params,
                        "grade": grade,
                        **common,
                    },
                )
            )
        reasons = [v.get("reason") or v.get("id") for v in result.get("vetoes") or []]
        reasons += [labels.get(f, f) for f in result.get("flags") or []]
        if days:
            because = f"（{'；'.join(reasons)}）" if reasons else ""
            entries.append(
                (
                    "item_opened",
                    {
                        "id": entry_id("r", scheme_id, period, unit, "action:rectify"),
                        "kind": "rectification",
                        "title": f"{title}{when}：等次“{grade}”，限期整改{because}",
                        "basis": "action:rectify",
                        "owner": name,
                        "deadline": due.isoformat(),
                        **common,
                    },
                )
            )
        found = [
            (f"veto:{v.get('id')}", v.get("reason") or v.get("id"))
            for v in result.get("vetoes") or []
        ]
        found += [(f"flag:{f}", labels.get(f, f)) for f in result.get("flags") or []]
        titles: set[str] = set()
        for basis, label in found:
            if label in titles:  # a veto on a flag says the same thing once more
                continue
            titles.add(label)
            entries.append(
                (
                    "item_opened",
                    {
                        "id": entry_id("f", scheme_id, period, unit, basis),
                        "kind": "finding",
                        "title": label,
                        "basis": basis,
                        "owner": name,
                        "deadline": due.isoformat(),
                        **common,
                    },
                )
            )
    return entries


def open_from_run(
    ledger: Ledger,
    run_dir: Path,
    opened: dt.date,
    actor: str,
    default_days: int = 90,
    at: str | None = None,
) -> Opened:
    """Record a run's actions and open its rectifications and findings (skipping known ids)."""
    entries = run_entries(run_dir, opened, default_days)
    state = ledger.state()
    known = set(state.items) | set(state.actions)
    new = [(kind, data) for kind, data in entries if data["id"] not in known]
    ledger.append(new, actor=actor, at=at)
    return Opened(
        actions=sum(1 for kind, _ in new if kind == "action_issued"),
        rectifications=sum(
            1 for k, d in new if k == "item_opened" and d["kind"] == "rectification"
        ),
        findings=sum(1 for k, d in new if k == "item_opened" and d["kind"] == "finding"),
        skipped=len(entries) - len(new),
    )
