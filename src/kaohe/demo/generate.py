"""A deterministic synthetic national data set (same seed → same files, byte for byte).

Each province gets a hidden "quality" that drives its poverty reduction, error rates, public
recognition and fund performance, so the bundled schemes have something real to tell apart; a few
provinces fabricate figures (incomes bunched just above the poverty line, 弄虚作假 findings) and the
registry carries some invalid and duplicated ID numbers, for the verification and quality checks.

Households and persons are generated county by county and written to Parquet in row groups, so
memory stays bounded by the largest county however many persons are asked for (the rows kept for
the CSV files are a few per county); the derived step then reads the Parquet files through DuckDB
within ``DERIVED_MEMORY_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..data.schemas import load_schema
from ..derived.verification import run_verification
from . import random_streams
from .banks import bank_rows, banks
from .csv_files import flag, write_csv
from .fund_integration import integration_header, integration_row
from .geography import County
from .id_numbers import birth_dates, inject_id_errors, resident_ids
from .livelihoods import with_livelihoods
from .policy_implementation import policy_header, policy_row
from .world import CAMPAIGN_END, ProvinceProfile, poverty_line, province_profiles
from .years import period, year

DEFAULT_PERSONS = 300_000
_CHUNK_ROWS = 1_000_000
# DuckDB's memory for the derived step (field-check estimates and quality checks): beyond it the
# registry-wide hash tables (duplicate IDs over every person) spill to disk, so that 10^8 persons
# are generated within 2 GiB in all (6.2 GiB with DuckDB's default of 80 % of RAM); the files are
# the same either way.
DERIVED_MEMORY_LIMIT = "1GB"


def _registry_paths(profile: ProvinceProfile, county: County, n: int, seed: int, k: int) -> dict:
    """Each household's path through the registry over 2016–2020, the same in every demo year:
    poor at the campaign's start or newly identified (新识别) in 2016–2018, the year it exits
    (a yearly chance that grows with the province's quality; all by the end of 2020 but the few
    whose exit procedure ended early in 2021), and for a few a return to poverty (返贫) the year after exiting, then a second
    exit."""
    rng = random_streams.panel_rng(seed, 7, int(county.code), k)
    q = profile.quality
    poor_at_campaign_start = rng.random(n) < 0.45 + 0.1 * rng.random()
    newly = ~poor_at_campaign_start & (rng.random(n) < 0.03)
    identified = np.where(
        newly, rng.integers(2016, 2019, n), np.where(poor_at_campaign_start, 0, 9999)
    )
    hazard = profile.reduction_plan * (0.75 + 0.45 * q)  # the chance of exiting in a given year
    waits = np.floor(np.log(1 - rng.random(n)) / np.log(1 - hazard)).astype(int)
    exit_year = np.minimum(np.maximum(identified, 2016) + waits, CAMPAIGN_END)
    # 2020 cleared the registry, but the last households' exit procedure ended early in 2021
    # (assumed: 6 in 100 of the registered poor), so the 2020 field checks still find registered
    # poor households to judge 错评 on in every province
    exit_year = np.where((identified < 9999) & (rng.random(n) < 0.06), CAMPAIGN_END + 1, exit_year)
    returns = (rng.random(n) < 0.02 * (1.5 - q)) & (exit_year < CAMPAIGN_END) & (identified < 9999)
    return {
        "identified": identified,
        "exit": exit_year,
        "returned": np.where(returns, exit_year + 1, 9999),
        "exit_again": np.where(returns, np.minimum(exit_year + 2, CAMPAIGN_END), 9999),
    }


def _households(profile: ProvinceProfile, county: County, persons: int, seed: int, k: int):
    """One county's registry in the demo year: households, then their members. Households,
    members and their paths are the panel's; statuses and incomes are the year's."""
    sizes = random_streams.panel_rng(seed, 2, int(county.code), k).choice(
        [1, 2, 3, 4, 5, 6], size=max(1, persons // 3), p=[0.12, 0.2, 0.25, 0.23, 0.13, 0.07]
    )
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), persons) + 1]
    n = len(sizes)
    paths = _registry_paths(profile, county, n, seed, k)
    rng = random_streams.rng(seed, 2, int(county.code), k)
    q, y, line = profile.quality, year(), poverty_line()
    registered = (paths["identified"] <= y) & (y <= CAMPAIGN_END)
    first_spell = registered & (paths["exit"] >= y)
    second_spell = (paths["returned"] <= y) & (paths["exit_again"] >= y)
    poor_at_start = first_spell | second_spell
    exited = (first_spell & (paths["exit"] == y)) | (second_spell & (paths["exit_again"] == y))
    poor_at_end = poor_at_start & ~exited
    movement = np.where(
        paths["returned"] == y,
        "返贫",
        np.where((paths["identified"] == y), "新识别", np.where(exited, "脱贫", "")),
    )
    income_last = np.where(
        poor_at_start,
        rng.lognormal(np.log(0.88 * line), 0.18, n),
        rng.lognormal(np.log(1.75 * line), 0.35, n),
    )
    income = np.where(
        poor_at_end,
        rng.lognormal(np.log(0.88 * line), 0.15, n),
        np.where(
            exited,
            line * rng.lognormal(np.log(1.35), 0.25, n),
            income_last * rng.lognormal(0.08, 0.1, n),
        ),
    )
    if profile.fabricates:  # "数字脱贫": exited households' incomes written just above the line
        # every year, for the households that left poverty this year or before
        left = (paths["identified"] < 9999) & (paths["exit"] <= y) & ~poor_at_end
        bunched = left & (rng.random(n) < 0.6)
        income = np.where(bunched, line * rng.uniform(1.0, 1.04, n), income)
    weak = 0.02 + 0.06 * (1 - q)
    items = {
        name: ~(poor_at_end & (rng.random(n) < weak * 3)) & (rng.random(n) > weak / 4)
        for name in ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
    }
    household_ids = np.char.add(f"{county.code}", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    households = {
        "unit": np.full(n, county.code),
        "household_id": household_ids,
        "size": sizes,
        "income_per_capita": np.round(income, 1),
        "income_last_year": np.round(income_last, 1),
        **items,
        "status": np.where(poor_at_end, "在册贫困户", "已脱贫户"),
        "registry_movement": movement,  # this year's: 新识别, 返贫 or 脱贫 (empty: none)
        "labour_capacity": random_streams.panel_rng(seed, 8, int(county.code), k).random(n) < 0.82,
        "period": np.full(n, period()),
    }
    member_of = np.repeat(np.arange(n), sizes)
    index = np.arange(len(member_of))
    first_year = max(1920, county.since or 1920)
    births = birth_dates(index, first_year)
    ids = resident_ids(county.code, index, births, first_year)
    age = y - (births.astype("datetime64[Y]").astype(int) + 1970)
    persons_table = {
        "unit": np.full(len(member_of), county.code),
        "person_id": ids,
        "household_id": household_ids[member_of],
        "age": age,
        "sex": np.where(
            random_streams.panel_rng(seed, 9, int(county.code), k).random(len(member_of)) < 0.51,
            "男",
            "女",
        ),
        "poor_at_start": poor_at_start[member_of],
        "poor_at_end": poor_at_end[member_of],
        "exited": exited[member_of],
        "period": np.full(len(member_of), period()),
    }
    return households, persons_table


class _ParquetSink:
    """Appends column dicts to one Parquet file in row groups (bounded memory)."""

    def __init__(self, path: Path):
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, columns: dict) -> None:
        table = pa.table({k: pa.array(v) for k, v in columns.items()})
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.writer.write_table(table, row_group_size=_CHUNK_ROWS)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def generate_demo(
    directory: Path,
    seed: int = 2016,
    persons: int | None = None,
    progress: Callable[[int], None] | None = None,
    derived: bool = True,
) -> None:
    """Write the demo data set into ``directory`` (see docs/internals.md for the files).

    ``progress`` is called with the number of persons written after each county. ``derived``
    also runs the field-check estimates and data-quality checks into the directory
    (verification_estimates.csv, quality_findings.csv), which the provincial scheme reads.
    """
    persons = persons or DEFAULT_PERSONS
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    profiles = province_profiles(seed, persons)
    all_counties = [(p, c) for p in profiles for c in p.counties]
    rng = random_streams.panel_rng(seed, 3)  # county sizes: the same every year
    weights = rng.uniform(0.5, 1.5, len(all_counties))
    per_county = np.maximum(50, np.round(weights / weights.sum() * persons)).astype(int)

    households_sink = _ParquetSink(directory / "households.parquet")
    persons_sink = _ParquetSink(directory / "persons.parquet")
    field_rows, survey_rows, finding_rows = [], [], []
    policy_rows, integration_rows = [], []
    previous_ids: np.ndarray | None = None
    try:
        for k, ((profile, county), size) in enumerate(zip(all_counties, per_county, strict=True)):
            households, members = _households(profile, county, int(size), seed, k)
            households = with_livelihoods(households, profile.quality, seed, k)
            local = random_streams.rng(seed, 4, k)
            # the registry's wrong IDs stay wrong from year to year: a panel stream
            inject_id_errors(members, random_streams.panel_rng(seed, 4, k), previous_ids)
            previous_ids = members["person_id"][: min(1000, len(members["person_id"]))]
            households_sink.write(households)
            persons_sink.write(members)
            field_rows += _field_checks(profile, county, households, local)
            survey_rows.append(_survey_row(profile, county, households, local))
            policy_rows.append(policy_row(profile.quality, county, households, seed, k))
            integration_rows.append(integration_row(profile.quality, county, seed, k))
            finding_rows += _findings(profile, county, local)
            if progress:
                progress(len(members["person_id"]))
    finally:
        households_sink.close()
        persons_sink.close()

    _write_units(directory, profiles)
    write_csv(
        directory / "field_checks.csv",
        list(load_schema("field_checks").model.columns),  # the declared order
        field_rows,
    )
    write_csv(
        directory / "monitoring_survey.csv",
        [
            "unit",
            "rural_population",
            "income_per_capita",
            "income_per_capita_last",
            "poor_county",
            "exit_planned",
            "exited",
            "period",
        ],
        survey_rows,
    )
    write_csv(directory / "policy_implementation.csv", policy_header(), policy_rows)
    write_csv(directory / "fund_integration.csv", integration_header(), integration_rows)
    write_csv(
        directory / "fund_evaluation.csv",
        ["unit", "fund_score", "period"],
        [
            [
                p.province.code,
                round(
                    float(
                        np.clip(
                            62 + 34 * p.quality + random_streams.rng(seed, 5, i).normal(0, 3),
                            0,
                            100,
                        )
                    ),
                    1,
                ),
                period(),
            ]
            for i, p in enumerate(profiles)
        ],
    )
    for i, profile in enumerate(profiles):
        if profile.fabricates:
            finding_rows.append(
                [
                    profile.province.code,
                    "弄虚作假",
                    int(1 + random_streams.rng(seed, 6, i).integers(3)),
                    period(),
                ]
            )
    # the provinces' fabrication rows above have no origin: found by the assessment's checks
    write_csv(
        directory / "findings.csv",
        ["unit", "kind", "cases", "period", "origin"],
        [row if len(row) == 5 else [*row, "考核核查"] for row in finding_rows],
    )
    header, rows = bank_rows(seed, period())
    write_csv(directory / "bank_figures.csv", header, rows)
    if derived and year() <= CAMPAIGN_END:  # after 2020 no registry exit test to verify
        run_verification(
            directory,
            None,
            period=period(),
            sources_into=directory,
            memory_limit=DERIVED_MEMORY_LIMIT,
        )


def _field_checks(profile: ProvinceProfile, county: County, households: dict, rng) -> list[list]:
    """Third-party verification: sampled registered households plus non-registered ones."""
    q = profile.quality
    n = len(households["household_id"])
    error = 0.002 + 0.035 * (1 - q) ** 2
    recognition = 0.86 + 0.13 * q
    rows = []
    # two strata, each weighted by its own size: the registered poor (at least 5 of them, so
    # that 错评 can be estimated even in 2020, when few are left) and the rest, 30 in all
    poor = np.flatnonzero(households["status"] == "在册贫困户")
    rest = np.flatnonzero(households["status"] != "在册贫困户")
    take_poor = min(len(poor), max(5, round(30 * len(poor) / n)))
    take_rest = min(len(rest), 30 - take_poor)
    sampled, weights = [], []
    for stratum, take in ((poor, take_poor), (rest, take_rest)):
        if take:
            sampled += np.sort(rng.choice(stratum, size=take, replace=False)).tolist()
            weights += [round(len(stratum) / take, 4)] * take
    for i, weight in zip(sampled, weights, strict=True):
        exited = households["status"][i] == "已脱贫户"
        wrong = rng.random() < error
        verdict = ("错退" if exited else "错评") if wrong else "正确"
        rows.append(
            [
                county.code,
                households["household_id"][i],
                "true",
                flag(exited),
                verdict,
                flag(rng.random() < recognition),
                flag(rng.random() < recognition + 0.02),
                flag(rng.random() < recognition + 0.01),
                round(float(households["income_per_capita"][i]) * rng.uniform(0.9, 1.05), 1),
                weight,
                county.code,
                period(),
            ]
        )
    for j in range(10):  # non-registered households in the sampled villages, for 漏评
        omitted = rng.random() < error
        income = float(rng.lognormal(np.log(poverty_line() * (0.88 if omitted else 1.87)), 0.2))
        rows.append(
            [
                county.code,
                f"N{county.code}{j:04d}",
                "false",
                "false",
                "漏评" if omitted else "正确",
                flag(rng.random() < recognition),
                flag(rng.random() < recognition),
                flag(rng.random() < recognition),
                round(income, 1),
                round(n / 10, 4),
                county.code,
                period(),
            ]
        )
    return rows


def _survey_row(profile: ProvinceProfile, county: County, households: dict, rng) -> list:
    q = profile.quality
    registry = int(np.sum(households["size"]))
    rural_population = int(registry * rng.uniform(15.0, 30.0))
    growth = 0.05 + 0.07 * q + rng.normal(0, 0.01)
    income = rng.uniform(7000, 12000)
    poor_county = rng.random() < 0.7
    planned = poor_county and rng.random() < 0.4
    exited = planned and rng.random() < 0.75 + 0.25 * q
    return [
        county.code,
        rural_population,
        round(income, 1),
        round(income / (1 + growth), 1),
        flag(poor_county),
        flag(planned),
        flag(exited),
        period(),
    ]


# Where each kind of problem is found (问题来源), most likely first: misuse of funds by audits,
# incomplete files by the assessment's checks, breaches of the prohibitions by media visits.
_ORIGINS = {
    "挪用资金": ["审计", "巡视", "督查"],
    "档案不全": ["考核核查", "第三方评估", "督查", "巡视"],
    "违反禁止性规定": ["媒体暗访", "督查", "巡视"],
}


def _findings(profile: ProvinceProfile, county: County, rng) -> list[list]:
    rows = []
    q = profile.quality
    if rng.random() < 0.025 * (1.5 - q):
        rows.append([county.code, "挪用资金", int(1 + rng.integers(2)), period()])
    if rng.random() < 0.15:
        rows.append([county.code, "档案不全", int(1 + rng.integers(5)), period()])
    if rng.random() < 0.01 * (1.5 - q):
        rows.append([county.code, "违反禁止性规定", 1, period()])
    # origins drawn after the kinds, so the kinds and cases stay those of earlier demos
    for row in rows:
        choices = _ORIGINS[row[1]]
        row.append(choices[0] if rng.random() < 0.5 else str(rng.choice(choices)))
    return rows


def _write_units(directory: Path, profiles: list[ProvinceProfile]) -> None:
    rows = [["000000", "全国", "", "nation", "region", "", "", "", ""]]
    for p in profiles:
        rows.append(
            [
                p.province.code,
                p.province.name,
                "000000",
                "province",
                "region",
                p.province.region,
                flag(p.province.western),
                "",
                p.reduction_plan,
            ]
        )
        for c in p.counties:
            rows.append(
                [
                    c.code,
                    c.name,
                    p.province.code,
                    "county",
                    "region",
                    p.province.region,
                    flag(p.province.western),
                    "",
                    "",
                ]
            )
    for code, name, group in banks():
        rows.append([code, name, "", "bank", "bank", "", "", group, ""])
    write_csv(
        directory / "units.csv",
        [
            "unit",
            "name",
            "parent",
            "level",
            "kind",
            "region",
            "western",
            "peer_group",
            "reduction_plan",
        ],
        rows,
    )
