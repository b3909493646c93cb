"""Reconciliation totals are weighted float sums, which depend on the order rows are added in. A
registry larger than one DuckDB row group is joined in parallel and returns rows in any order, so
the totals must not follow that order: the same data give the same files, byte for byte."""

from __future__ import annotations

import random

from tests.support.verify import (
    COUNTIES,
    field_check,
    household,
    write_parquet,
    write_units,
)

from kaohe.verify.reconciliation import reconcile_units
from kaohe.verify.unit_tables import open_for_rules
from kaohe.verify.verification_rules import load_verification_rules

REGISTRY = 150_000  # households: a few row groups, so the join runs in parallel
CHECKED = 6_000


def test_the_same_data_give_the_same_totals_to_the_last_digit(tmp_path):
    draw = random.Random(2016)
    data = tmp_path / "data"
    write_units(data)
    households = [
        household(COUNTIES[i % len(COUNTIES)], f"H{i}", draw.uniform(2_000, 20_000))
        for i in range(REGISTRY)
    ]
    write_parquet(data / "households.parquet", households)
    checks = [
        field_check(
            h["unit"],
            h["household_id"],
            income_verified=h["income_per_capita"] * draw.uniform(0.8, 1.1),
            weight=draw.uniform(5, 50),
        )
        for h in draw.sample(households, CHECKED)
    ]
    write_parquet(data / "field_checks.parquet", checks)
    rules = load_verification_rules()
    totals = []
    for _ in range(4):
        with open_for_rules(data, "2019", rules) as inputs:
            rows = reconcile_units(inputs, rules, ["county", "province", "nation"])
        totals.append([(r.unit, r.item, r.claimed, r.verified) for r in rows])
    assert all(t == totals[0] for t in totals[1:])
