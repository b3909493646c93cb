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
    y = outputs.reshape(-1, groups + 2, outputs.shape[-1]).astype(float)
    y = y - y.mean(axis=(0, 1))  # centre each unit's output, as SALib does, for the S1 estimator
    a, b, ab = y[:, 0], y[:, -1], np.moveaxis(y[:, 1:-1], 1, 0)  # ab: groups × base × units
    first_terms = b[None] * (ab - a[None])  # groups × base × units
    total_terms = 0.5 * (a[None] - ab) ** 2
    both = np.concatenate([a, b])
    variance = both.var(axis=0)
    moving = variance > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_first = np.where(moving, first_terms.mean(axis=1) / variance, np.nan)
        unit_total = np.where(moving, total_terms.mean(axis=1) / variance, np.nan)
    first, total = _generalized(first_terms, total_terms, a, b, np.ones(a.shape[0]))
    # Bootstrap: reweight the base samples by multinomial counts and recompute.
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(a.shape[0], np.full(a.shape[0], 1 / a.shape[0]), size=resamples)
    boot = [_generalized(first_terms, total_terms, a, b, w) for w in counts.astype(float)]
    spread = float(norm.ppf(0.5 + conf_level / 2))
    first_conf = spread * np.std([f for f, _ in boot], axis=0, ddof=1)
    total_conf = spread * np.std([t for _, t in boot], axis=0, ddof=1)
    return Indices(first, total, first_conf, total_conf, unit_first, unit_total, variance)


def _generalized(first_terms, total_terms, a, b, weights) -> tuple[np.ndarray, np.ndarray]:
    """Σ_units numerator / Σ_units rank variance, with base samples weighted by ``weights``."""
    share = weights / weights.sum()
    per_base_first = first_terms.sum(axis=2)  # groups × base
    per_base_total = total_terms.sum(axis=2)
    # variance of each unit over A and B rows, summed over units
    mean = share @ ((a + b) / 2)
    second = share @ ((a**2 + b**2) / 2)
    variance = float(np.sum(second - mean**2))
    if variance <= 0:
        zeros = np.zeros(first_terms.shape[0])
        return zeros, zeros.copy()
    return per_base_first @ share / variance, per_base_total @ share / variance
