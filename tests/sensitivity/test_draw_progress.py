"""The analysis reports its draws as they are scored, for the command line's progress bar."""

from __future__ import annotations

import pytest
from tests.support.sensitivity import assess_case

from kaohe.sensitivity import Settings, analysis, run_sensitivity

PROVINCES = [
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 5, 50),
]


@pytest.mark.parametrize("workers", [1, 2])
def test_draws_are_counted_up_to_all_of_them(tmp_path, monkeypatch, workers):
    run = assess_case(tmp_path, PROVINCES)
    # small chunks, so that three units give several of them; both the serial and the pooled
    # loop report
    monkeypatch.setattr(analysis, "CHUNK_CELLS", 64)
    monkeypatch.setattr(analysis.os, "cpu_count", lambda: workers)
    calls: list[tuple[int, int]] = []
    result = run_sensitivity(
        run, Settings(draws=200, seed=3), progress=lambda done, total: calls.append((done, total))
    )
    done = [d for d, _ in calls]
    assert len(calls) > 2
    assert done == sorted(set(done))  # strictly increasing
    assert {total for _, total in calls} == {result.rows}
    assert calls[-1] == (result.rows, result.rows)
