"""The demo's random numbers: one independent, reproducible stream per (seed, key…).

Each part of the demo keys its streams by what it generates (a province, a county, a quarter…),
so the order in which things are generated never changes a figure.
"""

from __future__ import annotations

import numpy as np


def rng(seed: int, *key: int) -> np.random.Generator:
    """The stream of (seed, key…): numpy's PCG64 seeded by the whole key."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))
