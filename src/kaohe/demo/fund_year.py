"""The funds demo: one year of project fund management over the national demo's counties.

``write_funds_demo(directory, seed)`` reads the counties and provinces of ``directory/units.csv``
(written by ``kaohe.demo.generate``) and writes, deterministically by seed (numpy PCG64):

- ``funds/``: what project units and the finance department hand in — ``projects.csv`` and
  ``targets.csv`` (the submission to the target gate; some projects lack targets or budgets),
  ``target_adjustments.csv`` (approved cost changes), ``progress.csv`` (quarterly reports; some
  projects lag), ``self_evaluation.csv`` (year-end values; some inflated), ``spot_checks.csv``
  (verified values for the drawn sample), ``project_files.csv`` (documents held; some incomplete);
- the funds pipeline run over those files through the same functions as ``kaohe funds``
  (``fund_pipeline``): ``funds/library/`` (the event log), ``funds/evaluation/``,
  ``funds/allocation/``, ``funds/audit/``;
- the sources the bundled fund schemes read (``fund_sources``).

Each step of the year goes through the project library as ``kaohe funds`` would: the files are
written first, then read back with the same readers users' files go through.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ..funds.audit_checks import FILE_COLUMNS, AuditRules, load_audit_rules
from ..funds.evaluation import VALUE_COLUMNS, EvaluationRules, load_evaluation_rules
from ..funds.fund_rules import LoadedRules
from ..funds.gate import check_submission, load_gate_rules, read_submission
from ..funds.library import ADJUST_COLUMNS, ADJUST_REQUIRED, Library, LibraryState, adjust, admit
from ..funds.monitoring import REPORT_COLUMNS, answer, load_monitoring_rules, monitor
from ..funds.spot_checks import draw_sample
from ..funds.tables import read_table
from ..funds.targets import BUDGET_ITEM
from .csv_files import write_csv
from .fund_pipeline import run_funds_pipeline
from .fund_projects import (
    ProjectTruth,
    figure,
    province_qualities,
    read_regions,
    stream,
    true_value,
    write_projects,
)
from .fund_sources import write_fund_sources
from .years import period, year


def _quarters() -> tuple[dt.date, ...]:
    """The quarter ends of the demo year at which projects report (the fourth is the year end)."""
    return (dt.date(year(), 3, 31), dt.date(year(), 6, 30), dt.date(year(), 9, 30))


REPORT_HEADER = list(REPORT_COLUMNS)
ANSWER = "已分析偏离原因（施工季节、资金拨付流程），调整实施计划并加快资金支付和建设进度"


def _at(day: str) -> str:
    return f"{day}T09:00:00+08:00"


def write_funds_demo(directory: Path, seed: int) -> None:
    """Write the funds demo files into ``directory`` (which already holds ``units.csv``)."""
    directory = Path(directory)
    folder = directory / "funds"
    counties, provinces = read_regions(directory)
    province_of = {county["unit"]: county["parent"] for county in counties}
    quality = province_qualities(directory, provinces, seed)
    truths = write_projects(folder, counties, quality, seed)

    library_dir = folder / "library"
    if library_dir.exists():
        shutil.rmtree(library_dir)
    library = Library.open(library_dir, create=True)
    gate = load_gate_rules()
    submission = check_submission(*read_submission(folder / "projects.csv"), gate.model)
    admit(library, submission, at=_at(f"{period()}-01-20"))
    # the library as admitted: the year's reports are drawn against the targets set at entry
    admitted = library.state()
    _adjust_targets(library, admitted, folder, truths)
    _report_quarters(library, admitted, folder, truths, quality, province_of, seed)
    true_values = _self_evaluate(admitted, folder, truths)
    evaluation_rules = load_evaluation_rules()
    _spot_check(library, folder, true_values, evaluation_rules, seed)
    audit_rules = load_audit_rules()
    _hold_files(admitted, folder, truths, audit_rules, seed)

    state, scores, findings = run_funds_pipeline(directory, library, evaluation_rules, audit_rules)
    # the fund flows cover the provinces that have counties in the demo
    quality = province_qualities(directory, {p: {} for p in set(province_of.values())}, seed)
    write_fund_sources(directory, state, scores, findings, quality, province_of, seed)


def _adjust_targets(
    library: Library, admitted: LibraryState, folder: Path, truths: dict[str, ProjectTruth]
) -> None:
    """Approved cost changes (项目变更), written as ``target_adjustments.csv`` and recorded."""
    adjustments = [
        [
            pid,
            "C1",
            figure(p.target("C1").value * (1 + truths[pid].cost_change)),
            "项目变更：实施方案调整，经县扶贫开发领导小组批复",
        ]
        for pid, p in sorted(admitted.projects.items())
        if truths[pid].adjusted and p.target("C1") is not None
    ]
    write_csv(folder / "target_adjustments.csv", list(ADJUST_REQUIRED), adjustments)
    adjust(
        library,
        read_table(folder / "target_adjustments.csv", ADJUST_COLUMNS, ADJUST_REQUIRED),
        at=_at(f"{period()}-07-15"),
    )


def _report_quarters(
    library: Library,
    admitted: LibraryState,
    folder: Path,
    truths: dict[str, ProjectTruth],
    quality: dict[str, float],
    province_of: dict[str, str],
    seed: int,
) -> None:
    """Quarterly progress reports, the flags execution monitoring raises on them, and the
    answers of the units that explain themselves (more often in better provinces)."""
    monitoring = load_monitoring_rules()
    progress_rows = []
    quarters = _quarters()
    for quarter in quarters:
        rows = []
        for pid, project in sorted(admitted.projects.items()):
            truth = truths[pid]
            share = project.time_progress(quarter)
            if share <= 0:
                continue
            executed = project.budget * min(truth.final_execution, share * truth.pace)
            rows.append([pid, quarter.isoformat(), BUDGET_ITEM, round(executed, 2)])
            q1 = project.target("Q1")
            rows.append(
                [
                    pid,
                    quarter.isoformat(),
                    "Q1",
                    figure(true_value(q1.value, "Q1", "≥", truth, share)),
                ]
            )
            if quarter >= quarters[1] and project.target("C1") is not None:
                c1 = admitted.original[pid].target("C1")
                value = true_value(c1.value, "C1", "≤", truth, share)
                rows.append([pid, quarter.isoformat(), "C1", figure(value)])
        progress_rows += rows
        path = folder / "progress" / f"{quarter.isoformat()}.csv"
        write_csv(path, REPORT_HEADER, rows)
        monitor(
            library,
            read_table(path, REPORT_COLUMNS, list(REPORT_COLUMNS)),
            monitoring.model,
            at=_at((quarter + dt.timedelta(days=10)).isoformat()),
        )
        draws = stream(seed, 3, quarter.toordinal())
        answers = []
        for flag in sorted(library.state().flags.values(), key=lambda f: f.flag_id):
            if flag.status != "open" or flag.as_of != quarter:
                continue
            if draws.random() < 0.45 + 0.5 * quality[province_of[flag.unit]]:
                answers.append((flag.flag_id, admitted.projects[flag.project_id].owner, ANSWER))
        answer(library, answers, at=_at((quarter + dt.timedelta(days=25)).isoformat()))
    write_csv(folder / "progress.csv", REPORT_HEADER, progress_rows)


def _self_evaluate(
    admitted: LibraryState, folder: Path, truths: dict[str, ProjectTruth]
) -> dict[str, dict[str, float]]:
    """Write ``self_evaluation.csv`` (year-end values, inflated by dishonest units, missing for
    the few that never report); return every project's true year-end values."""
    self_rows, true_values = [], {}
    for pid, project in sorted(admitted.projects.items()):
        truth = truths[pid]
        values = {BUDGET_ITEM: round(project.budget * truth.final_execution, 2)}
        for target in admitted.original[pid].targets:
            direction = "≤" if target.direction == "lower" else "≥"
            value = true_value(target.value, target.indicator_id, direction, truth, 1.0)
            if target.unit_of_measure == "%":
                value = min(value, 100.0)
            values[target.indicator_id] = float(figure(value))
        true_values[pid] = values
        if not truth.self_reported:
            continue
        for item, value in values.items():
            reported = value * truth.inflated.get(item, 1.0)
            self_rows.append(
                [pid, item, round(reported, 2) if item == BUDGET_ITEM else figure(reported)]
            )
    write_csv(folder / "self_evaluation.csv", list(VALUE_COLUMNS), self_rows)
    return true_values


