"""Known answers for every statistic: Benford (published probabilities, Nigrini's bands), the
bunching test (closed form), last-digit chi-square, Whipple's index, modified z-scores."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from tests.support.verify import household, write_csv, write_parquet, write_units

from kaohe.quality.benford import benford_test, expected, mad_band
from kaohe.quality.bunching import bunching_test
from kaohe.quality.digit_heaping import heaping_test, whipple_index
from kaohe.quality.outliers import modified_zscores
from kaohe.quality.quality_rules import load_quality_rules
from kaohe.quality.registry import run_detectors
from kaohe.verify.inputs import open_inputs

FIRST_BANDS = [
    (0.006, "close"),
    (0.012, "acceptable"),
    (0.015, "marginal"),
    (None, "nonconformity"),
]


def test_benford_probabilities_are_the_published_ones():
    # Nigrini (2012), Table 5.1: first digits 1..9, and first-two digits 10 and 99.
    _, first = expected("first")
    assert first == pytest.approx(
        [0.30103, 0.17609, 0.12494, 0.09691, 0.07918, 0.06695, 0.05799, 0.05115, 0.04576], abs=5e-6
    )
    digits, two = expected("first_two")
    assert (digits[0], two[0]) == (10, pytest.approx(0.04139, abs=5e-6))
    assert (digits[-1], two[-1]) == (99, pytest.approx(0.00436, abs=5e-6))
    assert two.sum() == pytest.approx(1.0)


def test_mad_and_chi_square_by_hand():
    counts = [3, 1, 1, 1, 1, 1, 1, 1, 0]
    result = benford_test(np.array(counts), "first", FIRST_BANDS)
    probabilities = [math.log10(1 + 1 / d) for d in range(1, 10)]
    mad = sum(abs(c / 10 - p) for c, p in zip(counts, probabilities, strict=True)) / 9
    chi2 = sum((c - 10 * p) ** 2 / (10 * p) for c, p in zip(counts, probabilities, strict=True))
    assert result.mad == pytest.approx(mad)
    assert result.chi2 == pytest.approx(chi2)
    assert result.p_value == pytest.approx(stats.chi2.sf(chi2, 8))
    assert result.band == "nonconformity"


@pytest.mark.parametrize(
    ("mad", "band"),
    [
        (0.0, "close"),
        (0.006, "close"),
        (0.0061, "acceptable"),
        (0.015, "marginal"),
        (0.0151, "nonconformity"),
    ],
)
def test_nigrini_first_digit_bands(mad, band):
    assert mad_band(mad, FIRST_BANDS) == band


def test_bunching_test_closed_form_for_a_flat_density():
    # Degree 0, one window bin: the Poisson MLE of the window's excess is log(c0 / mean(others)),
    # with variance 1/c0 + 1/Σothers.
    counts = np.array([30, 10, 12, 9, 11, 8, 10, 12, 9, 10, 11])
    result = bunching_test(counts, window=1, degree=0)
    others = counts[1:]
    gamma = math.log(30 / others.mean())
    z = gamma / math.sqrt(1 / 30 + 1 / others.sum())
    assert result.excess_ratio == pytest.approx(30 / others.mean(), rel=1e-6)
    assert result.z == pytest.approx(z, rel=1e-5)
    assert result.p_value == pytest.approx(stats.norm.sf(z), rel=1e-4)
    assert result.excess_households == pytest.approx(30 - others.mean(), rel=1e-6)


def test_bunching_test_does_not_fire_on_a_smooth_decline():
    rng = np.random.default_rng(1)
    expected_counts = 400 * np.exp(-0.08 * np.arange(22))
    counts = rng.poisson(expected_counts)
    result = bunching_test(counts, window=2, degree=2)
    assert result.p_value > 0.01
    bunched = counts.copy()
    bunched[:2] += 150
    assert bunching_test(bunched, window=2, degree=2).p_value < 1e-6


def test_last_digit_chi_square_by_hand():
    counts = np.array([30, 10, 10, 10, 10, 20, 10, 10, 10, 10])
    chi2, p = heaping_test(counts)
    assert chi2 == pytest.approx(sum((c - 13) ** 2 / 13 for c in counts))
    assert p == pytest.approx(stats.chi2.sf(chi2, 9))


def test_whipple_index_known_values():
    ages = np.arange(23, 63)
    assert whipple_index(ages, np.ones(40)) == pytest.approx(100.0)  # no heaping
    heaped = np.where(ages % 5 == 0, 1, 0)
    assert whipple_index(ages, heaped) == pytest.approx(500.0)  # every age ends in 0 or 5
    # 8 round ages with 2 persons each, 32 others with 1: 5 · 16 / 48 · 100.
    assert whipple_index(ages, np.where(ages % 5 == 0, 2, 1)) == pytest.approx(5 * 16 / 48 * 100)
    assert whipple_index(np.array([5, 70]), np.array([3, 3])) is None


def test_modified_zscores_by_hand():
    m = modified_zscores(np.array([1.0, 2, 3, 4, 100]))
    # median 3, absolute deviations (2, 1, 0, 1, 97): MAD 1.
    assert m == pytest.approx(0.6745 * np.array([-2, -1, 0, 1, 97]))
    assert modified_zscores(np.array([5.0, 5, 5, 9])) is None  # MAD 0


def test_detectors_on_generated_registries(tmp_path):
    """Bunching fires only where incomes were piled up above the line; Benford only on figures
    that break it; narrow figures are skipped with a note."""
    write_units(tmp_path)
    rng = np.random.default_rng(7)
    line = 3747.0
    rows = []
    for unit in ("130224", "130529", "620525", "620825"):
        incomes = line * rng.lognormal(np.log(1.35), 0.25, 2500)
        if unit == "620525":  # 数字脱贫: 60% of exits written just above the line
            piled = rng.random(2500) < 0.6
            incomes = np.where(piled, line * rng.uniform(1.0, 1.04, 2500), incomes)
        rows += [household(unit, f"{unit}-{i}", round(float(x), 1)) for i, x in enumerate(incomes)]
    write_parquet(tmp_path / "households.parquet", rows)
    benford_like = 10 ** rng.uniform(1, 6, 3000)
    # Wide-ranging figures that all start with 5–9: made up, not grown.
    made_up = rng.uniform(5, 10, 3000) * 10.0 ** rng.integers(1, 6, 3000)
    write_csv(
        tmp_path / "field_checks.csv",
        [
            {"unit": "130224" if i < 3000 else "620825", "household_id": f"F{i}", "registered": True,
             "exited": True, "verdict": "正确", "recognizes": True, "income_verified": round(v, 2),
             "period": "2019"}
            for i, v in enumerate(np.concatenate([benford_like, made_up]))
        ],
    )  # fmt: skip
    rules = tmp_path / "quality.yaml"
    bundled = load_quality_rules().file
    text = Path(bundled).read_text(encoding="utf-8")
    rules.write_text(
        text.replace(
            "    - {source: households, column: income_per_capita, level: county}\n"
            '    - {source: households, column: "income_per_capita * size", level: county}\n',
            "    - {source: households, column: income_per_capita, level: county}\n"
            "    - {source: field_checks, column: income_verified, level: county}\n",
        ),
        encoding="utf-8",
    )
    with open_inputs(tmp_path) as inputs:
        result = run_detectors(inputs, load_quality_rules(rules), only=["bunching", "benford"])
    bunching = {(f.unit, f.rule) for f in result.findings if f.rule == "income_bunching"}
    assert bunching == {("620525", "income_bunching"), ("620000", "income_bunching")}
    benford = {
        (f.unit, f.rule, f.severity) for f in result.findings if f.rule.startswith("benford")
    }
    assert benford == {
        ("620825", "benford_first", "一般"),
        ("620825", "benford_first_two", "一般"),
    }
    assert any("households.income_per_capita" in n.message for n in result.notes)
