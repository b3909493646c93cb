"""Digit heaping: figures written by hand heap on round numbers.

- Money figures: the last whole digit should be close to uniform; chi-square test against the
  uniform distribution (scipy), Holm-adjusted across the units of a target (statsmodels).
- Ages: a chi-square test would flag the natural slope of any age pyramid at large n, so ages use
  Whipple's index, the demographers' measure: 5 × (persons aged 25, 30, …, 60) / (persons aged
  23–62) × 100 — 100 without heaping, 500 when every age ends in 0 or 5 — with the United Nations'
  quality categories (rules-file data). Neither library offers it; it is one line.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chisquare
from statsmodels.stats.multitest import multipletests

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext
from .findings import Finding

RULE = "last_digit_heaping"
WHIPPLE = "age_heaping"


def heaping_test(counts: np.ndarray) -> tuple[float, float]:
    """(chi-square, p) of last-digit counts 0–9 against the uniform distribution."""
    chi2, p = chisquare(np.asarray(counts, dtype=float))
    return float(chi2), float(p)


def whipple_index(ages: np.ndarray, counts: np.ndarray) -> float | None:
    """Whipple's index from counts per single year of age; None without persons aged 23–62."""
    ages = np.asarray(ages)
    counts = np.asarray(counts, dtype=float)
    window = (ages >= 23) & (ages <= 62)
    total = counts[window].sum()
    if total == 0:
        return None
    round_ages = window & (ages % 5 == 0)
    return float(5 * counts[round_ages].sum() / total * 100)


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.digit_heaping
    inputs = ctx.inputs
    findings = _whipple(ctx)
    for i, target in enumerate(config.targets):
        if not inputs.has(target.source):
            ctx.note(
                RULE, text(f"没有 {target.source} 数据源，跳过", f"no {target.source}; skipped")
            )
            continue
        value = ctx.rules.expressions[("digit_heaping", "targets", i, "column")].sql()
        where = ctx.rules.expressions[("digit_heaping", "targets", i, "where")].sql()
        mapping = ctx.unit_map(target.level)
        rows = inputs.con.execute(
            f"SELECT m.ancestor, CAST(floor(abs(CAST({value} AS DOUBLE))) AS BIGINT) % 10 AS d, "
            f"count(*) FROM {inputs.view(target.source)} s JOIN {mapping} m "
            f"ON m.unit = s.{UNIT_KEY} WHERE coalesce({where}, false) AND {value} IS NOT NULL "
            f"AND abs(CAST({value} AS DOUBLE)) >= {target.min_value!r} GROUP BY ALL"
        ).fetchall()
        counts: dict[str, np.ndarray] = {}
        for unit, digit, n in rows:
            counts.setdefault(unit, np.zeros(10))[int(digit)] += n
        tested = [(u, c) for u, c in sorted(counts.items()) if c.sum() >= config.min_count]
        if not tested:
            continue
        results = [heaping_test(c) for _, c in tested]
        adjusted = multipletests([p for _, p in results], method="holm")[1]
        for (unit, c), (chi2, _), p_adj in zip(tested, results, adjusted, strict=True):
            if p_adj >= config.alpha:
                continue
            share = c / c.sum()
            top = int(np.argmax(share))
            findings.append(
                Finding(
                    unit=unit,
                    rule=RULE,
                    label=f"{config.label}（{target.source}.{target.column}）",
                    severity=config.severity,
                    count=int(c.sum()),
                    statistic=chi2,
                    p_value=float(p_adj),
                    evidence=text(
                        f"{target.source}.{target.column} 末位数字不均匀：χ² = {chi2:.1f}（自由度 9），"
                        f"Holm 校正 p = {p_adj:.2g}，n = {int(c.sum())}；末位为 0 或 5 的占 "
                        f"{share[0] + share[5]:.1%}（应约 20%），最多的是 {top}（{share[top]:.1%}）",
                        f"last digits of {target.source}.{target.column} not uniform: chi2 = {chi2:.1f} "
                        f"(9 df), Holm-adjusted p = {p_adj:.2g}, n = {int(c.sum())}; ending in 0 or 5: "
                        f"{share[0] + share[5]:.1%} (about 20% expected), most common {top} "
                        f"({share[top]:.1%})",
                    ),
                )
            )
    return findings


def _whipple(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.digit_heaping.whipple
    inputs = ctx.inputs
    if config is None:
        return []
    if not inputs.has(config.source):
        ctx.note(
            WHIPPLE, text(f"没有 {config.source} 数据源，跳过", f"no {config.source}; skipped")
        )
        return []
    mapping = ctx.unit_map(config.level)
    rows = inputs.con.execute(
        f"SELECT m.ancestor, CAST({config.column} AS BIGINT) AS age, count(*) FROM "
        f"{inputs.view(config.source)} s JOIN {mapping} m ON m.unit = s.{UNIT_KEY} "
        f"WHERE {config.column} BETWEEN 23 AND 62 GROUP BY ALL"
    ).fetchall()
    by_unit: dict[str, dict[int, int]] = {}
    for unit, age, n in rows:
        by_unit.setdefault(unit, {})[int(age)] = int(n)
    findings = []
    for unit in sorted(by_unit):
        ages = np.array(list(by_unit[unit]))
        counts = np.array(list(by_unit[unit].values()))
        if counts.sum() < config.min_count:
            continue
        index = whipple_index(ages, counts)
        category = next((name for bound, name in config.bands if bound is None or index < bound))
        if index < config.report_from:
            continue
        findings.append(
            Finding(
                unit=unit,
                rule=WHIPPLE,
                label=config.label,
                severity=config.severity,
                count=int(counts.sum()),
                statistic=index,
                evidence=text(
                    f"23–62 岁人口 {int(counts.sum())} 人，惠普尔指数 {index:.1f}（{category}；"
                    f"无堆积为 100）",
                    f"{int(counts.sum())} persons aged 23–62, Whipple's index {index:.1f} "
                    f"({category}; 100 means no heaping)",
                ),
            )
        )
    return findings
