"""The risk-elimination procedure (风险消除程序): every recorded elimination checked step by step.

The rules list the steps in order (``elimination_procedure``: household visit → village review
and public notice → township review → county approval). The input ``elimination_steps`` records
each step a household went through, with its date and evidence. For every household whose
elimination is recorded by the as-of date, each step of the rules is a finding when it is:

- missing (no record dated on or before the as-of date);
- out of order: dated before a step the rules put earlier, or after the elimination was recorded;
- without evidence (an empty reference);
- a public notice without an end date, or shorter than ``min_notice_days`` (counted inclusively:
  a notice from 1 to 5 June lasts 5 days).

The checks are one SQL fragment over the ``src_*`` views (nothing is loaded into Python), giving
per household the number of findings and their descriptions in Chinese and English.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ..errors import DataError
from ..i18n import text
from .monitoring_rules import NOTICE_PARAMETER, MonitoringRules

STEPS_INPUT = "elimination_steps"
PROCEDURE_TABLE = "kaohe_procedure"
# the columns ``procedure_sql`` adds to each household (the empty procedure gives NULLs)
COLUMNS = (
    "elimination_step_findings",
    "elimination_irregular",
    "elimination_step_problems",
    "elimination_step_problems_en",
)


def register_procedure(con: duckdb.DuckDBPyConnection, rules: MonitoringRules) -> None:
    """The rules' steps as the table ``kaohe_procedure(pos, step, label, label_en, notice)``."""
    steps = rules.model.elimination_procedure
    table = pa.table(
        {
            "pos": pa.array(range(1, len(steps) + 1), pa.int64()),
            "step": pa.array([s.id for s in steps], pa.string()),
            "label": pa.array([s.label for s in steps], pa.string()),
            "label_en": pa.array([s.label_en or s.label for s in steps], pa.string()),
            "notice": pa.array([s.public_notice for s in steps], pa.bool_()),
        }
    )
    con.register("kaohe_procedure_arrow", table)
    con.execute(f"CREATE TEMP TABLE {PROCEDURE_TABLE} AS SELECT * FROM kaohe_procedure_arrow")


def empty_steps(con: duckdb.DuckDBPyConnection) -> None:
    """A ``src_elimination_steps`` without rows, for a data directory without the input."""
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW src_{STEPS_INPUT} AS SELECT NULL::VARCHAR AS __unit, "
        "NULL::VARCHAR AS household_id, NULL::VARCHAR AS step, NULL::DATE AS step_date, "
        "NULL::VARCHAR AS evidence, NULL::DATE AS notice_end WHERE false"
    )


def check_steps(con: duckdb.DuckDBPyConnection, where, numbered: str, rules: MonitoringRules):
    """Every record names a step of the rules (by id or label); else a ``DataError`` naming the
    rows (``where(row)``) and the steps allowed."""
    unknown = con.execute(
        f"SELECT __row, trim(CAST(step AS VARCHAR)) FROM {numbered} "
        f"WHERE trim(CAST(step AS VARCHAR)) NOT IN (SELECT step FROM {PROCEDURE_TABLE} UNION "
        f"SELECT label FROM {PROCEDURE_TABLE} UNION SELECT label_en FROM {PROCEDURE_TABLE}) "
        "OR step IS NULL ORDER BY __row LIMIT 3"
    ).fetchall()
    if not unknown:
        return
    steps = rules.model.elimination_procedure
    allowed = "、".join(f"{s.id}（{s.label}）" for s in steps)
    allowed_en = ", ".join(f"{s.id} ({s.label_en or s.label})" for s in steps)
    lines = [
        text(
            f"{where(row)}，列 step：“{value or ''}”不是风险消除程序的步骤",
            f"{where(row)}, column step: {value or ''!r} is not a step of the elimination "
            "procedure",
        )
        for row, value in unknown
    ]
    raise DataError(
        "\n".join(
            [
                *lines,
                text(
                    f"可用的步骤（{rules.file}）：{allowed}",
                    f"the steps ({rules.file}): {allowed_en}",
                ),
            ]
        )
    )


def _quoted(label: str) -> str:
    return f"'“' || {label} || '”'"