def _spot_check(
    library: Library,
    folder: Path,
    true_values: dict[str, dict[str, float]],
    evaluation_rules: LoadedRules[EvaluationRules],
    seed: int,
) -> None:
    """The finance department's sample, drawn in the library, and what its checkers verified."""
    sample = draw_sample(
        library,
        evaluation_rules.model.spot_checks.min_share,
        seed,
        evaluation_rules.model.spot_checks.stratum,
        at=_at(f"{year() + 1}-01-05"),
    )
    draws = stream(seed, 4)
    check_rows = []
    for pid in sample.projects:
        for item, value in true_values[pid].items():
            noise = float(draws.normal(0, 0.005))
            check_rows.append(
                [
                    pid,
                    item,
                    figure(value * (1 + noise)),
                    "财政局绩效评价组",
                    f"{year() + 1}-01-{10 + int(draws.integers(0, 15)):02d}",
                ]
            )
    header = [*VALUE_COLUMNS, "checked_by", "checked_on"]
    write_csv(folder / "spot_checks.csv", header, check_rows)


def _hold_files(
    admitted: LibraryState,
    folder: Path,
    truths: dict[str, ProjectTruth],
    audit_rules: LoadedRules[AuditRules],
    seed: int,
) -> None:
    """``project_files.csv``: the documents each project holds, a few missing some."""
    file_rows = []
    for pid, project in sorted(admitted.projects.items()):
        required = audit_rules.model.checklists.get(
            project.project_type, audit_rules.model.checklists["default"]
        )
        missing = set()
        if truths[pid].missing_docs:
            draws = stream(seed, 6, int(pid.replace("-", "")))
            missing = set(draws.choice(required, size=truths[pid].missing_docs, replace=False))
        file_rows += [[pid, doc] for doc in required if doc not in missing]
    write_csv(folder / "project_files.csv", list(FILE_COLUMNS), file_rows)
