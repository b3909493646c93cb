"""Bunching of exited households' incomes just above the poverty line (the signature of
"数字脱贫", exit on paper).

Method (bunching estimation in the style of Chetty et al. 2011, with a likelihood test): incomes of
the exited households between the line and (1 + bin_width·(window + fit))·line are counted in bins
of bin_width·line. A Poisson regression of the counts on a polynomial in the bin's position plus
one indicator for the ``window`` bins just above the line fits the smooth density and the excess
at the line together; the statistic is the excess ratio exp(γ) (observed / counterfactual in the
window), tested one-sided by the Wald z of γ. p-values are Holm-adjusted across the units of a
level. statsmodels fits the model; the binning (streamed in DuckDB) and the test are written here
because no library offers a bunching test.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from ..data.sources import UNIT_KEY
from ..i18n import text
from ..verify.eligibility import poverty_line
from ..verify.verification_rules import load_eligibility_rules
from .context import QualityContext
from .findings import Finding

RULE = "income_bunching"


@dataclass(frozen=True)
class BunchingTest:
    excess_ratio: float  # observed / counterfactual households in the window
    excess_households: float
    z: float
    p_value: float  # one-sided: more households in the window than the smooth density predicts
    window_count: int
    total: int


def bunching_test(counts: np.ndarray, window: int, degree: int) -> BunchingTest | None:
    """Test bin ``counts`` (first ``window`` bins just above the line) for excess mass.

    Returns None when the test cannot be made (an empty window or too few bins for the fit).
    """
    counts = np.asarray(counts, dtype=float)
    bins = len(counts)
    if counts[:window].sum() == 0 or bins - window < degree + 2:
        return None
    position = (np.arange(bins) + 0.5) / bins
    columns = [np.ones(bins)] + [position**k for k in range(1, degree + 1)]
    columns.append((np.arange(bins) < window).astype(float))
    design = np.column_stack(columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(counts, design, family=sm.families.Poisson()).fit()
    gamma, se = float(fit.params[-1]), float(fit.bse[-1])
    if not math.isfinite(gamma) or not math.isfinite(se) or se <= 0:
        return None
    counterfactual = float(np.exp(design[:window, :-1] @ fit.params[:-1]).sum())
    observed = float(counts[:window].sum())
    z = gamma / se
    return BunchingTest(
        excess_ratio=math.exp(gamma),
        excess_households=observed - counterfactual,
        z=z,
        p_value=float(norm.sf(z)),
        window_count=int(observed),
        total=int(counts.sum()),
    )


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.bunching
    inputs = ctx.inputs
    if not config.enabled:
        return []
    if not inputs.has(config.source):
        ctx.note(RULE, text(f"没有 {config.source} 数据源，跳过", f"no {config.source}; skipped"))
        return []

    ctx.eligibility = ctx.eligibility or load_eligibility_rules()
    _, line = poverty_line(inputs, ctx.eligibility)
    bins = config.window_bins + config.fit_bins
    width = config.bin_width * line
    population = ctx.rules.expressions[("bunching", "population")].sql()
    column = config.column
    finest = inputs.con.execute(
        f"SELECT {UNIT_KEY}, CAST(floor(({column} - {line!r}) / {width!r}) AS INTEGER) AS k, "
        f"count(*) FROM {inputs.view(config.source)} WHERE coalesce({population}, false) "
        f"AND {column} >= {line!r} AND {column} < {line + bins * width!r} GROUP BY ALL"
    ).fetchall()
    findings = []
    for level in config.levels:
        ancestor = inputs.ancestor_at(level)
        counts: dict[str, np.ndarray] = {}
        for unit, k, n in finest:
            if unit in ancestor and 0 <= k < bins:
                counts.setdefault(ancestor[unit], np.zeros(bins))[k] += n
        tested: list[tuple[str, BunchingTest]] = []
        for unit in sorted(counts):
            if counts[unit].sum() < config.min_households:
                continue
            result = bunching_test(counts[unit], config.window_bins, config.degree)
            if result is not None:
                tested.append((unit, result))
        if not tested:
            continue
        adjusted = multipletests([t.p_value for _, t in tested], method="holm")[1]
        for (unit, t), p_adj in zip(tested, adjusted, strict=True):
            if p_adj >= config.alpha or t.excess_ratio <= 1:
                continue
            top = config.window_bins * config.bin_width
            findings.append(
                Finding(
                    unit=unit,
                    rule=RULE,
                    label=config.label,
                    severity=config.severity,
                    count=t.window_count,
                    statistic=t.excess_ratio,
                    p_value=float(p_adj),
                    evidence=text(
                        f"贫困线（{line:g} 元）至其上 {top:.0%} 之间有 {t.window_count} 户已脱贫户，"
                        f"是平滑分布预计的 {t.excess_ratio:.2f} 倍（多出约 {t.excess_households:.0f} 户；"
                        f"z = {t.z:.2f}，Holm 校正 p = {p_adj:.2g}；检验范围内共 {t.total} 户）",
                        f"{t.window_count} exited households between the line ({line:g} yuan) and "
                        f"{top:.0%} above it, {t.excess_ratio:.2f} times what the smooth density "
                        f"predicts (about {t.excess_households:.0f} extra; z = {t.z:.2f}, "
                        f"Holm-adjusted p = {p_adj:.2g}; {t.total} households in the fitted range)",
                    ),
                )
            )
    return findings
