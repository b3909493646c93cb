"""Benford's law on money figures per reporting unit: first-digit and first-two-digit tests with
Nigrini's MAD conformity bands (bands are rules-file data) and a chi-square p-value (scipy).

Digits are read from the text of the whole-yuan part, so 1000 is "1…" without floating-point
trouble; values below ``min_value`` are left out (Nigrini). Benford's law only describes figures
spanning orders of magnitude: a unit whose 1st–99th percentiles span fewer than
``min_orders_of_magnitude`` is skipped with a note, not reported. scipy has no Benford test or MAD
bands, hence this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chisquare

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext
from .findings import Finding

RULE = "benford"
BAND_NAMES = {
    "close": ("高度符合", "close conformity"),
    "acceptable": ("可接受", "acceptable conformity"),
    "marginal": ("勉强可接受", "marginally acceptable conformity"),
    "nonconformity": ("不符合", "nonconformity"),
}


def expected(test: str) -> tuple[np.ndarray, np.ndarray]:
    """The digits of a test and Benford's probabilities log10(1 + 1/d)."""
    digits = np.arange(1, 10) if test == "first" else np.arange(10, 100)
    return digits, np.log10(1 + 1 / digits)


@dataclass(frozen=True)
class BenfordTest:
    test: str
    n: int
    mad: float
    band: str
    chi2: float
    p_value: float
    largest_excess: int  # the digit(s) most over-represented
    observed_share: float
    expected_share: float


def mad_band(mad: float, bands: list[tuple[float | None, str]]) -> str:
    """The first band whose upper bound the MAD does not exceed (the last has no bound)."""
    for bound, name in bands:
        if bound is None or mad <= bound:
            return name
    return bands[-1][1]


def benford_test(
    counts: np.ndarray, test: str, bands: list[tuple[float | None, str]]
) -> BenfordTest:
    """``counts``: observed counts of each digit (1–9, or 10–99) in order."""
    digits, p = expected(test)
    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    share = counts / n
    mad = float(np.mean(np.abs(share - p)))
    chi2, p_value = chisquare(counts, f_exp=n * p)
    worst = int(np.argmax(share - p))
    return BenfordTest(
        test, int(n), mad, mad_band(mad, bands), float(chi2), float(p_value),
        int(digits[worst]), float(share[worst]), float(p[worst]),
    )  # fmt: skip


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.benford
    inputs = ctx.inputs
    findings = []
    for i, target in enumerate(config.targets):
        if not inputs.has(target.source):
            ctx.note(
                RULE, text(f"没有 {target.source} 数据源，跳过", f"no {target.source}; skipped")
            )
            continue
        value = ctx.rules.expressions[("benford", "targets", i, "column")].sql()
        where = ctx.rules.expressions[("benford", "targets", i, "where")].sql()
        mapping = ctx.unit_map(target.level)

        whole = "CAST(CAST(floor(abs(v)) AS BIGINT) AS VARCHAR)"
        relation = (
            f"(SELECT m.ancestor AS unit, CAST({value} AS DOUBLE) AS v FROM "
            f"{inputs.view(target.source)} s JOIN {mapping} m ON m.unit = s.{UNIT_KEY} "
            f"WHERE coalesce({where}, false) AND abs(CAST({value} AS DOUBLE)) >= {config.min_value!r})"
        )
        spans = dict(
            (u, (n, lo, hi))
            for u, n, lo, hi in inputs.con.execute(
                f"SELECT unit, count(*), approx_quantile(abs(v), 0.01), approx_quantile(abs(v), 0.99) "
                f"FROM {relation} GROUP BY unit"
            ).fetchall()
        )
        digit_counts = inputs.con.execute(
            f"SELECT unit, CAST(substr({whole}, 1, 1) AS INTEGER), "
            f"CAST(substr({whole}, 1, 2) AS INTEGER), count(*) FROM {relation} GROUP BY ALL"
        ).fetchall()
        first: dict[str, np.ndarray] = {}
        first_two: dict[str, np.ndarray] = {}
        for unit, d1, d2, n in digit_counts:
            first.setdefault(unit, np.zeros(9))[d1 - 1] += n
            first_two.setdefault(unit, np.zeros(90))[d2 - 10] += n
        skipped = 0
        for unit in sorted(spans):
            n, low, high = spans[unit]
            orders = math.log10(high / low) if low and high else 0.0
            if n < config.min_count or orders < config.min_orders_of_magnitude:
                skipped += 1
                continue
            for test in config.tests:
                counts = first[unit] if test == "first" else first_two[unit]
                result = benford_test(counts, test, config.mad_bands[test])
                severity = {
                    "nonconformity": config.nonconformity_severity,
                    "marginal": config.marginal_severity,
                }.get(result.band)
                if severity is None:
                    continue
                zh_band, en_band = BAND_NAMES.get(result.band, (result.band, result.band))
                zh_test, en_test = (
                    ("首位", "first-digit") if test == "first" else ("前两位", "first-two-digits")
                )
                findings.append(
                    Finding(
                        unit=unit,
                        rule=f"{RULE}_{test}",
                        label=f"{config.label}（{zh_test}，{target.source}.{target.column}）",
                        severity=severity,
                        count=result.n,
                        statistic=result.mad,
                        p_value=result.p_value,
                        evidence=text(
                            f"{target.source}.{target.column} 的{zh_test}数字 MAD = {result.mad:.4f}"
                            f"（{zh_band}），n = {result.n}，χ² = {result.chi2:.1f}，p = {result.p_value:.2g}；"
                            f"偏多最明显的是 {result.largest_excess}（{result.observed_share:.1%}，"
                            f"应为 {result.expected_share:.1%}）",
                            f"{en_test} MAD of {target.source}.{target.column} = {result.mad:.4f} "
                            f"({en_band}), n = {result.n}, chi2 = {result.chi2:.1f}, "
                            f"p = {result.p_value:.2g}; most over-represented: {result.largest_excess} "
                            f"({result.observed_share:.1%} against {result.expected_share:.1%})",
                        ),
                    )
                )
        if skipped:
            ctx.note(
                RULE,
                text(
                    f"{target.source}.{target.column}：{skipped} 个考核对象数据不足 {config.min_count} 条"
                    f"或跨度不足 {config.min_orders_of_magnitude:g} 个数量级，本福特检验不适用",
                    f"{target.source}.{target.column}: {skipped} units have fewer than "
                    f"{config.min_count} figures or span fewer than "
                    f"{config.min_orders_of_magnitude:g} orders of magnitude; Benford does not apply",
                ),
            )
    return findings
