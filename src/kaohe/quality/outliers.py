"""Outliers among units: a metric per unit (SQL aggregate over a source) compared with the other
units of the level by z-score (scipy), modified z-score 0.6745·(x − median)/MAD (Iglewicz &
Hoaglin 1993; MAD from scipy) and fixed bounds (rules-file data).

A z-score cannot exceed (n − 1)/√n, so a lone extreme value among few units hides from it; the
modified z-score, built on the median, does not — both are reported.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import median_abs_deviation, zscore

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext
from .findings import Finding

RULE = "outlier"


def modified_zscores(values: np.ndarray) -> np.ndarray | None:
    """0.6745·(x − median)/MAD; None when the MAD is 0 (more than half the values are equal)."""
    values = np.asarray(values, dtype=float)
    mad = median_abs_deviation(values, scale=1.0)
    if mad == 0:
        return None
    return 0.6745 * (values - np.median(values)) / mad


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.outliers
    inputs = ctx.inputs
    findings = []
    mapping = ctx.unit_map(config.level)
    for name, metric in config.metrics.items():
        if not inputs.has(metric.source):
            ctx.note(
                RULE,
                text(
                    f"没有 {metric.source} 数据源，跳过 {name}",
                    f"no {metric.source}; {name} skipped",
                ),
            )
            continue
        expr = ctx.rules.expressions[("outliers", "metrics", name, "expr")].sql()
        rows = inputs.con.execute(
            f"SELECT m.ancestor, {expr} FROM {inputs.view(metric.source)} s JOIN {mapping} m "
            f"ON m.unit = s.{UNIT_KEY} GROUP BY m.ancestor ORDER BY m.ancestor"
        ).fetchall()
        rows = [(u, float(v)) for u, v in rows if v is not None and np.isfinite(float(v))]
        units = [u for u, _ in rows]
        values = np.array([v for _, v in rows])
        bounds = metric.bounds
        for unit, value in rows:
            low = bounds is not None and bounds.min is not None and value < bounds.min
            high = bounds is not None and bounds.max is not None and value > bounds.max
            if low or high:
                findings.append(
                    Finding(
                        unit=unit,
                        rule=f"out_of_bounds_{name}",
                        label=f"{metric.label}超出合理范围",
                        severity=config.bounds_severity,
                        count=1,
                        statistic=value,
                        evidence=text(
                            f"{metric.label} = {value:.4g}，超出 [{bounds.min}, {bounds.max}]",
                            f"{name} = {value:.4g}, outside [{bounds.min}, {bounds.max}]",
                        ),
                    )
                )
        if len(values) < config.min_units:
            ctx.note(
                RULE,
                text(
                    f"{name}：考核对象少于 {config.min_units} 个，不判断异常值",
                    f"{name}: fewer than {config.min_units} units; no outlier test",
                ),
            )
            continue
        z = zscore(values) if np.std(values) > 0 else np.zeros(len(values))
        m = modified_zscores(values)
        median = float(np.median(values))
        for i, unit in enumerate(units):
            by_z = abs(z[i]) > config.zscore
            by_m = m is not None and abs(m[i]) > config.modified_zscore
            if not (by_z or by_m):
                continue
            m_text = "—" if m is None else f"{m[i]:.2f}"
            findings.append(
                Finding(
                    unit=unit,
                    rule=f"{RULE}_{name}",
                    label=f"{metric.label}异常",
                    severity=config.severity,
                    count=1,
                    statistic=float(m[i]) if m is not None else float(z[i]),
                    evidence=text(
                        f"{metric.label} = {values[i]:.4g}（{len(values)} 个考核对象的中位数 {median:.4g}）；"
                        f"z = {z[i]:.2f}（阈值 {config.zscore:g}），修正 z = {m_text}（阈值 {config.modified_zscore:g}）",
                        f"{name} = {values[i]:.4g} (median of {len(values)} units {median:.4g}); "
                        f"z = {z[i]:.2f} (cut-off {config.zscore:g}), modified z = {m_text} "
                        f"(cut-off {config.modified_zscore:g})",
                    ),
                )
            )
    return findings
