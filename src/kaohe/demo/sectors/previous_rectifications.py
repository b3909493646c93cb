"""The demo's previous cycle of rectifications, kept in a real ledger and exported as a source.

``carry_rectifications`` carries the items the previous demo year's runs opened in the demo
ledger through the year and exports what is unresolved. For a demo year with no previous year
(the first one asked for), so that ``rural-revitalization-2021`` still has last cycle's
unresolved problems to deduct for, ``write_rectifications_demo`` writes a ledger of the year before
(``DATA/ledger-<year-1>/``): problems fed back to some provinces after the previous
effectiveness assessment, each rectified on time, late, or not at all (then marked overdue and
sometimes escalated) — every step through the real lifecycle. It then exports the unresolved
items as of the end of the demo year to ``DATA/rectifications.csv``, exactly as
``kaohe outcomes export-source`` would.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ...outcomes.export import write_source
from ...outcomes.ledger import Ledger
from ...outcomes.lifecycle import UNRESOLVED, due_for_overdue
from .. import random_streams
from ..years import period
from .units import provinces

PREVIOUS_SCHEME = "provincial-effectiveness-2016"
RECTIFICATIONS_STREAM = 100  # this demo's random streams are keyed (seed, 100, …)
ACTOR = "省考核办（演示）"
# typical problems fed back after an effectiveness assessment (demo wording)
PROBLEMS = (
    "识别不精准，存在错评、漏评",
    "帮扶措施针对性不强，产业帮扶带贫效果不明显",
    "扶贫资金闲置滞留",
    "扶贫项目资产管理不规范",
    "“两不愁三保障”仍有薄弱环节",
    "扶贫档案资料不全、数据不准",
)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return random_streams.rng(seed, RECTIFICATIONS_STREAM, *key)


def _at(day: dt.date) -> str:
    return f"{day.isoformat()}T09:00:00+08:00"


def write_rectifications_demo(directory: Path, seed: int) -> None:
    """Write ``DATA/ledger-<year-1>/events.jsonl`` and ``DATA/rectifications.csv``."""
    directory = Path(directory)
    year = int(period())
    previous = str(year - 1)
    opened = dt.date(year, 3, 1)  # results of the previous cycle are out by the end of February
    deadline = opened + dt.timedelta(days=90)
    folder = directory / f"ledger-{previous}"
    if (folder / "events.jsonl").exists():
        (folder / "events.jsonl").unlink()  # the demo rewrites its data directory
    ledger = Ledger(folder)
    rng = _rng(seed, 1)
    days: dict[dt.date, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for code, name in provinces(directory).items():
        if rng.random() > 0.6:
            continue
        for k in sorted(rng.choice(len(PROBLEMS), int(rng.integers(1, 4)), replace=False)):
            ident = f"r-{previous}-{code}-{k}"
            days[opened].append(
                (
                    "item_opened",
                    {
                        "id": ident,
                        "kind": "rectification",
                        "unit": code,
                        "unit_name": name,
                        "title": f"{previous} 年度成效考核反馈问题：{PROBLEMS[k]}",
                        "basis": "feedback",
                        "scheme": PREVIOUS_SCHEME,
                        "period": previous,
                        "owner": name,
                        "deadline": deadline.isoformat(),
                    },
                )
            )
            _fate(rng, ident, opened, deadline, days)
    _play(ledger, days, {deadline + dt.timedelta(days=1)})
    write_source(ledger.state(), directory / "rectifications.csv", dt.date(year, 12, 31), period())


def carry_rectifications(ledger_dir: Path, directory: Path, seed: int) -> int:
    """Carry the items the previous demo year's runs opened in the demo ledger through this
    demo year: each is rectified on time, late, or not at all (overdue, sometimes escalated),
    through the real lifecycle, and settle most of what earlier years left unresolved; then
    export the unresolved ones as of 31 December into
    ``DATA/rectifications.csv`` (replacing the synthetic previous cycle), exactly as ``kaohe
    outcomes export-source`` would. Returns the number of items carried."""
    year = int(period())
    opened = dt.date(year, 3, 1)  # the previous cycle's results are out by the end of February
    ledger = Ledger(Path(ledger_dir))
    rng = _rng(seed, 2)
    days: dict[dt.date, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    carried = [
        item
        for item in sorted(ledger.state().items.values(), key=lambda i: i.id)
        if item.period == str(year - 1) and item.status in UNRESOLVED
    ]
    for item in carried:
        _fate(rng, item.id, opened, item.deadline, days)
    older = [
        item
        for item in sorted(ledger.state().items.values(), key=lambda i: i.id)
        if item.period < str(year - 1) and item.status in UNRESOLVED
    ]
    for item in older:  # left from earlier years: most are settled now, a few drag on
        settled = opened + dt.timedelta(days=int(rng.integers(15, 200)))
        if item.status == "submitted":
            days[settled].append(("verified", {"item": item.id}))
        elif rng.random() < 0.6:
            days[settled].append(
                ("evidence_submitted", {"item": item.id, "evidence": ["整改报告"]})
            )
            days[settled + dt.timedelta(days=20)].append(("verified", {"item": item.id}))
    # Progress is recorded on the 1st and the 15th of each month (a demo assumption): each
    # event moves back to the report day before it, never past its deadline, and a year takes
    # some twenty appends to the ledger instead of one per day.
    # Overdue items are marked on the first report day after their deadline (events on a day
    # come after its sweep), never later than a late submission (40 days or more after it).
    reported: dict[dt.date, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for day in sorted(days):
        reported[_report_day(day)] += days[day]
    sweeps = {_report_day(item.deadline + dt.timedelta(days=16)) for item in carried}
    _play(ledger, reported, sweeps)
    write_source(ledger.state(), directory / "rectifications.csv", dt.date(year, 12, 31), period())
    return len(carried)


def _report_day(day: dt.date) -> dt.date:
    """The report day (the 1st or the 15th) on or before ``day``."""
    return day.replace(day=1 if day.day < 15 else 15)


def _play(
    ledger: Ledger, days: dict[dt.date, list[tuple[str, dict[str, Any]]]], sweeps: set[dt.date]
) -> None:
    """Append the events day by day, marking what is overdue on each sweep day."""
    for day in sorted(set(days) | sweeps):
        if day in sweeps:
            late = due_for_overdue(ledger.state(), day)
            ledger.append(
                [("marked_overdue", {"item": i.id, "as_of": day.isoformat()}) for i in late],
                actor=ACTOR,
                at=_at(day),
            )
        if days.get(day):
            ledger.append(days[day], actor=ACTOR, at=_at(day))


def _fate(
    rng: np.random.Generator,
    ident: str,
    opened: dt.date,
    deadline: dt.date,
    days: dict[dt.date, list[tuple[str, dict[str, Any]]]],
) -> None:
    """What becomes of one item in the year: rectified on time (verified at once or after a
    second try), submitted but not yet verified, late, escalated or not rectified at all."""
    fate = rng.random()
    submitted = opened + dt.timedelta(days=int(rng.integers(20, 85)))
    if fate < 0.6:  # rectified on time, verified at once or after a second try
        days[submitted].append(("evidence_submitted", {"item": ident, "evidence": ["整改报告"]}))
        checked = submitted + dt.timedelta(days=10)
        if rng.random() < 0.2:
            days[checked].append(("verification_failed", {"item": ident, "note": "佐证不足"}))
            again = checked + dt.timedelta(days=15)
            days[again].append(("evidence_submitted", {"item": ident, "evidence": ["补充材料"]}))
            checked = again + dt.timedelta(days=10)
        days[checked].append(("verified", {"item": ident}))
    elif fate < 0.72:  # submitted in time, not yet verified
        days[submitted].append(("evidence_submitted", {"item": ident, "evidence": ["整改报告"]}))
    elif fate < 0.86:  # late: overdue, then rectified
        late = deadline + dt.timedelta(days=int(rng.integers(40, 150)))
        days[late].append(("evidence_submitted", {"item": ident, "evidence": ["整改报告"]}))
        days[late + dt.timedelta(days=10)].append(("verified", {"item": ident}))
    elif rng.random() < 0.5:  # not rectified; escalated
        days[deadline + dt.timedelta(days=60)].append(
            ("escalated", {"item": ident, "to": "纪检监察机关"})
        )
    # otherwise: not rectified at all
