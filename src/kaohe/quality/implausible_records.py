"""Implausible records: ages, household sizes and incomes outside plausible bounds, and incomes
that jump between years beyond a plausible ratio. Bounds are rules-file data (open values)."""

from __future__ import annotations

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext, mask_id
from .findings import Finding

RULE = "implausible"


def _outside(column: str, bounds) -> str | None:
    parts = []
    if bounds.min is not None:
        parts.append(f"{column} < {float(bounds.min)!r}")
    if bounds.max is not None:
        parts.append(f"{column} > {float(bounds.max)!r}")
    return " OR ".join(parts) or None


def _bounds_text(bounds) -> str:
    return (
        f"[{'' if bounds.min is None else bounds.min}, {'' if bounds.max is None else bounds.max}]"
    )


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.implausible_records
    inputs = ctx.inputs
    checks = [
        ("persons", "age", "age", config.age, ("年龄", "age"), "person_id"),
        ("households", "household_size", "size", config.household_size, ("户规模", "household size"), "household_id"),
        ("households", "income", "income_per_capita", config.income, ("人均纯收入", "income per capita"), "household_id"),
        (
            "households",
            "income_jump",
            "income_per_capita / nullif(income_last_year, 0)",
            config.income_jump,
            ("收入与上年之比", "income over last year's"),
            "household_id",
        ),
    ]  # fmt: skip
    findings = []
    for source, name, column, bounds, (zh, en), key in checks:
        condition = _outside(f"({column})", bounds)
        if condition is None:
            continue
        if not inputs.has(source):
            ctx.note(f"{RULE}_{name}", text(f"没有 {source} 数据源，跳过", f"no {source}; skipped"))
            continue
        rows = inputs.con.execute(
            f"SELECT {UNIT_KEY}, count(*), list(({key}, round(CAST({column} AS DOUBLE), 2)) "
            f"ORDER BY {key})[1:{max(config.examples, 1)}] FROM {inputs.view(source)} "
            f"WHERE {condition} GROUP BY {UNIT_KEY} ORDER BY {UNIT_KEY}"
        ).fetchall()
        for unit, count, examples in rows:
            shown = text("；", "; ").join(
                f"{_short(k, key)}: {v}" for k, v in (_pair(e) for e in examples)
            )
            findings.append(
                Finding(
                    unit=unit,
                    rule=f"{RULE}_{name}",
                    label=f"{config.label}（{zh}）",
                    severity=config.severity,
                    count=int(count),
                    evidence=text(
                        f"{count} 条记录的{zh}超出 {_bounds_text(bounds)}，例如 {shown}",
                        f"{count} records with {en} outside {_bounds_text(bounds)}, e.g. {shown}",
                    ),
                )
            )
    return findings


def _short(value, key: str) -> str:

    return mask_id(value) if key == "person_id" else str(value)


def _pair(example) -> tuple:
    """DuckDB returns an unnamed struct as a tuple (a named one as a dict)."""
    return tuple(example.values()) if isinstance(example, dict) else tuple(example)
