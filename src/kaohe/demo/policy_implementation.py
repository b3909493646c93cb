"""Demo source ``policy_implementation``: per county, how the sector policies were carried out
(政策落实) — industry support, relocation (易地扶贫搬迁), schooling (控辍保学), basic medical
insurance and the renovation of dangerous houses (危房改造).

The figures follow the county's registry (its households, persons and labour) and the province's
hidden quality, so the provinces that reduce poverty well also carry out the policies well, with
noise enough that grades differ. One stream per county (seed, 110, county index): nothing else
in the demo changes when this report is added.
"""

from __future__ import annotations

import numpy as np

from ..data.schemas import load_schema
from . import random_streams
from .geography import County
from .years import period

POLICY_STREAM = 110  # this report's random streams are keyed (seed, 110, county index)


def policy_header() -> list[str]:
    """The columns in the order the source schema declares them."""
    return list(load_schema("policy_implementation").model.columns)


def _share(rng: np.random.Generator, mean: float, spread: float) -> float:
    return float(np.clip(rng.normal(mean, spread), 0.0, 1.0))


def policy_row(quality: float, county: County, households: dict, seed: int, k: int) -> list:
    """One county's report, from its registry ``households`` (the demo's column dict)."""
    rng = random_streams.rng(seed, POLICY_STREAM, k)
    q = quality
    n = len(households["household_id"])
    persons = int(np.sum(households["size"]))
    able = int(np.sum(households["labour_capacity"]))
    eligible = int(round(able * rng.uniform(0.8, 0.95)))
    supported = int(rng.binomial(eligible, _share(rng, 0.72 + 0.26 * q, 0.03)))
    relocates = rng.random() < 0.6  # not every county relocates people
    movers = int(round(n * rng.uniform(0.03, 0.12))) if relocates else 0
    with_labour = int(round(movers * rng.uniform(0.8, 0.9)))
    employed = int(rng.binomial(with_labour, _share(rng, 0.8 + 0.19 * q, 0.02)))
    sites_planned = int(rng.integers(1, 6)) if relocates else 0
    sites_completed = int(rng.binomial(sites_planned, 0.7 + 0.3 * q))
    children = int(round(persons * rng.uniform(0.12, 0.18)))
    out_of_school = int(rng.binomial(children, 0.0005 + 0.012 * (1 - q) ** 2))
    uninsured = int(rng.binomial(persons, 0.001 + 0.03 * (1 - q)))
    dangerous = int(round(n * rng.uniform(0.02, 0.08)))
    renovated = int(rng.binomial(dangerous, _share(rng, 0.65 + 0.34 * q, 0.04)))
    return [
        county.code,
        eligible,
        supported,
        with_labour,
        employed,
        sites_planned,
        sites_completed,
        children,
        out_of_school,
        persons,
        persons - uninsured,
        dangerous,
        renovated,
        period(),
    ]
