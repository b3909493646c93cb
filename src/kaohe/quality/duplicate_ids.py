"""Resident ID numbers that appear more than once: within a household, across households of a
county, across counties of a province, or across provinces.

At 10^8 persons the cost is grouping near-unique 18-character strings. So the first pass groups
only DuckDB's 64-bit ``hash`` of each ID (integers group fast) and keeps the hashes seen twice;
the second pass streams the registry again and keeps just the rows with those hashes — a few —
which are then grouped by the ID itself, so a hash collision can never make a false duplicate.
The scope of each duplicated ID comes from all the households and units it appears in.
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


def scope_of(households: list[str], units: list[str], provinces: dict[str, str]) -> str:
    """The widest scope a duplicated ID spans."""
    if len(set(households)) == 1 and len(set(units)) == 1:
        return "within_household"
    if len(set(units)) == 1:
        return "across_households"
    if len({provinces.get(u, u) for u in units}) == 1:
        return "across_counties"
    return "across_provinces"


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.duplicate_ids
    inputs = ctx.inputs
    if not inputs.has("persons"):
        ctx.note(RULE, text("没有 persons 数据源，跳过", "no persons source; skipped"))
        return []
    con = inputs.con
    ids = (
        f"(SELECT {UNIT_KEY} AS unit, household_id, upper(trim(person_id)) AS id "
        f"FROM {inputs.view('persons')} WHERE person_id IS NOT NULL)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dup_hashes AS "
        f"SELECT hash(id) AS h FROM {ids} GROUP BY 1 HAVING count(*) > 1"
    )
    rows = con.execute(
        f"SELECT id, unit, household_id FROM {ids} "
        "WHERE hash(id) IN (SELECT h FROM dup_hashes) ORDER BY id, unit, household_id"
    ).fetchall()
    seen: dict[str, list[tuple[str, str]]] = {}
    for id_number, unit, household in rows:
        seen.setdefault(id_number, []).append((unit, household))
    duplicated = {i: places for i, places in seen.items() if len(places) > 1}
    provinces = inputs.ancestor_at("province")
    # (unit, scope) → [person records, IDs]
    found: dict[tuple[str, str], list] = {}
    for id_number, places in duplicated.items():
        units = [u for u, _ in places]
        scope = scope_of([h for _, h in places], units, provinces)
        for unit in sorted(set(units)):
            entry = found.setdefault((unit, scope), [0, []])
            entry[0] += units.count(unit)
            entry[1].append(id_number)
    findings = []
    for (unit, scope), (count, id_numbers) in sorted(found.items()):
        zh, en = SCOPES[scope]
        examples = []
        for value in id_numbers[: config.examples]:
            others = sorted({u for u, _ in duplicated[value]} - {unit})
            where = text(f"，另见 {'、'.join(others)}", f", also in {', '.join(others)}")
            examples.append(mask_id(value) + (where if others else ""))
        shown = text("；", "; ").join(examples)
        findings.append(
            Finding(
                unit=unit,
                rule=f"{RULE}_{scope}",
                label=f"{config.label}（{zh}）",
                severity=config.severity[scope],
                count=count,
                evidence=text(
                    f"{len(id_numbers)} 个身份证号码{zh}，涉及 {count} 条人口记录，例如：{shown}",
                    f"{len(id_numbers)} resident ID numbers {en}, {count} person records, "
                    f"e.g. {shown}",
                ),
            )
        )
    return findings
