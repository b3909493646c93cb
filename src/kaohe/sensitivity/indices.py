"""Variance-based sensitivity indices: which groups of uncertain inputs move the ranks most.

Estimators: first order by Saltelli et al. (2010), total order by Jansen (1999) — the ones
SALib's ``sobol.analyze`` uses, applied to the same A / AB_g / B layout. SALib analyses one
scalar output per call and resamples in Python; an assessment has one output per unit (its rank),
thousands of them, so the same estimators are computed here for all units at once with numpy
(tests check them against SALib unit by unit). Per unit they say what drives that unit's rank;
across units they are combined into generalized indices (Gamboa et al. 2013): each group's share
of the total rank variance summed over units, so units whose rank never moves weigh nothing.
Confidence half-widths come from bootstrapping the base samples, as in SALib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass
class Indices:
    first: np.ndarray  # groups: generalized first-order index
    total: np.ndarray  # groups: generalized total index
    first_conf: np.ndarray  # groups: half-width of the confidence interval
    total_conf: np.ndarray
    unit_first: np.ndarray  # groups × units (NaN where the rank never moves)
    unit_total: np.ndarray
    variance: np.ndarray  # units: variance of the rank


def sobol_indices(
    outputs: np.ndarray,
    groups: int,
    resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> Indices:
    """``outputs`` is rows × units with rows in blocks of (A, AB_1 … AB_G, B)."""
    y = outputs.reshape(-1, groups + 2, outputs.shape[-1])
    base, units = y.shape[0], y.shape[-1]
    centre = y.mean(axis=(0, 1), dtype=np.float64)  # as SALib, for the first-order estimator
    a = y[:, 0] - centre
    b = y[:, -1] - centre
    variance = np.concatenate([a, b]).var(axis=0)
    moving = variance > 0
    # Per group: the estimators' terms summed over units (per base sample, for the generalized
    # indices and their bootstrap) and averaged over base samples (per unit).
    first_by_base = np.empty((groups, base))
    total_by_base = np.empty((groups, base))
    unit_first = np.empty((groups, units))
    unit_total = np.empty((groups, units))
    for g in range(groups):
        ab = y[:, g + 1] - centre
        first_terms = b * (ab - a)
        total_terms = 0.5 * (a - ab) ** 2
        first_by_base[g] = first_terms.sum(axis=1)
        total_by_base[g] = total_terms.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit_first[g] = np.where(moving, first_terms.mean(axis=0) / variance, np.nan)
            unit_total[g] = np.where(moving, total_terms.mean(axis=0) / variance, np.nan)
    level = (a + b) / 2  # per base sample and unit, for the variance under resampling
    square = ((a**2 + b**2) / 2).sum(axis=1)

    def generalized(share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        summed_variance = float(share @ square - np.sum((share @ level) ** 2))
        if summed_variance <= 0:
            return np.zeros(groups), np.zeros(groups)
        return first_by_base @ share / summed_variance, total_by_base @ share / summed_variance

    first, total = generalized(np.full(base, 1 / base))
    # Bootstrap: resample the base samples (multinomial counts as weights) and recompute.
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(base, np.full(base, 1 / base), size=resamples) / base
    boot = [generalized(share) for share in counts]
    spread = float(norm.ppf(0.5 + conf_level / 2))
    first_conf = spread * np.std([f for f, _ in boot], axis=0, ddof=1)
    total_conf = spread * np.std([t for _, t in boot], axis=0, ddof=1)
    return Indices(first, total, first_conf, total_conf, unit_first, unit_total, variance)
