"""The demo's world: the year it is set in, the poverty line, and each assessed province's hidden
profile (quality, whether it fabricates figures, its counties, its reduction plan), which drives
every synthetic figure of the province."""

from __future__ import annotations

from dataclasses import dataclass

from . import random_streams
from .geography import County, Province, counties, provinces

PERIOD = "2019"
POVERTY_LINE = (
    3747.0  # demo assumption: the national line of 2019 in current yuan (~¥2,300 at 2010 prices)
)
PERSONS_PER_COUNTY_CAP = 400_000  # above this the demo adds counties rather than growing them


@dataclass(frozen=True)
class ProvinceProfile:
    province: Province
    quality: float  # 0 (weak) to 1 (strong): drives every synthetic figure of the province
    fabricates: bool
    counties: list[County]
    reduction_plan: float


def province_profiles(seed: int, persons: int) -> list[ProvinceProfile]:
    """The 22 provinces' profiles, with enough counties each for ``persons`` in the registry."""
    rng = random_streams.rng(seed, 1)
    chosen = provinces()
    per_province = max(6, -(-persons // (PERSONS_PER_COUNTY_CAP * len(chosen))))
    qualities = rng.uniform(0.0, 1.0, len(chosen))
    fabricators = set(rng.choice(len(chosen), size=2, replace=False).tolist())
    profiles = []
    for i, province in enumerate(chosen):
        available = counties(province)
        take = min(len(available), per_province)
        picked = sorted(rng.choice(len(available), size=take, replace=False).tolist())
        profiles.append(
            ProvinceProfile(
                province=province,
                quality=float(qualities[i]),
                fabricates=i in fabricators,
                counties=[available[j] for j in picked],
                reduction_plan=round(float(rng.uniform(0.25, 0.45)), 3),
            )
        )
    return profiles
