"""Sampling plans: reproducible by a public seed, auditable with sha256, the right probabilities."""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kaohe.errors import DataError, UsageError
from kaohe.verify.sampling import (
    Request,
    _systematic_positions,
    draw,
    pps_inclusion,
    pps_systematic,
    random_key,
    uniform,
    write_plan,
)


def frame_file(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def frame(tmp_path) -> Path:
    rows = [
        {
            "household_id": f"H{i:05d}",
            "unit": ["130224", "130529", "620525"][i % 3],
            "size": 1 + i % 17,
        }
        for i in range(900)
    ]
    return frame_file(tmp_path / "frame.csv", rows)


def plan_ids(plan) -> list[str]:
    return [row[0] for row in plan.rows]


def test_random_key_is_plain_sha256_of_seed_and_id():
    assert random_key(2019, "H00001") == hashlib.sha256(b"2019:H00001").hexdigest()
    assert uniform(7, "start:*") == int(hashlib.sha256(b"7:start:*").hexdigest()[:13], 16) / 2**52


def test_simple_random_sample_is_the_n_smallest_keys(frame):
    plan = draw(frame, Request("srs", seed=2019, id_column="household_id", n=25))
    # Anyone can redo the lot with sha256 alone, without Kaohe, DuckDB or numpy.
    ids = [f"H{i:05d}" for i in range(900)]
    expected = sorted(ids, key=lambda i: hashlib.sha256(f"2019:{i}".encode()).hexdigest())[:25]
    assert plan_ids(plan) == expected
    assert {row[3] for row in plan.rows} == {25 / 900}  # probability
    assert {row[4] for row in plan.rows} == {900 / 25}  # weight


def test_same_seed_same_plan_file_any_row_order(frame, tmp_path):
    request = Request("stratified", seed=11, id_column="household_id", stratum_column="unit", n=60)
    write_plan(draw(frame, request), tmp_path / "a.csv")
    lines = frame.read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    random.Random(3).shuffle(body)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    write_plan(draw(shuffled, request), tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    other = draw(
        frame, Request("stratified", seed=12, id_column="household_id", stratum_column="unit", n=60)
    )
    assert plan_ids(other) != plan_ids(draw(frame, request))


def test_stratified_proportional_allocation_and_min_share(frame):
    plan = draw(
        frame,
        Request("stratified", seed=1, id_column="household_id", stratum_column="unit", n=30),
    )
    assert {s.stratum: s.sample for s in plan.strata} == {"130224": 10, "130529": 10, "620525": 10}
    floor = draw(
        frame,
        Request(
            "stratified",
            seed=1,
            id_column="household_id",
            stratum_column="unit",
            n=30,
            min_share=0.1,
        ),
    )
    assert {s.sample for s in floor.strata} == {30} and {s.rule for s in floor.strata} == {
        "min_share"
    }
    counts = Counter(row[1] for row in floor.rows)
    assert counts == {"130224": 30, "130529": 30, "620525": 30}


def test_required_allocation_sizes_each_stratum_by_its_margin(frame):
    plan = draw(
        frame,
        Request(
            "stratified", seed=1, id_column="household_id", stratum_column="unit",
            margin=0.1, allocation="required",
        ),
    )  # fmt: skip
    # ±10 points at 95% in a stratum of 300: n0 = 96.04, with the correction 72.8 → 73.
    assert {s.sample for s in plan.strata} == {73}


def test_systematic_sample_is_evenly_spaced_in_list_order(frame):
    plan = draw(
        frame,
        Request("systematic", seed=5, id_column="household_id", stratum_column="unit", n=30),
    )
    for stratum in ("130224", "130529", "620525"):
        listed = sorted(
            f"H{i:05d}" for i in range(900) if ["130224", "130529", "620525"][i % 3] == stratum
        )
        picked = sorted(listed.index(r[0]) for r in plan.rows if r[1] == stratum)
        assert len(picked) == 10
        assert set(np.diff(picked)) == {30}  # every 300/10-th item
        start = uniform(5, f"start:{stratum}")
        assert picked[0] == int(start * 300) // 10


@pytest.mark.parametrize(("population", "n"), [(10, 3), (97, 10), (1000, 999), (5, 5), (7, 0)])
def test_systematic_positions_are_exactly_n_distinct(population, n):
    for start in (0.0, 0.37, 0.999999):
        positions = _systematic_positions(population, n, start)
        assert len(set(positions)) == n
        assert all(0 <= p < population for p in positions)


def test_pps_inclusion_probabilities_with_certainty_units():
    sizes = np.array([100.0, 10, 10, 10, 10, 10])
    pi = pps_inclusion(sizes, 3)
    # The large unit alone would get 3·100/150 = 2 > 1: taken for certain, the other two draws
    # share the remaining 50 proportionally.
    np.testing.assert_allclose(pi, [1.0, 0.4, 0.4, 0.4, 0.4, 0.4])
    assert pi.sum() == pytest.approx(3)


def test_pps_empirical_inclusion_frequencies_match_the_probabilities():
    sizes = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    pi = pps_inclusion(sizes, 3)
    hits = np.zeros(len(sizes))
    draws = 4000
    for seed in range(draws):
        chosen, _ = pps_systematic(sizes, 3, uniform(seed, "start:*"))
        assert len(chosen) == 3 and len(set(chosen)) == 3
        hits[chosen] += 1
    # Systematic PPS in a fixed order has exactly these inclusion probabilities; 4000 draws put the
    # frequencies within 4 binomial standard errors.
    se = np.sqrt(pi * (1 - pi) / draws)
    assert np.all(np.abs(hits / draws - pi) < 4 * se + 1e-9)


def test_pps_plan_weights_are_inverse_probabilities(frame):
    plan = draw(frame, Request("pps", seed=3, id_column="household_id", size_column="size", n=40))
    assert len(plan.rows) == 40
    total = sum(1 + i % 17 for i in range(900))
    for row in plan.rows:
        assert row[3] == pytest.approx(40 * row[7] / total)
        assert row[4] == pytest.approx(1 / row[3])


def test_simple_random_inclusion_is_uniform_over_seeds():
    # A draw is the n smallest keys (test above), so the keys alone decide inclusion: over 2000
    # seeds each of 20 items must be drawn about n/N = 1/4 of the time.
    ids = [f"P{i}" for i in range(20)]
    hits = Counter()
    for seed in range(2000):
        hits.update(sorted(ids, key=lambda i, seed=seed: random_key(seed, i))[:5])
    se = (0.25 * 0.75 / 2000) ** 0.5
    assert all(abs(hits[i] / 2000 - 0.25) < 4 * se for i in ids)


def test_plan_sidecar_records_seed_frame_hash_and_strata(frame, tmp_path):
    import json

    plan = draw(frame, Request("srs", seed=9, id_column="household_id", n=10))
    sidecar = write_plan(plan, tmp_path / "plan.csv")
    described = json.loads(sidecar.read_text(encoding="utf-8"))
    assert described["design"]["seed"] == 9
    assert described["frame"]["sha256"] == hashlib.sha256(frame.read_bytes()).hexdigest()
    assert described["strata"] == [
        {"stratum": "*", "population": 900, "sample": 10, "rule": "allocation", "total_size": None}
    ]
    header = (tmp_path / "plan.csv").read_text(encoding="utf-8").splitlines()[0]
    assert (
        header == "household_id,stratum,draw_order,probability,weight,stratum_size,stratum_sample"
    )


def test_duplicate_ids_in_the_frame_are_rejected_with_the_record(tmp_path):
    path = frame_file(
        tmp_path / "f.csv", [{"household_id": "A"}, {"household_id": "B"}, {"household_id": "A"}]
    )
    with pytest.raises(DataError, match="record 1: id A appears more than once"):
        draw(path, Request("srs", seed=1, id_column="household_id", n=1))


def test_missing_columns_and_designs_are_reported(frame):
    with pytest.raises(DataError, match="missing columns village"):
        draw(
            frame,
            Request("stratified", seed=1, id_column="household_id", stratum_column="village", n=3),
        )
    with pytest.raises(UsageError, match="PPS design needs --size"):
        draw(frame, Request("pps", seed=1, id_column="household_id", n=3))
    with pytest.raises(UsageError, match="give a sample size"):
        draw(frame, Request("srs", seed=1, id_column="household_id"))


def test_bad_sizes_are_reported_with_the_record(tmp_path):
    path = frame_file(
        tmp_path / "f.csv",
        [{"household_id": "A", "size": "3"}, {"household_id": "B", "size": "-1"}],
    )
    with pytest.raises(DataError, match="record 2: size column size: '-1' is not a positive"):
        draw(path, Request("pps", seed=1, id_column="household_id", size_column="size", n=1))
