"""Inconsistencies between sources: the registry against the monitoring survey and the field checks.

Two kinds of check, both rules-file data: ``unit_compare`` sets a per-unit aggregate of one
source against one of another (equal within a tolerance, or at most); ``key_match`` joins the rows
of one source to another on household_id and reports the rows where a condition holds (a checked
household the registry does not know, an exit status that differs …).
"""

from __future__ import annotations

from ..data.sources import UNIT_KEY
from ..expr import quote
from ..i18n import text
from ..verify.verification_rules import source_scope
from .context import QualityContext
from .findings import Finding

RULE = "cross_source"


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.cross_source
    inputs = ctx.inputs
    findings: list[Finding] = []
    for name, check in config.unit_compare.items():
        sources = (check.left["source"], check.right["source"])
        if not all(inputs.has(s) for s in sources):
            ctx.note(f"{RULE}_{name}", text("缺少数据源，跳过", "a source is missing; skipped"))
            continue
        sides = []
        for side in ("left", "right"):
            spec = getattr(check, side)
            expr = ctx.rules.expressions[("cross_source", "unit_compare", name, side, "expr")].sql()
            sides.append(
                dict(
                    inputs.con.execute(
                        f"SELECT {UNIT_KEY}, {expr} FROM {inputs.view(spec['source'])} "
                        f"GROUP BY {UNIT_KEY}"
                    ).fetchall()
                )
            )
        left, right = sides
        for unit in sorted(set(left) & set(right)):
            a, b = left[unit], right[unit]
            if a is None or b is None:
                continue
            a, b = float(a), float(b)
            allowed = check.tolerance * abs(b)
            bad = abs(a - b) > allowed if check.relation == "equal" else a > b + allowed
            if not bad:
                continue
            relation = "=" if check.relation == "equal" else "≤"
            findings.append(
                Finding(
                    unit=unit,
                    rule=f"{RULE}_{name}",
                    label=check.label,
                    severity=check.severity,
                    count=int(round(abs(a - b))),
                    statistic=a - b,
                    evidence=text(
                        f"{sources[0]}: {check.left['expr']} = {a:g}；{sources[1]}: "
                        f"{check.right['expr']} = {b:g}；应满足 左 {relation} 右"
                        f"（容差 {check.tolerance:g}）",
                        f"{sources[0]}: {check.left['expr']} = {a:g}; {sources[1]}: "
                        f"{check.right['expr']} = {b:g}; expected left {relation} right "
                        f"(tolerance {check.tolerance:g})",
                    ),
                )
            )
    for name, check in config.key_match.items():
        if not (inputs.has(check.left) and inputs.has(check.right)):
            ctx.note(f"{RULE}_{name}", text("缺少数据源，跳过", "a source is missing; skipped"))
            continue
        columns = [c for c in source_scope(check.right) if c in inputs.columns[check.right]]
        select = ", ".join(f"{quote(c)} AS {quote(f'{check.right}_{c}')}" for c in columns)
        right_key = quote(f"{check.right}_household_id")
        when = ctx.rules.expressions[("cross_source", "key_match", name, "when")].sql()
        # The right side's first row per household, numbered only for the households the left
        # side has (the rest never join): numbering a whole registry held it all in memory.
        left = inputs.view(check.left)
        rows = inputs.con.execute(
            f"SELECT l.{UNIT_KEY}, count(*), list(l.household_id ORDER BY l.household_id)[1:3] "
            f"FROM {left} l LEFT JOIN (SELECT {select} FROM {inputs.view(check.right)} "
            f"WHERE household_id IN (SELECT household_id FROM {left}) "
            f"QUALIFY row_number() OVER (PARTITION BY household_id "
            f"ORDER BY {UNIT_KEY}) = 1) r ON r.{right_key} = l.household_id "
            f"WHERE coalesce({when}, false) GROUP BY l.{UNIT_KEY} ORDER BY 1"
        ).fetchall()
        for unit, count, examples in rows:
            findings.append(
                Finding(
                    unit=unit,
                    rule=f"{RULE}_{name}",
                    label=check.label,
                    severity=check.severity,
                    count=int(count),
                    evidence=text(
                        f"{count} 户，例如 {'、'.join(map(str, examples))}",
                        f"{count} households, e.g. {', '.join(map(str, examples))}",
                    ),
                )
            )
    return findings
