"""The sources the bundled fund schemes read, from the funds demo's pipeline results.

- ``fund_projects.csv``: one row per submitted project with its evaluation;
- ``fund_findings.csv``: the audit findings;
- ``fund_inputs.csv``: provincial and central funds of each province;
- ``fund_transfers.csv``: funds allocated down to counties;
- ``linkage_consolidation.csv``: consolidation of results per county.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..funds.audit_checks import Finding
from ..funds.library import LibraryState
from .csv_files import flag, write_csv
from .fund_projects import stream
from .years import period

PROJECT_SOURCE_COLUMNS = [
    "unit",
    "project_id",
    "project_type",
    "industry",
    "budget",
    "admitted",
    "publicized",
    "executed",
    "self_score",
    "final_score",
    "checked",
    "tasks_achieved",
    "output_rate",
    "benefit_rate",
    "flags_raised",
    "flags_answered",
    "files_complete",
    "period",
]
INPUT_COLUMNS = [
    "unit",
    "central_funds",
    "central_funds_last",
    "provincial_funds",
    "provincial_funds_last",
    "innovation_cases",
    "period",
]


def _blank(value: object) -> object:
    return "" if value is None else value


def write_fund_sources(
    directory: Path,
    state: LibraryState,
    scores: list[dict],
    findings: list[Finding],
    quality: dict[str, float],
    province_of: dict[str, str],
    seed: int,
) -> None:
    """Write the fund schemes' sources into ``directory``."""
    with (directory / "funds" / "projects.csv").open(encoding="utf-8") as handle:
        submitted = list(csv.DictReader(handle))
    _write_projects(directory, submitted, state, scores, findings)
    write_csv(
        directory / "fund_findings.csv",
        ["unit", "project_id", "rule", "period"],
        [[f.unit, f.project_id, f.rule, period()] for f in findings],
    )
    counties: dict[str, list[str]] = {}
    for project in submitted:
        counties.setdefault(province_of[project["unit"]], []).append(project["unit"])
    _write_funds_flows(directory, counties, quality, seed)


def _write_projects(
    directory: Path,
    submitted: list[dict],
    state: LibraryState,
    scores: list[dict],
    findings: list[Finding],
) -> None:
    """``fund_projects.csv``: every submitted project, admitted or not, with its evaluation."""
    by_project = {row["project_id"]: row for row in scores}
    raised: dict[str, int] = {}
    answered: dict[str, int] = {}
    for raised_flag in state.flags.values():
        raised[raised_flag.project_id] = raised.get(raised_flag.project_id, 0) + 1
        if raised_flag.status == "answered":
            answered[raised_flag.project_id] = answered.get(raised_flag.project_id, 0) + 1
    incomplete = {f.project_id for f in findings if f.rule == "files_incomplete"}
    rows = []
    for project in submitted:
        pid = project["project_id"]
        score = by_project.get(pid, {})
        admitted = pid in state.projects
        rows.append(
            [
                project["unit"],
                pid,
                project["project_type"],
                flag(project["project_type"] == "产业发展"),
                project["budget"],
                flag(admitted),
                project["publicized"],
                _blank(score.get("budget_executed")),
                _blank(score.get("self_score")),
                _blank(score.get("final_score")),
                flag(score.get("checked", False)),
                flag(score.get("tasks_achieved", False)),
                _blank(score.get("output_rate")),
                _blank(score.get("benefit_rate")),
                raised.get(pid, 0),
                answered.get(pid, 0),
                flag(admitted and pid not in incomplete),
                period(),
            ]
        )
    write_csv(directory / "fund_projects.csv", PROJECT_SOURCE_COLUMNS, rows)


def _write_funds_flows(
    directory: Path, counties: dict[str, list[str]], quality: dict[str, float], seed: int
) -> None:
    """Each province's funds (``fund_inputs.csv``), their transfer down to its counties
    (``fund_transfers.csv``) and the counties' consolidation (``linkage_consolidation.csv``)."""
    transfers, inputs, consolidation = [], [], []
    for province in sorted(quality):
        q = quality[province]
        draws = stream(seed, 7, int(province))
        units = sorted(set(counties.get(province, [])))
        central = float(draws.uniform(150_000, 450_000))
        central_growth = float(draws.uniform(0.08, 0.2))
        provincial_share = float(draws.uniform(0.2, 0.45))
        provincial_growth = central_growth + float(draws.normal(0.02 * (2 * q - 1), 0.04))
        inputs.append(
            [
                province,
                round(central, 1),
                round(central / (1 + central_growth), 1),
                round(central * provincial_share, 1),
                round(central * provincial_share / (1 + provincial_growth), 1),
                int(draws.poisson(0.5 + 2.5 * q)),
                period(),
            ]
        )
        weights = draws.uniform(0.5, 1.5, len(units))
        for code, weight in zip(units, weights, strict=True):
            for fund, share in (("中央", 1.0), ("省级", provincial_share)):
                amount = central * share * weight / weights.sum()
                late = draws.random() < 0.05 + 0.3 * (1 - q)
                days = int(draws.integers(31, 75)) if late else int(draws.integers(8, 31))
                transfers.append(
                    [
                        code,
                        fund,
                        round(amount, 1),
                        days,
                        flag(draws.random() < 0.8 + 0.2 * q),
                        period(),
                    ]
                )
            monitored = int(draws.integers(300, 3000))
            eliminated = int(monitored * np.clip(draws.normal(0.55 + 0.35 * q, 0.08), 0, 1))
            returned = int(draws.poisson(monitored * 0.004 * (1.5 - q)))
            consolidation.append([code, monitored, eliminated, returned, period()])
    write_csv(directory / "fund_inputs.csv", INPUT_COLUMNS, inputs)
    write_csv(
        directory / "fund_transfers.csv",
        ["unit", "fund", "amount", "days_to_allocate", "by_factor", "period"],
        transfers,
    )
    write_csv(
        directory / "linkage_consolidation.csv",
        ["unit", "monitored_households", "risk_eliminated", "returned_households", "period"],
        consolidation,
    )
