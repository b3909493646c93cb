"""Demo sources of ``rural-revitalization-2021``: linkage-fund projects and county exit reviews.

Each province gets a hidden "capacity" (its own random stream) that drives budget execution,
the share of funds going to industry, whether industry projects keep operating and link
households, and how well its exited counties hold up in the post-exit review. The monitoring
results and last cycle's rectifications, which the scheme also reads, come from
``monitoring_inputs`` and ``previous_rectifications``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..csv_files import flag, write_csv
from ..random_streams import rng
from ..years import period
from .units import counties

CATEGORIES = ("产业发展", "基础设施", "就业帮扶", "其他")


def _poor_counties(directory: Path) -> set[str]:
    with (Path(directory) / "monitoring_survey.csv").open(encoding="utf-8") as handle:
        return {row["unit"] for row in csv.DictReader(handle) if row["poor_county"] == "true"}


def write_revitalization_demo(directory: Path, seed: int) -> None:
    """Write ``linkage_projects.csv`` and ``county_exit_reviews.csv`` into ``directory``."""
    directory = Path(directory)
    poor = _poor_counties(directory)
    capacity: dict[str, float] = {}
    projects, reviews = [], []
    for k, county in enumerate(counties(directory)):
        if county.province not in capacity:
            capacity[county.province] = float(rng(seed, 71, int(county.province)).uniform())
        q = capacity[county.province]
        local = rng(seed, 72, k)
        industry_share = 0.35 + 0.35 * q
        shares = [industry_share, (1 - industry_share) * 0.55, (1 - industry_share) * 0.3]
        shares.append(1 - sum(shares))
        for j in range(int(local.integers(8, 21))):
            category = CATEGORIES[int(local.choice(4, p=shares))]
            allocated = round(float(local.lognormal(14.9, 0.6)), -2)  # about ¥3 million
            execution = min(1.0, max(0.3, local.normal(0.78 + 0.2 * q, 0.08)))
            operating = category == "产业发展" and local.random() < 0.6 + 0.38 * q
            linked = int(local.poisson(40 + 60 * q)) if operating and local.random() < 0.9 else 0
            projects.append(
                [
                    county.code,
                    f"P{county.code}{j:03d}",
                    category,
                    allocated,
                    round(allocated * execution, -2),
                    flag(operating),
                    linked,
                    period(),
                ]
            )
        if county.code in poor:
            sampled = 120
            exited = int(local.integers(50, 80))
            error = 0.001 + 0.012 * (1 - q) ** 2
            incidence_limit = 0.03 if county.western else 0.02
            reviews.append(
                [
                    county.code,
                    flag(county.western),
                    sampled,
                    exited,
                    int(local.binomial(exited, error)),
                    sampled - exited,
                    int(local.binomial(sampled - exited, error * 0.8)),
                    int(local.binomial(sampled, 0.89 + 0.1 * q)),
                    round(float(local.uniform(0.1, 1.1) * incidence_limit * (1.3 - q)), 4),
                    period(),
                ]
            )
    write_csv(
        directory / "linkage_projects.csv",
        [
            "unit",
            "project_id",
            "category",
            "funds_allocated",
            "funds_spent",
            "operating",
            "households_linked",
            "period",
        ],
        projects,
    )
    write_csv(
        directory / "county_exit_reviews.csv",
        [
            "unit",
            "western",
            "sampled",
            "exited_sampled",
            "wrong_exit",
            "unregistered_sampled",
            "omitted",
            "recognizing",
            "poverty_incidence",
            "period",
        ],
        reviews,
    )
