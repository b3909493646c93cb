"""The funds pipeline over the demo's year, through the same functions as ``kaohe funds``: the
year-end evaluation (``funds/evaluation/``), the audit (``funds/audit/``) and next year's
allocation by the factor method (``funds/allocation/``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..funds.allocation import allocate, load_allocation_rules
from ..funds.audit_checks import (
    FILE_COLUMNS,
    FINDING_COLUMNS,
    AuditInputs,
    AuditRules,
    Finding,
    audit,
    read_files,
)
from ..funds.evaluation import (
    CHECK_SHEETS,
    PROJECT_SCORE_COLUMNS,
    SELF_SHEETS,
    UNIT_SCORE_COLUMNS,
    VALUE_COLUMNS,
    EvaluationRules,
    detail,
    evaluate,
    project_rows,
    read_values,
    unit_rows,
)
from ..funds.fund_rules import LoadedRules
from ..funds.library import Library, LibraryState
from ..funds.outputs import write_csv, write_json
from ..funds.tables import read_table
from ..run.record import staged_directory
from .years import period, year


def run_funds_pipeline(
    directory: Path,
    library: Library,
    evaluation_rules: LoadedRules[EvaluationRules],
    audit_rules: LoadedRules[AuditRules],
) -> tuple[LibraryState, list[dict], list[Finding]]:
    """Evaluate, audit and allocate from the files in ``directory/funds``; return the library's
    state, the project scores and the audit findings."""
    folder = directory / "funds"
    state = library.state()
    own = read_values(
        read_table(folder / "self_evaluation.csv", VALUE_COLUMNS, list(VALUE_COLUMNS), SELF_SHEETS),
        state,
        ("自评表", "self-evaluation"),
    )
    checked = read_values(
        read_table(folder / "spot_checks.csv", VALUE_COLUMNS, list(VALUE_COLUMNS), CHECK_SHEETS),
        state,
        ("抽查表", "spot checks"),
    )
    result = evaluate(state, own, checked, evaluation_rules)
    scores = project_rows(result)
    # generated data, like the rest of the demo: no manifest, whose creation time would make two
    # runs with one seed differ
    with staged_directory(folder / "evaluation") as out:
        write_csv(out / "project_scores.csv", PROJECT_SCORE_COLUMNS, scores)
        write_csv(out / "unit_scores.csv", UNIT_SCORE_COLUMNS, unit_rows(result))
        write_json(out / "evaluation.json", detail(result))

    files = read_files(
        read_table(folder / "project_files.csv", FILE_COLUMNS, list(FILE_COLUMNS)), state
    )
    findings = audit(
        state, AuditInputs(own, checked, files), audit_rules, dt.date(year() + 1, 2, 1)
    )
    with staged_directory(folder / "audit") as out:
        write_csv(out / "rectifications.csv", FINDING_COLUMNS, [f.row() for f in findings])
        write_json(
            out / "rectifications.json",
            {"rules": audit_rules.describe(), "findings": [f.to_json() for f in findings]},
        )

    formula = load_allocation_rules()
    unit_table = read_table(
        folder / "evaluation" / "unit_scores.csv", {"unit": ()}, ["unit", "final_score"]
    )
    allocation = allocate(directory, formula, unit_table, period())
    rows = allocation.rows()
    with staged_directory(folder / "allocation") as out:
        write_csv(out / "allocation.csv", list(rows[0].keys()), rows)
        write_json(
            out / "allocation.json",
            {
                "formula": formula.describe(),
                "total": allocation.total,
                "weights": allocation.weights,
                "units": rows,
            },
        )
    return state, scores, findings
