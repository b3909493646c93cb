"""Verdicts: pass only when the whole interval meets the threshold, fail when none of it does."""

from __future__ import annotations

import pytest

from kaohe.verify.verdicts import FAIL, INCONCLUSIVE, NO_DATA, PASS, meets, verdict


@pytest.mark.parametrize(
    ("low", "high", "bound", "direction", "strict", "expected"),
    [
        (0.005, 0.019, 0.02, "max", True, PASS),  # wrong-exit rate < 2%: all below
        (0.010, 0.030, 0.02, "max", True, INCONCLUSIVE),  # straddles
        (0.020, 0.050, 0.02, "max", True, FAIL),  # at or above 2% with confidence
        (0.005, 0.020, 0.02, "max", True, INCONCLUSIVE),  # could be exactly 2%: not < 2%
        (0.005, 0.020, 0.02, "max", False, PASS),  # ≤ 2% allows 2%
        (0.020, 0.050, 0.02, "max", False, INCONCLUSIVE),  # ≤ 2%: 2% itself would pass
        (0.91, 0.95, 0.90, "min", False, PASS),  # recognition ≥ 90%
        (0.88, 0.93, 0.90, "min", False, INCONCLUSIVE),
        (0.80, 0.89, 0.90, "min", False, FAIL),
        (None, None, 0.90, "min", False, NO_DATA),
    ],
)
def test_verdicts(low, high, bound, direction, strict, expected):
    assert verdict(low, high, bound, direction, strict) == expected


def test_a_census_figure_is_judged_by_its_value():
    assert verdict(0.025, 0.025, 0.03, "max", True) == PASS
    assert verdict(0.03, 0.03, 0.03, "max", True) == FAIL
    assert meets(0.03, 0.03, "max", strict=False) is True
    assert meets(None, 0.03, "max", strict=False) is None
