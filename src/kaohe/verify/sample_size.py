"""Sample sizes for estimating a proportion (an error rate, a recognition rate) to a margin.

statsmodels gives the infinite-population size n0 = z² p (1 − p) / e²; it has no finite-population
correction, design effect or minimum-share rule, so those few lines are written here:
n = n0·deff / (1 + (n0·deff − 1) / N) (Cochran 1977, eq. 4.2), then at least ``min_share`` of N
(e.g. field checks cover at least 10% of projects), never more than N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.proportion import samplesize_confint_proportion

from ..errors import UsageError
from ..i18n import text


@dataclass(frozen=True)
class SampleSize:
    """A required sample size and how it was reached (for the plan file)."""

    n: int
    n0: float  # infinite-population size, before the design effect
    with_fpc: float | None  # after the finite-population correction
    by_share: int | None  # the minimum-share floor, when a share is required
    population: int | None

    @property
    def rule(self) -> str:
        """Which requirement decided n."""
        if self.population is not None and self.n == self.population:
            return "census"
        if self.by_share is not None and self.n == self.by_share:
            return "min_share"
        return "margin"


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low < value < high):
        raise UsageError(
            text(
                f"{name} 应在 {low} 与 {high} 之间（不含端点），而不是 {value}",
                f"{name} must lie strictly between {low} and {high}, not {value}",
            )
        )


def sample_size(
    margin: float,
    confidence: float = 0.95,
    proportion: float = 0.5,
    population: int | None = None,
    design_effect: float = 1.0,
    min_share: float | None = None,
) -> SampleSize:
    """Households (or projects) to check so a proportion is estimated within ± ``margin``.

    ``proportion`` is the anticipated value (0.5 is the safe maximum); ``population`` the frame
    size N for the finite-population correction; ``min_share`` a floor as a share of N.
    """
    _check("margin", margin, 0.0, 1.0)
    _check("confidence", confidence, 0.0, 1.0)
    _check("proportion", proportion, 0.0, 1.0)
    if design_effect <= 0:
        raise UsageError(text("设计效应应大于 0", "the design effect must be positive"))
    if population is not None and population < 0:
        raise UsageError(text("总体规模不能为负", "the population size cannot be negative"))
    if min_share is not None:
        _check("min_share", min_share, 0.0, 1.0 + 1e-12)
        if population is None:
            raise UsageError(
                text(
                    "最低抽样比例需要总体规模（--population）",
                    "a minimum share needs the population size (--population)",
                )
            )
    n0 = float(samplesize_confint_proportion(proportion, margin, alpha=1 - confidence))
    needed = n0 * design_effect
    with_fpc = None
    if population is not None:
        if population == 0:
            return SampleSize(0, n0, 0.0, 0 if min_share is not None else None, 0)
        needed = needed / (1 + (needed - 1) / population)
        with_fpc = needed
    # Rounding up must not turn 277.0000001 (float noise) into 278.
    n = math.ceil(round(needed, 9))
    by_share = None
    if min_share is not None and population is not None:
        by_share = min(population, math.ceil(round(min_share * population, 9)))
        n = max(n, by_share)
    if population is not None:
        n = min(n, population)
    return SampleSize(n, n0, with_fpc, by_share, population)
