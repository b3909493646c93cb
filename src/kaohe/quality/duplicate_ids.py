"""Resident ID numbers that appear more than once: within a household, across households of a
county, across counties of a province, or across provinces.

At 10^8 persons the cost is grouping near-unique 18-character strings, so the IDs are grouped
by DuckDB's 64-bit ``hash`` and a group is a duplicate only when min(id) = max(id); the rare hash
collisions (min ≠ max) are re-grouped by the ID itself. The scope of a duplicate comes from the
min/max of household, unit and province in its group, not from count(distinct).
"""

from __future__ import annotations

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext, mask_id
from .findings import Finding

RULE = "duplicate_resident_id"
SCOPES = {
    "within_household": ("同一户内重复", "repeated within one household"),
    "across_households": ("同一县内不同户重复", "in different households of one county"),
    "across_counties": ("同一省内不同县重复", "in different counties of one province"),
    "across_provinces": ("不同省份间重复", "in different provinces"),
}


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.duplicate_ids
    inputs = ctx.inputs
    if not inputs.has("persons"):
        ctx.note(RULE, text("没有 persons 数据源，跳过", "no persons source; skipped"))
        return []
    con = inputs.con
    provinces = ctx.unit_map("province")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW dup_persons AS SELECT p.{UNIT_KEY} AS unit, "
        "p.household_id, upper(trim(p.person_id)) AS id, hash(upper(trim(p.person_id))) AS h, "
        f"coalesce(m.ancestor, p.{UNIT_KEY}) AS province FROM {inputs.view('persons')} p "
        f"LEFT JOIN {provinces} m ON m.unit = p.{UNIT_KEY} WHERE p.person_id IS NOT NULL"
    )
    scope = (
        "CASE WHEN hh_min = hh_max AND u_min = u_max THEN 'within_household' "
        "WHEN u_min = u_max THEN 'across_households' "
        "WHEN p_min = p_max THEN 'across_counties' ELSE 'across_provinces' END"
    )
    stats = (
        "min(household_id) AS hh_min, max(household_id) AS hh_max, min(unit) AS u_min, "
        "max(unit) AS u_max, min(province) AS p_min, max(province) AS p_max"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dup_hashes AS SELECT h, min(id) AS id_min, "
        f"max(id) AS id_max, {stats} FROM dup_persons GROUP BY h HAVING count(*) > 1"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dup_ids AS "
        f"SELECT id_min AS id, {scope} AS scope FROM dup_hashes WHERE id_min = id_max "
        "UNION ALL "
        f"SELECT id, {scope} AS scope FROM (SELECT id, {stats} FROM dup_persons "
        "WHERE h IN (SELECT h FROM dup_hashes WHERE id_min <> id_max) "
        "GROUP BY id HAVING count(*) > 1)"
    )
    places = dict(
        con.execute(
            "SELECT d.id, list(DISTINCT p.unit ORDER BY p.unit) FROM dup_ids d "
            "JOIN dup_persons p ON p.id = d.id GROUP BY d.id"
        ).fetchall()
    )
    rows = con.execute(
        "SELECT p.unit, d.scope, count(*), list(DISTINCT p.id ORDER BY p.id) "
        "FROM dup_persons p JOIN dup_ids d ON p.id = d.id "
        "GROUP BY p.unit, d.scope ORDER BY p.unit, d.scope"
    ).fetchall()
    findings = []
    for unit, scope_name, count, ids in rows:
        zh, en = SCOPES[scope_name]
        examples = []
        for value in ids[: config.examples]:
            others = [u for u in places.get(value, []) if u != unit]
            where = text(f"，另见 {'、'.join(others)}", f", also in {', '.join(others)}")
            examples.append(mask_id(value) + (where if others else ""))
        shown = text("；", "; ").join(examples)
        findings.append(
            Finding(
                unit=unit,
                rule=f"{RULE}_{scope_name}",
                label=f"{config.label}（{zh}）",
                severity=config.severity[scope_name],
                count=int(count),
                evidence=text(
                    f"{len(ids)} 个身份证号码{zh}，涉及 {count} 条人口记录，例如：{shown}",
                    f"{len(ids)} resident ID numbers {en}, {count} person records, e.g. {shown}",
                ),
            )
        )
    return findings
