"""Proportions estimated from the field-check sample, per unit, with intervals.

Two designs, chosen by the columns of ``field_checks``:

**No design weights** (no ``weight`` and no ``psu`` column): the checked households are a simple
random sample. For a rate with k events among the n checked households of its domain, the
estimate is k / n, its standard error sqrt(p(1 − p) / n), and the intervals are statsmodels'
``proportion_confint(k, n)`` — Wilson ("wilson") and Clopper–Pearson ("beta") — exactly the
textbook formulas. No finite-population correction: without weights the population is unknown.

**Design weights** (a ``weight`` column; or a ``psu`` column, then with equal weights and no
finite-population correction): each rate is a domain ratio R = Σ w·d·y / Σ w·d (d: the household
is in the rate's domain, y: the event). Its variance is the design-based Taylor linearization for
a stratified sample (Wolter 2007, ch. 6; what R's ``survey`` and Stata's ``svy`` compute):

    z_i = w_i · d_i · (y_i − R) / Σ w·d,   t_hj = Σ_{i in PSU j of stratum h} z_i
    v(R) = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_j (t_hj − t̄_h)²

where n_h counts the PSUs (households, unless a ``psu`` column names clusters) of stratum h in the
whole sample — units outside the domain or the unit contribute z = 0, as they must for a domain
estimate — and f_h = n_h / Σ_{stratum h} w is the sampling fraction (element samples only).
A stratum with one PSU contributes no variance (noted in the output).

Intervals (Wilson and Clopper–Pearson) come from statsmodels' ``proportion_confint`` applied to an
effective sample size n_eff = n_d / max(deff, 1 − f), deff = v(R) / (R(1 − R) / (n_d − 1))
(Kish's design effect; Korn & Graubard 1998 use the same substitution for Clopper–Pearson), where
f = Σ d / Σ w·d is the domain's sampling fraction when the finite-population correction applies
(else 0). So a design is never credited with more than a simple random sample of the same
sampling fraction — n_d / (1 − f), the usual FPC-adjusted size, and n_d without the correction —
as in the NCHS data presentation standards for proportions (Parker et al. 2017), which truncate
n_eff at n. When R is 0 or 1, or the variance cannot be estimated (only single-PSU strata),
n_eff = n_d / (1 − f). Because f does not depend on the events, one event can never be judged
more kindly than none. A group whose every stratum was checked in full (f_h = 1) is a census:
its interval is its value. statsmodels has no design-based variance for stratified domain
ratios, hence the few lines below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from ..data.sources import UNIT_KEY
from ..errors import DataError
from ..i18n import text
from .inputs import file_rows


@dataclass
class Proportions:
    """One rate for G groups (units): arrays of length G."""

    rate: np.ndarray
    variance: np.ndarray
    n_domain: np.ndarray  # checked households in the domain (unweighted)
    n_events: np.ndarray  # of which the event (unweighted)
    weighted_domain: np.ndarray  # Σ w·d: the estimated number of domain households
    weighted_events: np.ndarray  # Σ w·d·y
    lonely_strata: np.ndarray  # strata of the group with a single PSU (no variance)
    # Every stratum the group touches was checked in full (f_h = 1): no sampling error.
    census: np.ndarray | None = None
    # The domain's sampling fraction Σd / Σw·d when the finite-population correction applies
    # (else 0): the correction a simple random sample of the same fraction would get.
    sampling_fraction: np.ndarray | None = None
    # "srs": a simple random sample (no design weights); "design": the weighted estimator.
    design: str = "design"

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(self.variance)


def stratified_proportions(
    group: np.ndarray,
    n_groups: int,
    stratum: np.ndarray,
    weight: np.ndarray,
    domain: np.ndarray,
    event: np.ndarray,
    psu: np.ndarray | None = None,
    fpc: bool = True,
) -> Proportions:
    """Domain ratio estimates and their linearized variances for each group 0..n_groups-1.

    ``group``: the group of each sampled row (values ≥ n_groups belong to no reported group but
    still count in their stratum); ``stratum`` and ``psu``: integer or text labels; ``domain``
    and ``event``: booleans (event is only read inside the domain).
    """
    group = np.asarray(group, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    d = np.asarray(domain, dtype=bool)
    y = np.asarray(event, dtype=bool) & d
    total_groups = int(max(n_groups, group.max() + 1 if len(group) else 0))
    _, h = np.unique(np.asarray(stratum), return_inverse=True)
    n_strata = int(h.max() + 1) if len(h) else 0
    if psu is None:
        p = np.arange(len(group))  # every household is its own PSU
    else:
        pairs = np.char.add(
            np.char.add(np.asarray(h).astype(str), "\x1f"), np.asarray(psu).astype(str)
        )
        _, p = np.unique(pairs, return_inverse=True)
    x_hat = np.bincount(group, weights=weight * d, minlength=total_groups)
    y_hat = np.bincount(group, weights=weight * y, minlength=total_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(x_hat > 0, y_hat / x_hat, np.nan)
        z = np.where(
            x_hat[group] > 0, weight * d * (y - np.nan_to_num(rate[group])) / x_hat[group], 0.0
        )
    # PSU totals of z within (group, stratum); PSUs are nested in strata.
    n_psus_total = int(p.max() + 1) if len(p) else 0
    psu_stratum = np.zeros(n_psus_total, dtype=np.int64)
    psu_stratum[p] = h
    psus_in_stratum = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    key = group * n_psus_total + p
    keys, inverse = np.unique(key, return_inverse=True)
    totals = np.bincount(inverse, weights=z)
    key_group = keys // max(n_psus_total, 1)
    key_stratum = psu_stratum[keys % max(n_psus_total, 1)]
    gh = key_group * n_strata + key_stratum
    s1 = np.bincount(gh, weights=totals, minlength=total_groups * n_strata)
    s2 = np.bincount(gh, weights=totals**2, minlength=total_groups * n_strata)
    n_h = np.tile(psus_in_stratum, total_groups)
    if fpc and psu is None:
        population = np.bincount(h, weights=weight, minlength=n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(population > 0, psus_in_stratum / population, 0.0)
        f = np.tile(np.clip(f, 0.0, 1.0), total_groups)
    else:
        f = np.zeros(total_groups * n_strata)
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where(
            n_h > 1, (1 - f) * n_h / (n_h - 1) * (s2 - np.where(n_h > 0, s1**2 / n_h, 0.0)), 0.0
        )
    contribution = np.maximum(contribution, 0.0)  # rounding can leave −1e-20
    variance = contribution.reshape(total_groups, n_strata).sum(axis=1)
    touched = np.zeros(total_groups * n_strata, dtype=bool)
    touched[gh] = True
    lonely = (touched & (n_h == 1)).reshape(total_groups, n_strata).sum(axis=1)
    full = (~touched | (f >= 1 - 1e-12)).reshape(total_groups, n_strata).all(axis=1)
    census = full & touched.reshape(total_groups, n_strata).any(axis=1) & fpc & (psu is None)
    corrected = fpc and psu is None
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(
            (x_hat > 0) & corrected,
            np.bincount(group, weights=d.astype(float), minlength=total_groups) / x_hat,
            0.0,
        )
    n_domain = np.bincount(group, weights=d, minlength=total_groups).astype(np.int64)
    n_events = np.bincount(group, weights=y, minlength=total_groups).astype(np.int64)
    variance = np.where(np.isnan(rate), np.nan, variance)
    keep = slice(0, n_groups)
    return Proportions(
        rate[keep],
        variance[keep],
        n_domain[keep],
        n_events[keep],
        x_hat[keep],
        y_hat[keep],
        lonely[keep],
        census[keep],
        np.clip(fraction[keep], 0.0, 1.0),
    )


def simple_proportions(
    group: np.ndarray, n_groups: int, domain: np.ndarray, event: np.ndarray
) -> Proportions:
    """A simple random sample (no design weights): k events among the n domain households of each
    group; rate k / n, variance p(1 − p) / n, no finite-population correction."""
    group = np.asarray(group, dtype=np.int64)
    d = np.asarray(domain, dtype=bool)
    y = np.asarray(event, dtype=bool) & d
    size = int(max(n_groups, group.max() + 1 if len(group) else 0))
    n = np.bincount(group, weights=d, minlength=size)[:n_groups].astype(np.int64)
    k = np.bincount(group, weights=y, minlength=size)[:n_groups].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        variance = np.where(n > 0, rate * (1 - rate) / np.maximum(n, 1), np.nan)
    return Proportions(
        rate,
        variance,
        n,
        k,
        n.astype(float),
        k.astype(float),
        np.zeros(n_groups, dtype=np.int64),
        np.zeros(n_groups, dtype=bool),
        np.zeros(n_groups),
        "srs",
    )


@dataclass
class Intervals:
    n_effective: np.ndarray
    design_effect: np.ndarray
    wilson_low: np.ndarray
    wilson_high: np.ndarray
    cp_low: np.ndarray
    cp_high: np.ndarray


def confidence_intervals(estimates: Proportions, confidence: float = 0.95) -> Intervals:
    """Wilson and Clopper–Pearson intervals: the textbook ones of k events in n for a simple
    random sample, from the effective sample size for a weighted design (see module doc)."""
    rate, variance = estimates.rate, estimates.variance
    n = estimates.n_domain.astype(float)
    alpha = 1 - confidence
    size = len(rate)
    if estimates.design == "srs":
        count = estimates.n_events.astype(float)
        deff = np.where(n > 0, 1.0, np.nan)
        n_eff = n
        census = np.zeros(size, dtype=bool)
    else:
        count = None
        with np.errstate(invalid="ignore", divide="ignore"):
            srs_variance = rate * (1 - rate) / (n - 1)
            informative = (n > 1) & (rate > 0) & (rate < 1) & (variance > 0)
            deff = np.where(informative, variance / srs_variance, np.nan)
            # A design is credited with no more than a simple random sample of the same sampling
            # fraction: n / (1 − f), or n without the finite-population correction.
            f = estimates.sampling_fraction
            floor = 1.0 - (np.zeros(size) if f is None else f)
            floor = np.where(floor > 1e-12, floor, 1.0)
            n_eff = np.where(informative, n / np.maximum(deff, floor), n / floor)
        census = np.zeros(size, dtype=bool) if estimates.census is None else estimates.census
        census = census & (n > 0) & ~np.isnan(rate)
    out = {}
    for method, name in (("wilson", "wilson"), ("beta", "cp")):
        low = np.full(size, np.nan)
        high = np.full(size, np.nan)
        ok = (n > 0) & ~np.isnan(rate) & ~census
        if ok.any():
            events = count[ok] if count is not None else rate[ok] * n_eff[ok]
            lo, hi = proportion_confint(events, n_eff[ok], alpha=alpha, method=method)
            lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
            # Clip, and drop float dust such as 1.7e-18 for a lower bound that is 0.
            low[ok] = np.where(np.abs(lo) < 1e-15, 0.0, np.clip(lo, 0, 1))
            high[ok] = np.where(np.abs(1 - hi) < 1e-15, 1.0, np.clip(hi, 0, 1))
        low[census], high[census] = rate[census], rate[census]  # every household was checked
        out[f"{name}_low"], out[f"{name}_high"] = low, high
    return Intervals(n_eff, deff, **out)


# --- per unit: the field checks of a data directory, at every level of the unit hierarchy ---


@dataclass
class UnitEstimate:
    """One rate at one unit: the row of the long report table."""

    unit: str
    level: str
    estimate: str
    n_checked: int
    n_domain: int
    n_events: int
    rate: float | None
    se: float | None
    design_effect: float | None
    n_effective: float | None
    wilson_low: float | None
    wilson_high: float | None
    cp_low: float | None
    cp_high: float | None
    lonely_strata: int

    def interval(self, method: str) -> tuple[float | None, float | None]:
        if method == "clopper_pearson":
            return self.cp_low, self.cp_high
        return self.wilson_low, self.wilson_high


def _value(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def estimate_units(inputs, rules, levels: list[str] | None = None) -> list[UnitEstimate]:
    """Every rate of ``rules`` (a loaded verification rules file) for every unit that has field
    checks below it, at ``levels`` (default: every level above and at the checked units)."""

    model = rules.model
    view = inputs.view("field_checks")
    columns = inputs.columns["field_checks"]
    _check_weights(inputs, columns)
    design = sampling_design(columns)
    skipped = unavailable_estimates(inputs, rules)
    names = [name for name in model.estimates if name not in skipped]
    weight = "weight" if design == "weighted" else "1.0"
    stratum = "stratum" if "stratum" in columns else UNIT_KEY
    parts = [f"{UNIT_KEY} AS unit", f"coalesce(CAST({stratum} AS VARCHAR), {UNIT_KEY}) AS stratum"]
    parts.append(f"CAST({weight} AS DOUBLE) AS weight")
    if "psu" in columns:
        parts.append("coalesce(CAST(psu AS VARCHAR), '') AS psu")
    for name in names:
        domain = rules.expressions[("estimates", name, "domain")].sql()
        event = rules.expressions[("estimates", name, "event")].sql()
        # A household that did not answer (event is null) leaves the rate's domain.
        parts.append(f"coalesce(({domain}) AND ({event}) IS NOT NULL, false) AS d_{name}")
        parts.append(f"coalesce(({event}), false) AS y_{name}")
    data = inputs.con.execute(f"SELECT {', '.join(parts)} FROM {view}").fetchnumpy()
    rows_unit = np.asarray(data["unit"]).astype(str)
    if len(rows_unit) == 0:
        raise DataError(
            text(
                f"{inputs.sources['field_checks'].file}：没有入户核查记录（请检查 --period）",
                f"{inputs.sources['field_checks'].file}: no field-check rows (check --period)",
            )
        )
    checked_units = sorted(set(rows_unit.tolist()))
    wanted = levels or _levels_above(inputs.units, checked_units)
    confidence = float(model.confidence.value)
    out: list[UnitEstimate] = []
    for level in wanted:
        ancestor = inputs.ancestor_at(level)
        groups = sorted({ancestor[u] for u in checked_units if u in ancestor})
        if not groups:
            continue
        index = {g: i for i, g in enumerate(groups)}
        group = np.array([index.get(ancestor.get(u, ""), len(groups)) for u in rows_unit])
        n_checked = np.bincount(group, minlength=len(groups) + 1)[: len(groups)]
        for name in names:
            domain = np.asarray(data[f"d_{name}"], dtype=bool)
            event = np.asarray(data[f"y_{name}"], dtype=bool)
            if design == "srs":
                props = simple_proportions(group, len(groups), domain, event)
            else:
                props = stratified_proportions(
                    group,
                    len(groups),
                    np.asarray(data["stratum"]).astype(str),
                    np.asarray(data["weight"], dtype=float),
                    domain,
                    event,
                    np.asarray(data["psu"]).astype(str) if "psu" in data else None,
                    # Without weights the population sizes are unknown: no correction.
                    fpc=model.finite_population_correction and design == "weighted",
                )
            ci = confidence_intervals(props, confidence)
            for i, unit in enumerate(groups):
                out.append(
                    UnitEstimate(
                        unit=unit,
                        level=level,
                        estimate=name,
                        n_checked=int(n_checked[i]),
                        n_domain=int(props.n_domain[i]),
                        n_events=int(props.n_events[i]),
                        rate=_value(props.rate[i]),
                        se=_value(props.se[i]),
                        design_effect=_value(ci.design_effect[i]),
                        n_effective=_value(ci.n_effective[i]) if props.n_domain[i] else None,
                        wilson_low=_value(ci.wilson_low[i]),
                        wilson_high=_value(ci.wilson_high[i]),
                        cp_low=_value(ci.cp_low[i]),
                        cp_high=_value(ci.cp_high[i]),
                        lonely_strata=int(props.lonely_strata[i]),
                    )
                )
    return out


def sampling_design(columns) -> str:
    """How the field checks were drawn, from their columns: ``weighted`` (a ``weight`` column),
    ``clustered`` (a ``psu`` column without weights: equal weights, no correction) or ``srs``."""
    if "weight" in columns:
        return "weighted"
    return "clustered" if "psu" in columns else "srs"


def unavailable_estimates(inputs, rules) -> dict[str, list[str]]:
    """Estimates whose domain or event reads an optional column the file lacks: name → columns."""
    found = {}
    for name, rule in rules.model.estimates.items():
        read: set[str] = set()
        for part in ("domain", "event"):
            read |= rules.expressions[("estimates", name, part)].names
        absent = inputs.absent_columns(rule.source, read)
        if absent:
            found[name] = absent
    return found


def _levels_above(units, codes: list[str]) -> list[str]:
    """The levels of the checked units and of all their ancestors, top level first."""
    depth: dict[str, int] = {}
    for code in codes:
        chain = []
        current = code
        while current is not None:
            chain.append(current)
            current = units.parent[current]
        for distance, unit in enumerate(reversed(chain)):
            level = units.level[unit]
            depth[level] = min(depth.get(level, distance), distance)
    return sorted(depth, key=lambda level: (depth[level], level))


def _check_weights(inputs, columns: list[str]) -> None:

    if "weight" not in columns:
        return

    where = inputs.sources["field_checks"].position
    bad = inputs.con.execute(
        f"SELECT __row, CAST(weight AS VARCHAR) FROM {file_rows(inputs, 'field_checks')} WHERE "
        "TRY_CAST(weight AS DOUBLE) IS NULL OR TRY_CAST(weight AS DOUBLE) <= 0 "
        "ORDER BY __row LIMIT 5"
    ).fetchall()
    if bad:
        raise DataError(
            "\n".join(
                text(
                    f"{where(row)}：列 weight 的设计权数 {value!r} 应为正数（抽中概率的倒数）",
                    f"{where(row)}: column weight: design weight {value!r} must be a "
                    "positive number (one over the selection probability)",
                )
                for row, value in bad
            )
        )
