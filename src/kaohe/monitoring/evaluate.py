"""Evaluate the monitoring rules over every household, in DuckDB, into ``monitoring_results``.

One SQL statement reads the five inputs (monitoring/inputs.py), computes each household's facts
as of a date (latest income, months above the line, risk events in the window, records,
assistance), applies the rules' conditions (monitoring/monitoring_rules.py) and streams one row per
household to Parquet. Nothing is loaded into Python, so the inputs may be as large as the
registry; the file is written beside its destination and renamed into place.

The output is an ordinary source for schemes: coverage, days from risk event to identification,
the share with assistance measures, elimination and return-to-poverty rates are plain measures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ..data.source_files import find_source_file, open_table
from ..data.sources import register_source
from ..data.units import Units, load_units
from ..errors import DataError, UsageError
from ..expr import quote
from ..i18n import text
from ..run.record import staged_file
from .elimination_steps import (
    STEPS_INPUT,
    check_steps,
    empty_steps,
    procedure_sql,
    register_procedure,
    result_columns,
)
from .inputs import INPUTS, OPTIONAL_INPUTS, OUTPUT
from .monitoring_rules import MonitoringRules


@dataclass(frozen=True)
class ProvinceSummary:
    """What the run found in one province (for the command line and the docs)."""

    province: str
    name: str
    households: int
    at_risk: int
    identified_at_risk: int
    mean_days_to_identification: float | None
    with_assistance: int
    identified: int
    eliminated: int
    wrongly_eliminated: int
    returned: int
    left_poverty: int
    # eliminations whose procedure has a finding (None: elimination_steps was not given)
    irregular_eliminations: int | None = None


@dataclass(frozen=True)
class MonitoringRun:
    output: Path
    as_of: dt.date
    period: str
    rows: int
    provinces: list[ProvinceSummary]
    # the first irregular eliminations: (unit, household, problems in Chinese, in English)
    irregular: tuple[tuple[str, str, str, str], ...] = ()


def province_of(units: Units) -> dict[str, str]:
    """Each unit's province (the nearest ancestor at level ``province``; itself if it is one)."""
    result = {}
    for code in units.codes:
        current: str | None = code
        while current is not None and units.level[current] != "province":
            current = units.parent[current]
        if current is not None:
            result[code] = current
    return result


