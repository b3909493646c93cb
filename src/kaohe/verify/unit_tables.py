"""The per-unit verification report: estimates with intervals and verdicts, registry ratios,
reconciliation and eligibility counts — as tables (CSV + JSON) and as a derived source file.

The derived source (``verification_estimates.csv``) has one row per unit and level, so a scheme
reads it as an ordinary source: ``max(wrong_exit_rate) filter (where level = 'province')``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..data.source_files import open_table
from ..i18n import text
from ..run.record import input_entry, staged_directory, staged_file, write_manifest
from .eligibility import UnitEligibility, evaluate_eligibility
from .estimates import UnitEstimate, estimate_units, unavailable_estimates
from .inputs import Inputs, data_period, open_inputs
from .ratios import UnitRatio, unit_ratios
from .reconciliation import DIRECTION_EN, UnitReconciliation, reconcile_units, unavailable_items
from .verdicts import NO_DATA, VERDICT_EN, meets, verdict

ESTIMATE_COLUMNS = [
    "unit", "name", "level", "period", "estimate", "label", "n_checked", "n_domain", "n_events",
    "rate", "se", "design_effect", "n_effective", "wilson_low", "wilson_high", "cp_low", "cp_high",
    "interval", "low", "high", "threshold", "bound", "strict", "threshold_status", "meets",
    "verdict", "verdict_en", "lonely_strata",
]  # fmt: skip


# The tables of ``verify_directory`` in the order they are computed, with their names for a
# progress display (eligibility only when its rules are given).
TABLES = {
    "estimates": ("估计与判定", "estimates and verdicts"),
    "ratios": ("登记比率", "registry ratios"),
    "reconciliation": ("核实对比", "reconciliation"),
    "eligibility": ("资格核验", "eligibility"),
}
# Called with the steps done, the steps in all and the step starting (a key of the caller's
# steps, here ``TABLES``; "" once every step is done), as ``report.ReportProgress``.
StepProgress = Callable[[int, int, str], None]


@dataclass
class Judged:
    """Report rows, ready to write."""

    estimates: list[dict] = field(default_factory=list)
    ratios: list[dict] = field(default_factory=list)
    reconciliation: list[dict] = field(default_factory=list)
    eligibility: list[dict] = field(default_factory=list)
    # What could not be computed and why: {source, columns, outputs, message}.
    notes: list[dict] = field(default_factory=list)


def missing_columns_note(
    inputs: Inputs, source: str, columns: list[str], outputs: list[str], what: tuple[str, str]
) -> dict:
    """A note for outputs skipped because ``source`` lacks optional ``columns``; ``what`` names
    the outputs in Chinese and English."""
    file = inputs.sources[source].file.name if source in inputs.sources else source
    listed = ", ".join(columns)
    message = text(
        f"{file}：没有列 {listed}，{what[0]}未计算（{', '.join(outputs)}）；其余照常计算",
        f"{file}: no column {listed}, so {what[1]} not computed ({', '.join(outputs)}); "
        "the rest is computed as usual",
    )
    return {"source": source, "columns": columns, "outputs": outputs, "message": message}


def column_notes(inputs: Inputs, rules) -> list[dict]:
    """Notes for the estimates and reconciliation items the data cannot support."""

    notes = []
    for name, columns in unavailable_estimates(inputs, rules).items():
        rule = rules.model.estimates[name]
        outputs = [f"{name}_{s}" for s in ("rate", "low", "high", "verdict", "n", "events")]
        what = (f"估计“{rule.label}”", f"the estimate {rule.label_en or rule.label!r} is")
        notes.append(missing_columns_note(inputs, rule.source, columns, outputs, what))
    for name, (source, columns) in unavailable_items(inputs, rules).items():
        rule = rules.model.reconciliation[name]
        what = (
            f"核实对比项“{rule.label}”",
            f"the reconciliation item {rule.label_en or rule.label!r} is",
        )
        notes.append(
            missing_columns_note(inputs, source, columns, [f"reconciliation {name}"], what)
        )
    return notes


def _attributes(inputs: Inputs, unit: str) -> dict[str, Any]:
    return {name: values.get(unit) for name, values in inputs.units.attributes.items()}


def _threshold_text(threshold) -> str:
    if threshold is None:
        return ""
    sign = (
        ("<" if threshold.strict else "≤")
        if threshold.direction == "max"
        else (">" if threshold.strict else "≥")
    )
    bound = threshold.max if threshold.direction == "max" else threshold.min
    return f"{sign} {bound * 100:g}%"


def judge_estimates(
    inputs: Inputs, rules, estimates: list[UnitEstimate], period: str | None
) -> list[dict]:
    """Long rows: each estimate with its interval (the rules' method) and verdict."""
    model = rules.model
    method = model.interval
    rows = []
    for e in estimates:
        rule = model.estimates[e.estimate]
        low, high = e.interval(method)
        threshold = rule.threshold
        row = {
            "unit": e.unit,
            "name": inputs.units.name.get(e.unit, ""),
            "level": e.level,
            "period": period,
            "estimate": e.estimate,
            "label": rule.label,
            **{k: v for k, v in asdict(e).items() if k not in {"unit", "level", "estimate"}},
            "interval": method,
            "low": low,
            "high": high,
            "threshold": _threshold_text(threshold),
            "bound": None,
            "strict": None,
            "threshold_status": None,
            "meets": None,
            "verdict": NO_DATA if e.rate is None else "",
        }
        if threshold is not None:
            bound = threshold.bound_for(_attributes(inputs, e.unit))
            row.update(
                bound=bound,
                strict=threshold.strict,
                threshold_status=threshold.status,
                meets=meets(e.rate, bound, threshold.direction, threshold.strict),
                verdict=verdict(low, high, bound, threshold.direction, threshold.strict),
            )
        row["verdict_en"] = VERDICT_EN.get(row["verdict"], "")
        rows.append(row)
    return rows


def judge_ratios(inputs: Inputs, rules, ratios: list[UnitRatio], period: str | None) -> list[dict]:
    rows = []
    for r in ratios:
        rule = rules.model.ratios[r.ratio]
        threshold = rule.threshold
        row = {
            "unit": r.unit,
            "name": inputs.units.name.get(r.unit, ""),
            "level": r.level,
            "period": period,
            "ratio": r.ratio,
            "label": rule.label,
            "numerator": r.numerator,
            "denominator": r.denominator,
            "value": r.value,
            "threshold": _threshold_text(threshold),
            "bound": None,
            "verdict": NO_DATA if r.value is None else "",
        }
        if threshold is not None:
            bound = threshold.bound_for(_attributes(inputs, r.unit))
            # A census figure: its "interval" is the value itself.
            row.update(
                bound=bound,
                verdict=verdict(r.value, r.value, bound, threshold.direction, threshold.strict),
            )
        row["verdict_en"] = VERDICT_EN.get(row["verdict"], "")
        rows.append(row)
    return rows


def reconciliation_rows(
    inputs: Inputs, rules, items: list[UnitReconciliation], period: str | None
) -> list[dict]:
    rows = []
    for r in items:
        row = {"unit": r.unit, "name": inputs.units.name.get(r.unit, ""), "level": r.level}
        row.update(period=period, label=rules.model.reconciliation[r.item].label)
        row.update({k: v for k, v in asdict(r).items() if k not in {"unit", "level"}})
        row["direction_en"] = DIRECTION_EN[r.direction]
        rows.append(row)
    return rows


def eligibility_rows(
    inputs: Inputs, rules, items: list[UnitEligibility], period: str | None
) -> list[dict]:
    rows = []
    for r in items:
        rule = rules.model.rules[r.rule]
        row = {"unit": r.unit, "name": inputs.units.name.get(r.unit, ""), "level": r.level}
        row.update(period=period, label=rule.label, severity=rule.severity)
        row.update({k: v for k, v in asdict(r).items() if k not in {"unit", "level"}})
        rows.append(row)
    return rows


def source_rows(judged: Judged, rules) -> tuple[list[str], list[dict]]:
    """The derived source: one row per (unit, level), wide — the file a scheme reads."""
    estimates = list(rules.model.estimates)
    ratios = list(rules.model.ratios)
    columns = ["unit", "name", "level", "period", "n_checked"]
    for name in estimates:
        columns += [f"{name}_{s}" for s in ("rate", "low", "high", "verdict", "n", "events")]
    for name in ratios:
        columns += [f"{name}_rate", f"{name}_verdict"]
    table: dict[tuple[str, str], dict] = {}
    for row in judged.estimates:
        entry = table.setdefault(
            (row["level"], row["unit"]),
            {c: None for c in columns}
            | {k: row[k] for k in ("unit", "name", "level", "period", "n_checked")},
        )
        name = row["estimate"]
        entry.update(
            {
                f"{name}_rate": row["rate"],
                f"{name}_low": row["low"],
                f"{name}_high": row["high"],
                f"{name}_verdict": row["verdict"],
                f"{name}_n": row["n_domain"],
                f"{name}_events": row["n_events"],
            }
        )
    for row in judged.ratios:
        key = (row["level"], row["unit"])
        if key not in table:
            continue  # a unit without field checks is not a row of the verification source
        table[key][f"{row['ratio']}_rate"] = row["value"]
        table[key][f"{row['ratio']}_verdict"] = row["verdict"]
    ordered = sorted(table.values(), key=lambda r: (r["unit"], r["level"]))
    return columns, ordered


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def write_csv(path: Path, rows: Iterable[dict], columns: list[str] | None = None) -> None:
    rows = list(rows)
    columns = columns or (list(rows[0]) if rows else [])
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


def write_json(path: Path, payload: Any) -> None:
    def clean(node):
        if isinstance(node, dict):
            return {str(k): clean(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [clean(v) for v in node]
        return _plain(node)

    Path(path).write_text(
        json.dumps(clean(payload), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def write_source_file(path: Path, judged: Judged, rules) -> None:
    """Write the derived source CSV atomically (a half-written source must never be read)."""
    columns, rows = source_rows(judged, rules)
    with staged_file(path) as staging:
        write_csv(staging, rows, columns)


def inputs_manifest(inputs: Inputs) -> dict[str, Any]:
    return {
        "units": input_entry(inputs.units.file, inputs.units.sha256),
        **{s.name: input_entry(s.file, s.sha256, rows=s.rows) for s in inputs.sources.values()},
    }


def write_report_dir(
    out: Path,
    tables: dict[str, tuple[list[dict], list[str] | None]],
    manifest: dict[str, Any],
    extra: dict[str, Path] | None = None,
) -> None:
    """Write each table as ``<name>.csv`` and ``<name>.json`` plus ``manifest.json``, atomically:
    the directory is built beside ``out`` and swapped in whole, never left half-written."""
    with staged_directory(out) as staging:
        for name, (rows, columns) in tables.items():
            write_csv(staging / f"{name}.csv", rows, columns)
            write_json(staging / f"{name}.json", rows)
        for name, source in (extra or {}).items():
            shutil.copyfile(source, staging / name)
        write_manifest(
            staging, dt.datetime.now(dt.UTC), duckdb_version=duckdb.__version__, **manifest
        )


def threshold_attributes(rules) -> list[str]:
    """Unit attributes (units.csv columns) that thresholds depend on."""
    found = []
    model = rules.model
    for rule in [*model.estimates.values(), *model.ratios.values()]:
        t = rule.threshold
        if t is not None and t.by_attribute is not None and t.by_attribute.column not in found:
            found.append(t.by_attribute.column)
    return found


def open_for_rules(
    data: Path,
    period: str | None,
    rules,
    required=("field_checks",),
    memory_limit: str | None = None,
) -> Inputs:
    """Open ``data`` with the unit attributes the thresholds read (those units.csv has);
    ``memory_limit`` bounds DuckDB's memory for every check on it (``open_inputs``)."""

    wanted = threshold_attributes(rules)
    present: list[str] = []
    units_file = open_table(Path(data), "units") if Path(data).is_dir() else None
    if units_file is not None and wanted:
        with duckdb.connect() as con:
            present = [c for c in wanted if c in units_file.columns(con)]
    return open_inputs(
        Path(data),
        period,
        required=tuple(required),
        attributes={c: "text" for c in present},
        memory_limit=memory_limit,
    )


def verify_directory(
    inputs: Inputs,
    rules,
    levels: list[str] | None = None,
    eligibility_rules=None,
    flagged_out: Path | None = None,
    progress: StepProgress | None = None,
) -> Judged:
    """Estimates, verdicts, ratios, reconciliation (and eligibility when rules are given);
    ``progress`` is told each table (``TABLES``) as it starts. Each table is a few queries over
    every unit at once, so the tables are what can be counted."""

    with_eligibility = eligibility_rules is not None and inputs.has(eligibility_rules.model.source)
    count = len(TABLES) if with_eligibility else len(TABLES) - 1
    report = progress or _unobserved
    period = data_period(inputs, "field_checks")
    report(0, count, "estimates")
    estimates = estimate_units(inputs, rules, levels)
    used_levels = levels or sorted(
        {e.level for e in estimates}, key=[e.level for e in estimates].index
    )
    judged = Judged(notes=column_notes(inputs, rules))
    judged.estimates = judge_estimates(inputs, rules, estimates, period)
    report(1, count, "ratios")
    judged.ratios = judge_ratios(inputs, rules, unit_ratios(inputs, rules, used_levels), period)
    report(2, count, "reconciliation")
    judged.reconciliation = reconciliation_rows(
        inputs, rules, reconcile_units(inputs, rules, used_levels), period
    )
    if with_eligibility:
        report(3, count, "eligibility")
        judged.eligibility = eligibility_rows(
            inputs,
            eligibility_rules,
            evaluate_eligibility(inputs, eligibility_rules, used_levels, flagged_out),
            period,
        )
    report(count, count, "")
    return judged


def _unobserved(done: int, total: int, step: str) -> None:
    pass
