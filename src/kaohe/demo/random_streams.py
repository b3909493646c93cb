"""The demo's random numbers: one independent, reproducible stream per (seed, year, key…).

Each part of the demo keys its streams by what it generates (a province, a county, a quarter…),
so the order in which things are generated never changes a figure. ``rng`` streams belong to the
demo year being generated (``years.year()``), so adding or removing a year never changes another
year's data; ``panel_rng`` streams are the same every year: what the panel keeps from year to
year (the provinces' profiles, the counties, the households and their paths through the registry).
"""

from __future__ import annotations

import numpy as np

from .years import year


def rng(seed: int, *key: int) -> np.random.Generator:
    """The stream of (seed, demo year, key…): numpy's PCG64 seeded by the whole key."""
    return panel_rng(seed, year(), *key)


def panel_rng(seed: int, *key: int) -> np.random.Generator:
    """The stream of (seed, key…), the same in every demo year."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))