def procedure_sql(rules: MonitoringRules, day: str) -> str:
    """CTEs (to follow ``households`` and ``records`` in the results' WITH) ending in
    ``procedure_findings(household_id, elimination_step_findings, …)``: one row per household whose
    elimination is recorded. ``day`` is the as-of date as a SQL literal."""
    notice_min = (
        f"h.{NOTICE_PARAMETER}"
        if any(s.public_notice for s in rules.model.elimination_procedure)
        else "NULL"
    )
    zh, en = _quoted("c.label"), "c.label_en"
    earlier_zh, earlier_en = _quoted("c.earlier_label"), "c.earlier_label_en"
    fmt = "strftime({}, '%Y-%m-%d')"
    step_day, earlier_day = fmt.format("c.step_date"), fmt.format("c.earlier_date")
    eliminated_day = fmt.format("c.eliminated_date")
    notice_days = "date_diff('day', c.step_date, c.notice_end) + 1"
    return f"""
    step_rows AS (  -- the latest record of each step, known by the as-of date
        SELECT s.household_id, p.pos, s.step_date,
               nullif(trim(CAST(s.evidence AS VARCHAR)), '') AS evidence, s.notice_end
        FROM src_{STEPS_INPUT} s
        JOIN {PROCEDURE_TABLE} p ON trim(CAST(s.step AS VARCHAR)) IN (p.step, p.label, p.label_en)
        WHERE s.step_date <= {day}
        QUALIFY row_number() OVER (
            PARTITION BY s.household_id, p.pos ORDER BY s.step_date DESC, s.evidence) = 1
    ),
    step_checks AS (
        SELECT r.household_id, r.eliminated_date, p.pos, p.label, p.label_en, p.notice,
               s.step_date, s.evidence, s.notice_end, {notice_min} AS notice_min,
               max(s.step_date) OVER earlier AS earlier_date,
               arg_max(p.label, s.step_date) OVER earlier AS earlier_label,
               arg_max(p.label_en, s.step_date) OVER earlier AS earlier_label_en
        FROM records r
        JOIN households h USING (household_id)
        CROSS JOIN {PROCEDURE_TABLE} p
        LEFT JOIN step_rows s ON s.household_id = r.household_id AND s.pos = p.pos
        WHERE r.eliminated_date IS NOT NULL
        WINDOW earlier AS (PARTITION BY r.household_id ORDER BY p.pos
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    step_problems AS (
        SELECT household_id, pos,
               list_filter([
                   CASE WHEN c.step_date IS NULL THEN '缺少' || {zh} END,
                   CASE WHEN c.step_date < c.earlier_date THEN {zh} || '（' || {step_day}
                        || '）早于' || {earlier_zh} || '（' || {earlier_day} || '）' END,
                   CASE WHEN c.step_date > c.eliminated_date THEN {zh} || '（' || {step_day}
                        || '）晚于风险消除标注日期（' || {eliminated_day} || '）' END,
                   CASE WHEN c.step_date IS NOT NULL AND c.evidence IS NULL
                        THEN {zh} || '无佐证材料' END,
                   CASE WHEN c.notice AND c.step_date IS NOT NULL AND c.notice_end IS NULL
                        THEN {zh} || '未记录公示结束日期' END,
                   CASE WHEN c.notice AND {notice_days} < c.notice_min
                        THEN {zh} || '公示 ' || ({notice_days}) || ' 天，少于规定的 '
                             || CAST(c.notice_min AS INTEGER) || ' 天' END
               ], lambda x: x IS NOT NULL) AS zh,
               list_filter([
                   CASE WHEN c.step_date IS NULL THEN 'no ' || {en} END,
                   CASE WHEN c.step_date < c.earlier_date THEN {en} || ' (' || {step_day}
                        || ') before ' || {earlier_en} || ' (' || {earlier_day} || ')' END,
                   CASE WHEN c.step_date > c.eliminated_date THEN {en} || ' (' || {step_day}
                        || ') after the elimination was recorded (' || {eliminated_day} || ')'
                        END,
                   CASE WHEN c.step_date IS NOT NULL AND c.evidence IS NULL
                        THEN {en} || ' without evidence' END,
                   CASE WHEN c.notice AND c.step_date IS NOT NULL AND c.notice_end IS NULL
                        THEN {en} || ': the end of the notice is not recorded' END,
                   CASE WHEN c.notice AND {notice_days} < c.notice_min
                        THEN {en} || ': notice of ' || ({notice_days}) || ' days, less than '
                             || CAST(c.notice_min AS INTEGER) || ' days' END
               ], lambda x: x IS NOT NULL) AS en
        FROM step_checks c
    ),
    procedure_findings AS (
        SELECT household_id,
               CAST(sum(len(zh)) AS INTEGER) AS elimination_step_findings,
               sum(len(zh)) > 0 AS elimination_irregular,
               nullif(string_agg(nullif(array_to_string(zh, '；'), ''), '；' ORDER BY pos), '')
                   AS elimination_step_problems,
               nullif(string_agg(nullif(array_to_string(en, '; '), ''), '; ' ORDER BY pos), '')
                   AS elimination_step_problems_en
        FROM step_problems GROUP BY household_id
    )"""


def result_columns(checked: bool) -> str:
    """The output columns (a SELECT list over ``judged``): NULL when the input was not given."""
    if not checked:
        return ", ".join(
            f"NULL::{kind} AS {name}"
            for name, kind in zip(
                COLUMNS, ("INTEGER", "BOOLEAN", "VARCHAR", "VARCHAR"), strict=True
            )
        )
    return (
        "CASE WHEN elimination_recorded THEN coalesce(elimination_step_findings, 0) ELSE 0 END "
        "AS elimination_step_findings, "
        "coalesce(elimination_irregular, false) AS elimination_irregular, "
        "elimination_step_problems, elimination_step_problems_en"
    )
