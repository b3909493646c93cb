"""The demo's world: each year's poverty line, and each assessed province's
hidden profile (quality, whether it fabricates figures, its counties, its reduction plan), which
drives every synthetic figure of the province. The profiles are the same every year (a panel)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..verify.verification_rules import load_eligibility_rules
from . import random_streams
from .geography import County, Province, counties, provinces
from .years import year

PERSONS_PER_COUNTY_CAP = 400_000  # above this the demo adds counties rather than growing them
CAMPAIGN_END = 2020  # the registry's last assessment year: all poor counties exited by its end


def poverty_line() -> float:
    """The national poverty line (yuan per person a year, current prices) of the demo year.

    2016–2020: the line the registry checks use, from the bundled eligibility rules
    (``verify/rules/eligibility.yaml``, each year marked open or seed there; policy.md gives only
    "about ¥4,000 in 2020"). After 2020 the line is no exit test any more: ASSUMED (open) held at
    its 2020 value, the base of the monitoring line (at least 1.5× it, "about ¥6,000 in 2021").
    """
    return _campaign_lines()[min(year(), CAMPAIGN_END)]


@functools.cache
def _campaign_lines() -> dict[int, float]:
    rules = load_eligibility_rules(None).model
    return {int(y): float(line.value) for y, line in rules.poverty_line.items()}


@dataclass(frozen=True)
class ProvinceProfile:
    province: Province
    quality: float  # 0 (weak) to 1 (strong): drives every synthetic figure of the province
    fabricates: bool
    counties: list[County]
    reduction_plan: float


def province_profiles(seed: int, persons: int) -> list[ProvinceProfile]:
    """The 22 provinces' profiles, with enough counties each for ``persons`` in the registry
    (the same in every demo year)."""
    rng = random_streams.panel_rng(seed, 1)
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
