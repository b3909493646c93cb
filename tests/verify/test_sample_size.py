"""Sample sizes against published tables and the textbook formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.errors import UsageError
from kaohe.verify.sample_size import sample_size


def krejcie_morgan(population: int) -> float:
    """Krejcie & Morgan (1970), Educ. Psychol. Meas. 30:607: s = χ²NP(1−P) / (d²(N−1) + χ²P(1−P))
    with χ² = 3.841, P = 0.5, d = 0.05 — the formula behind their published table."""
    chi2 = 3.841
    return chi2 * population * 0.25 / (0.05**2 * (population - 1) + chi2 * 0.25)


@pytest.mark.parametrize(
    ("population", "published"),
    # Entries of Krejcie & Morgan's Table 1 where rounding up and their rounding agree.
    [(100, 80), (1000, 278), (5000, 357), (10000, 370), (1000000, 384)],
)
def test_krejcie_morgan_table(population, published):
    assert sample_size(0.05, 0.95, 0.5, population).n == published


@pytest.mark.parametrize("population", [10, 50, 200, 500, 3000, 75000])
def test_finite_population_correction_matches_the_published_formula(population):
    result = sample_size(0.05, 0.95, 0.5, population)
    # z² = 3.8415 against K&M's 3.841: the unrounded sizes agree to a few hundredths.
    assert result.with_fpc == pytest.approx(krejcie_morgan(population), abs=0.05)
    assert result.n == min(population, math.ceil(result.with_fpc))


def test_infinite_population_is_cochrans_n0():
    result = sample_size(0.05)
    assert result.n0 == pytest.approx(1.959963984540054**2 * 0.25 / 0.0025)  # 384.15
    assert result.n == 385


def test_minimum_share_rule_raises_small_samples():
    # 600 projects, ±10 points needs 83; "at least 10% of projects" needs 60, so the margin wins…
    assert sample_size(0.10, population=600, min_share=0.10).rule == "margin"
    # … while for 5,000 projects the 10% floor (500) is larger than the 357 the margin needs.
    result = sample_size(0.05, population=5000, min_share=0.10)
    assert (result.n, result.rule, result.by_share) == (500, "min_share", 500)


def test_census_when_the_frame_is_small():
    result = sample_size(0.02, population=30)
    assert (result.n, result.rule) == (30, "census")


@pytest.mark.parametrize(
    "kwargs", [{"margin": 0}, {"margin": 1.5}, {"margin": 0.05, "confidence": 1.0}]
)
def test_bad_arguments_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        sample_size(**kwargs)


def test_minimum_share_needs_a_population():
    with pytest.raises(UsageError, match="population"):
        sample_size(0.05, min_share=0.1)


@given(
    margin=st.floats(0.005, 0.2),
    population=st.integers(1, 10**7),
    proportion=st.floats(0.01, 0.99),
)
def test_sample_size_never_exceeds_the_population_and_shrinks_with_the_margin(
    margin, population, proportion
):
    n = sample_size(margin, 0.95, proportion, population).n
    assert 1 <= n <= population
    assert sample_size(margin * 1.5, 0.95, proportion, population).n <= n
