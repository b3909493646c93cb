"""Demo columns of ``households`` for 内生动力 (endogenous motivation): how many members can
work, how many work or trained this year, and how much of the income comes from wages and own
production (工资性和生产经营性收入) rather than transfers.

A household without labour capacity lives mostly on transfers; in a strong province more of the
labour works and trains. One stream per county (seed, 130, county index), so the registry's
other columns are the same with or without these.
"""

from __future__ import annotations

import numpy as np

from . import random_streams

LIVELIHOOD_STREAM = 130  # these columns' random streams are keyed (seed, 130, county index)


def with_livelihoods(households: dict, quality: float, seed: int, k: int) -> dict:
    """``households`` (the demo's column dict) with the livelihood columns before ``period``."""
    rng = random_streams.rng(seed, LIVELIHOOD_STREAM, k)
    q = quality
    size = households["size"]
    n = len(size)
    able = households["labour_capacity"]
    labour = np.where(able, np.minimum(size, rng.integers(1, 4, n)), 0)
    employed = rng.binomial(labour, 0.5 + 0.35 * q)
    trained = rng.binomial(labour, 0.15 + 0.3 * q)
    from_work = np.clip(
        np.where(labour > 0, rng.normal(0.55 + 0.3 * q, 0.1, n), rng.normal(0.15, 0.05, n)),
        0.0,
        0.95,
    )
    from_wages = rng.uniform(0.5, 0.8, n)  # the rest of the work income is own production
    income = households["income_per_capita"]
    columns = {name: values for name, values in households.items() if name != "period"}
    columns.update(
        wage_income=np.round(income * from_work * from_wages, 1),
        production_income=np.round(income * from_work * (1 - from_wages), 1),
        labour_members=labour,
        labour_employed=employed,
        labour_trained=trained,
        period=households["period"],
    )
    return columns