def _literal(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _condition(sql: str) -> str:
    # a condition that cannot be decided (a missing fact) does not hold
    return f"coalesce(({sql}), false)"


def _text_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def results_sql(
    rules: MonitoringRules, as_of: dt.date, period: str, steps_checked: bool = False
) -> str:
    """The SELECT producing one row per household (expects the src_* views and the tables
    ``kaohe_unit_province(unit, province)``, ``kaohe_thresholds(province, …)`` and
    ``kaohe_procedure``); ``steps_checked``: the input elimination_steps was given."""
    day = _literal(as_of)
    window = int(
        rules.model.parameters["event_window_months"].value
    )  # how far back an event counts
    params = ", ".join(f"t.{quote(name)}" for name in (*rules.model.parameters, "monitoring_line"))
    facts = f"""
    households AS (
        SELECT h.__unit AS unit, h.household_id, p.province, h.size, h.registry_status,
               coalesce(h.labour_capacity, false) AS labour_capacity,
               h.food_clothing_ok, h.education_ok, h.medical_ok, h.housing_ok, h.water_ok,
               coalesce(h.food_clothing_ok AND h.education_ok AND h.medical_ok
                        AND h.housing_ok AND h.water_ok, false) AS guarantees_ok,
               {params}
        FROM src_monitoring_households h
        JOIN kaohe_unit_province p ON p.unit = h.__unit
        JOIN kaohe_thresholds t ON t.province = p.province
    ),
    checks AS (
        SELECT c.household_id, c.check_date, c.income_per_capita, h.monitoring_line
        FROM src_income_checks c JOIN households h USING (household_id)
        WHERE c.check_date <= {day} AND c.income_per_capita IS NOT NULL
    ),
    income AS (
        SELECT household_id,
               arg_max(income_per_capita, check_date) AS income_per_capita,
               max(check_date) FILTER (WHERE income_per_capita < monitoring_line) AS last_below,
               max(check_date) AS last_check
        FROM checks GROUP BY household_id
    ),
    stable AS (  -- the first check after the last one below the line
        SELECT c.household_id, min(c.check_date) AS stable_since
        FROM checks c JOIN income i USING (household_id)
        WHERE i.last_below IS NULL OR c.check_date > i.last_below
        GROUP BY c.household_id
    ),
    events AS (
        SELECT household_id, count(*) AS events,
               coalesce(sum(expense), 0) AS event_expense,
               coalesce(sum(income_loss), 0) AS income_loss,
               coalesce(sum(expense) FILTER (
                   WHERE resolved_date IS NULL OR resolved_date > {day}), 0) AS unresolved_expense,
               min(event_date) AS first_event_date,
               string_agg(DISTINCT kind, '、' ORDER BY kind) AS event_kinds
        FROM src_risk_events
        WHERE event_date <= {day} AND event_date > {day} - INTERVAL {window} MONTH
        GROUP BY household_id
    ),
    records AS (
        SELECT household_id, min(identified_date) AS identified_date,
               arg_min(recorded_group, identified_date) AS recorded_group,
               max(eliminated_date) FILTER (WHERE eliminated_date <= {day}) AS eliminated_date
        FROM src_monitoring_records WHERE identified_date <= {day}
        GROUP BY household_id
    ),
    help AS (
        SELECT household_id, count(DISTINCT measure) AS assistance_measures,
               string_agg(DISTINCT measure, '、' ORDER BY measure) AS assistance
        FROM src_assistance_measures WHERE start_date <= {day}
        GROUP BY household_id
    ),
    {procedure_sql(rules, day)},
    facts AS (
        SELECT h.*, i.income_per_capita, i.income_per_capita * h.size AS household_income,
               CASE WHEN i.last_check IS NULL THEN NULL
                    WHEN i.last_below = i.last_check THEN 0
                    ELSE date_diff('month', s.stable_since, {day}) END AS months_above_line,
               coalesce(e.events, 0) AS events,
               coalesce(e.event_expense, 0) AS event_expense,
               coalesce(e.income_loss, 0) AS income_loss,
               coalesce(e.unresolved_expense, 0) AS unresolved_expense,
               e.first_event_date, e.event_kinds,
               r.identified_date IS NOT NULL AS identified, r.identified_date, r.recorded_group,
               r.eliminated_date IS NOT NULL AS elimination_recorded, r.eliminated_date,
               coalesce(a.assistance_measures, 0) AS assistance_measures, a.assistance,
               pr.elimination_step_findings, pr.elimination_irregular,
               pr.elimination_step_problems, pr.elimination_step_problems_en
        FROM households h
        LEFT JOIN income i USING (household_id)
        LEFT JOIN stable s USING (household_id)
        LEFT JOIN events e USING (household_id)
        LEFT JOIN records r USING (household_id)
        LEFT JOIN help a USING (household_id)
        LEFT JOIN procedure_findings pr USING (household_id)
    )"""
    model = rules.model
    group_label = (
        "CASE "
        + " ".join(
            f"WHEN {_condition(e.sql())} THEN {_text_literal(g.label)}"
            for g, e in zip(model.groups, rules.groups, strict=True)
        )
        + " END"
    )
    group_id = (
        "CASE "
        + " ".join(
            f"WHEN {_condition(e.sql())} THEN {_text_literal(g.id)}"
            for g, e in zip(model.groups, rules.groups, strict=True)
        )
        + " END"
    )
    holds = [f"{_condition(e.sql())}" for e in rules.elimination]
    risk_eliminated = " AND ".join(holds) if holds else "true"
    blockers = ", ".join(
        f"CASE WHEN NOT {h} THEN {_text_literal(c.label)} END"
        for c, h in zip(model.elimination, holds, strict=True)
    )
    returned = _condition(rules.returned.sql())
    return f"""
    WITH {facts},
    judged AS (
        SELECT *, {group_label} AS group_label, {group_id} AS group_id,
               {risk_eliminated} AS risk_eliminated,
               concat_ws('、', {blockers or "NULL"}) AS blockers,
               {returned} AS returned_to_poverty
        FROM facts
    )
    SELECT unit, household_id, province, registry_status,
           group_label AS "group", group_id, group_label IS NOT NULL AS at_risk,
           identified, identified_date, recorded_group,
           identified AND recorded_group IS NOT DISTINCT FROM group_label AS group_matches,
           first_event_date, event_kinds,
           CASE WHEN identified AND first_event_date <= identified_date
                THEN date_diff('day', first_event_date, identified_date) END
               AS days_to_identification,
           assistance_measures, assistance, assistance_measures > 0 AS has_assistance,
           elimination_recorded, eliminated_date, risk_eliminated,
           elimination_recorded AND risk_eliminated AS eliminated,
           elimination_recorded AND NOT risk_eliminated AS wrongly_eliminated,
           identified AND risk_eliminated AND NOT elimination_recorded AS elimination_due,
           {result_columns(steps_checked)},
           CASE WHEN identified AND NOT risk_eliminated THEN nullif(blockers, '') END
               AS elimination_blockers,
           returned_to_poverty,
           income_per_capita, monitoring_line, national_line, months_above_line,
           labour_capacity, guarantees_ok, event_expense, income_loss, unresolved_expense,
           {_literal(as_of)} AS as_of, {_text_literal(period)} AS period
    FROM judged
    ORDER BY unit, household_id
    """


def _numbered(con: duckdb.DuckDBPyConnection, data: Path, name: str):
    """The file of input ``name`` (how to name its rows) read in file order with ``__row``."""
    opened = open_table(data, name)
    assert opened is not None  # register_source has checked it exists
    return opened.where, opened.numbered()


def _check_households(con: duckdb.DuckDBPyConnection, data: Path, steps: bool = False) -> None:
    """Household ids are unique, and every other input names a known household."""
    where, households = _numbered(con, data, "monitoring_households")
    duplicates = con.execute(
        "SELECT household_id, list(__row ORDER BY __row)[1:2] FROM ("
        f"  SELECT __row, trim(CAST(household_id AS VARCHAR)) AS household_id FROM {households}) "
        "GROUP BY household_id HAVING count(*) > 1 ORDER BY 2 LIMIT 5"
    ).fetchall()
    if duplicates:
        lines = [
            text(
                f"{where(rows[1])}：户编号 {hid} 重复（首次出现在 {where(rows[0])}）",
                f"{where(rows[1])}: household {hid} appears again (first at {where(rows[0])})",
            )
            for hid, rows in duplicates
        ]
        raise DataError(
            "\n".join([*lines, text("每户只能有一行。", "Keep one row per household.")])
        )
    others = ["risk_events", "income_checks", "monitoring_records", "assistance_measures"]
    for name in [*others, *([STEPS_INPUT] if steps else [])]:
        where, numbered = _numbered(con, data, name)
        unknown = con.execute(
            f"SELECT __row, trim(CAST(household_id AS VARCHAR)) FROM {numbered} "
            f"WHERE trim(CAST(household_id AS VARCHAR)) NOT IN "
            f"(SELECT household_id FROM src_monitoring_households) ORDER BY __row LIMIT 3"
        ).fetchall()
        if unknown:
            lines = [
                text(
                    f"{where(row)}：户编号 {hid} 不在 monitoring_households 中",
                    f"{where(row)}: household {hid} is not in monitoring_households",
                )
                for row, hid in unknown
            ]
            raise DataError(
                "\n".join(
                    [
                        *lines,
                        text(
                            "请在 monitoring_households 中补充这些住户，或更正户编号。",
                            "Add these households to monitoring_households or correct the ids.",
                        ),
                    ]
                )
            )


def evaluate_monitoring(
    data: Path,
    rules: MonitoringRules,
    as_of: dt.date,
    out: Path | None = None,
    period: str | None = None,
) -> MonitoringRun:
    """Judge every household of ``data`` as of ``as_of``; write ``out`` (default
    ``DATA/monitoring_results.parquet``) and summarize by province."""
    data = Path(data)
    if not data.is_dir():
        raise UsageError(
            text(f"数据目录 {data} 不存在", f"the data directory {data} does not exist")
        )
    period = period or str(as_of.year)
    out = Path(out) if out is not None else data / f"{OUTPUT}.parquet"
    units = load_units(data, {})
    provinces = province_of(units)
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.register("kaohe_unit_codes", pa.table({"unit": units.codes}))
        con.execute("CREATE TEMP TABLE kaohe_units AS SELECT * FROM kaohe_unit_codes")
        for name, declaration in INPUTS.items():
            register_source(con, name, declaration, data, None)
        register_procedure(con, rules)
        steps_checked = find_source_file(data, STEPS_INPUT) is not None
        if steps_checked:
            register_source(con, STEPS_INPUT, OPTIONAL_INPUTS[STEPS_INPUT], data, None)
            where, numbered = _numbered(con, data, STEPS_INPUT)
            check_steps(con, where, numbered, rules)
        else:
            empty_steps(con)
        _check_households(con, data, steps_checked)
        pairs = sorted(provinces.items())
        con.register(
            "kaohe_unit_province_arrow",
            pa.table({"unit": [u for u, _ in pairs], "province": [p for _, p in pairs]}),
        )
        con.execute(
            "CREATE TEMP TABLE kaohe_unit_province AS SELECT * FROM kaohe_unit_province_arrow"
        )
        missing = con.execute(
            "SELECT DISTINCT __unit FROM src_monitoring_households "
            "WHERE __unit NOT IN (SELECT unit FROM kaohe_unit_province) ORDER BY 1 LIMIT 3"
        ).fetchall()
        if missing:
            raise DataError(
                text(
                    f"{units.file}：考核对象 {', '.join(m[0] for m in missing)} 不属于任何省级单位"
                    "（level=province），无法确定监测线",
                    f"{units.file}: units {', '.join(m[0] for m in missing)} belong to no "
                    "province (level=province), so their monitoring line is unknown",
                )
            )
        thresholds = rules.thresholds(as_of.year, sorted(set(provinces.values())))
        names = [*rules.model.parameters, "monitoring_line"]
        table = {"province": list(thresholds)}
        for name in names:
            table[name] = [thresholds[p][name] for p in thresholds]
        con.register("kaohe_thresholds_arrow", pa.table(table))
        con.execute("CREATE TEMP TABLE kaohe_thresholds AS SELECT * FROM kaohe_thresholds_arrow")
        with staged_file(out) as staging:  # the run record's atomic write: never half a file
            target = str(staging).replace("'", "''")
            con.execute(
                f"COPY ({results_sql(rules, as_of, period, steps_checked)}) TO '{target}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        summary = _summary(con, out, units)
        irregular = _irregular(con, out)
    return MonitoringRun(out, as_of, period, sum(s.households for s in summary), summary, irregular)


def _summary(con: duckdb.DuckDBPyConnection, out: Path, units: Units) -> list[ProvinceSummary]:
    literal = str(out).replace("'", "''")
    rows = con.execute(
        f"""
        SELECT province, count(*),
               count(*) FILTER (WHERE at_risk),
               count(*) FILTER (WHERE at_risk AND identified),
               avg(days_to_identification),
               count(*) FILTER (WHERE identified AND has_assistance),
               count(*) FILTER (WHERE identified),
               count(*) FILTER (WHERE eliminated),
               count(*) FILTER (WHERE wrongly_eliminated),
               count(*) FILTER (WHERE returned_to_poverty),
               count(*) FILTER (WHERE registry_status = '已脱贫户'),
               CASE WHEN count(elimination_irregular) > 0
                    THEN count(*) FILTER (WHERE elimination_irregular) END
        FROM read_parquet('{literal}') GROUP BY province ORDER BY province
        """
    ).fetchall()
    return [
        ProvinceSummary(
            province=row[0],
            name=units.name.get(row[0], row[0]),
            households=row[1],
            at_risk=row[2],
            identified_at_risk=row[3],
            mean_days_to_identification=None if row[4] is None else round(float(row[4]), 1),
            with_assistance=row[5],
            identified=row[6],
            eliminated=row[7],
            wrongly_eliminated=row[8],
            returned=row[9],
            left_poverty=row[10],
            irregular_eliminations=row[11],
        )
        for row in rows
    ]


def _irregular(con: duckdb.DuckDBPyConnection, out: Path, limit: int = 10):
    """The first ``limit`` eliminations whose procedure has a finding, by unit and household."""
    literal = str(out).replace("'", "''")
    rows = con.execute(
        f"SELECT unit, household_id, elimination_step_problems, elimination_step_problems_en "
        f"FROM read_parquet('{literal}') WHERE elimination_irregular "
        f"ORDER BY unit, household_id LIMIT {int(limit)}"
    ).fetchall()
    return tuple(tuple(row) for row in rows)
