"""Issue 15, part 2: 政策落实 (policy implementation), the fund indicators 整合使用成效 and 结转结余率,
and 内生动力 (internal motivation) in the bundled schemes, each scored on a tiny hand-made data
set and checked against a computation by hand.

The rest of each scheme reads the session's demo data (a copy); only the new sources are
replaced by a few rows for the first province's first two counties (A and B below), so that
province's new figures are exactly the ones computed in the comments. Points of an indicator =
normalized score × its share of its node's points (docs/schemes.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kaohe.demo.fund_year import write_funds_demo
from kaohe.demo.sectors import write_sector_demo
from kaohe.run import assess
from kaohe.run.results_table import result_rows
from kaohe.scheme import load_scheme

SEED = 7
PERIOD = "2019"

# policy_implementation, per county (A, B)
POLICY_COLUMNS = (
    "industry_eligible", "industry_supported",  # able to take up industry support / covered
    "relocated_labour_households", "relocated_employed_households",  # with labour / in work
    "sites_planned", "sites_completed",  # relocation sites
    "school_age_children", "children_out_of_school",
    "registered_persons", "insured_persons",
    "dangerous_houses", "houses_renovated",
)  # fmt: skip
POLICY = [
    (60, 48, 10, 9, 2, 1, 100, 0, 300, 294, 10, 8),
    (40, 36, 0, 0, 0, 0, 100, 1, 200, 200, 10, 6),
]
# fund_integration, per county (A, B), amounts in 万元
INTEGRATION_COLUMNS = (
    "integration_plan", "integrated_funds", "integrated_spent_library", "funds_available",
    "funds_unspent",
)  # fmt: skip
INTEGRATION = [("true", 600, 480, 1000, 100), ("false", 400, 360, 1000, 200)]
# households of county A: two that left poverty, one still poor (not counted)
HOUSEHOLD_COLUMNS = (
    "status", "size", "income_per_capita", "income_last_year", "wage_income",
    "production_income", "labour_members", "labour_employed", "labour_trained",
)  # fmt: skip
HOUSEHOLDS = [
    ("已脱贫户", 2, 5000, 4500, 2500, 1000, 2, 2, 1),
    ("已脱贫户", 3, 6000, 5000, 2000, 1000, 1, 0, 0),
    ("在册贫困户", 4, 3000, 2800, 100, 100, 3, 3, 3),
]

# The province's values, by hand (the same in every scheme that reads them):
#   industry coverage      (48 + 36) / (60 + 40)    = 0.84
#   relocation employment  9 / 10                   = 0.9   (B relocated nobody)
#   relocation sites       1 / 2                    = 0.5
#   dropout rate           (0 + 1) / (100 + 100)    = 0.005
#   insurance coverage     (294 + 200) / (300 + 200) = 0.988
#   housing renovation     (8 + 6) / (10 + 10)      = 0.7
#   integration use        (480 + 360) / (600 + 400) = 0.84
#   integration plans      1 of 2 counties          = 0.5
#   carry-over rate        (100 + 200) / (1000 + 1000) = 0.15
# Normalized with the schemes' default (open) parameters:
#   industry coverage      goalposts 0.6–1: (0.84 − 0.6) / 0.4   = 0.6
#   relocation employment  goalposts 0.6–1: (0.9 − 0.6) / 0.4    = 0.75
#   relocation sites       target 1: 0.5 / 1                     = 0.5
#   dropout rate           goalposts 0–0.01, lower: 1 − 0.005/0.01 = 0.5
#   insurance coverage     goalposts 0.95–1: (0.988 − 0.95) / 0.05 = 0.76
#   housing renovation     goalposts 0.6–1: (0.7 − 0.6) / 0.4    = 0.25
#   integration use        target 0.9: 0.84 / 0.9                = 0.933333
#   integration plans      target 1: 0.5                         = 0.5
#   carry-over rate        goalposts 0.05–0.3, lower: 1 − (0.15 − 0.05)/0.25 = 0.6
NORMALIZED = {
    "industry_coverage": 0.6,
    "relocation_employment": 0.75,
    "relocation_sites": 0.5,
    "dropout_rate": 0.5,
    "insurance_coverage": 0.76,
    "housing_renovation": 0.25,
    "integration_use": 0.84 / 0.9,
    "integration_plans": 0.5,
    "carryover_rate": 0.6,
}


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _first_province(data: Path) -> tuple[str, list[str]]:
    """The first province with a poor county due to exit (so that no area of the fund scheme is
    re-weighted: its county_exit has a value), and its first two counties."""
    with (data / "units.csv").open(encoding="utf-8") as handle:
        parent = {u["unit"]: u["parent"] for u in csv.DictReader(handle) if u["level"] == "county"}
    with (data / "monitoring_survey.csv").open(encoding="utf-8") as handle:
        exiting = {
            parent[r["unit"]]
            for r in csv.DictReader(handle)
            if r["poor_county"] == "true" and r["exit_planned"] == "true"
        }
    province = min(exiting)
    return province, sorted(c for c, p in parent.items() if p == province)[:2]


@pytest.fixture(scope="module")
def tiny(copy_demo) -> tuple[Path, str]:
    """The demo (with the funds and sector sources) whose new sources hold only the rows above."""
    data = copy_demo("issue-15-areas")
    write_funds_demo(data, SEED)
    write_sector_demo(data, SEED)
    province, counties = _first_province(data)

    def rows(columns: tuple[str, ...], values: list[tuple], units: list[str]) -> list[dict]:
        return [
            {"unit": unit, **dict(zip(columns, row, strict=True)), "period": PERIOD}
            for unit, row in zip(units, values, strict=True)
        ]

    _write(data / "policy_implementation.csv", rows(POLICY_COLUMNS, POLICY, counties))
    _write(data / "fund_integration.csv", rows(INTEGRATION_COLUMNS, INTEGRATION, counties))
    (data / "households.parquet").unlink()
    households = rows(HOUSEHOLD_COLUMNS, HOUSEHOLDS, counties[:1] * len(HOUSEHOLDS))
    for i, household in enumerate(households):
        household["household_id"] = f"h{i}"
    _write(data / "households.csv", households)
    return data, province


def _row(scheme: str, tiny: tuple[Path, str]) -> dict:
    data, province = tiny
    (row,) = [r for r in result_rows(assess(scheme, data, None, period=PERIOD).state)
              if r["unit"] == province]  # fmt: skip
    return row


def _expect(row: dict, points: dict[str, float]) -> None:
    for indicator, share in points.items():
        assert row[indicator] == pytest.approx(NORMALIZED[indicator] * share, abs=1e-6), indicator


def test_provincial_scheme_scores_implementation_and_the_fund_indicators(tiny):
    row = _row("provincial-effectiveness-2016", tiny)
    # 政策落实 has 15 points; the weights 3:2:2:3:2:3 add up to 15, so each indicator's share is
    # its weight: 3 × 0.6 + 2 × 0.75 + 2 × 0.5 + 3 × 0.5 + 2 × 0.76 + 3 × 0.25
    #            = 1.8 + 1.5 + 1.0 + 1.5 + 1.52 + 0.75 = 8.07
    _expect(row, {"industry_coverage": 3, "relocation_employment": 2, "relocation_sites": 2,
                  "dropout_rate": 3, "insurance_coverage": 2, "housing_renovation": 3})  # fmt: skip
    assert row["implementation"] == pytest.approx(8.07, abs=1e-6)
    # 扶贫资金 has 20 points, weights 14:3:3: integration use 3 × 0.933333 = 2.8, carry-over
    # 3 × 0.6 = 1.8; the fund evaluation's score keeps its 14 points × score / 100
    _expect(row, {"integration_use": 3, "carryover_rate": 3})
    assert row["funds"] == pytest.approx(row["fund_performance"] + 2.8 + 1.8, abs=1e-6)
    assert row["carryover_rate.value"] == pytest.approx(0.15)


def test_provincial_areas_still_add_up_to_100():
    tree = load_scheme("provincial-effectiveness-2016").tree
    points = {node.id: node.points for node in tree.children}
    assert points == {"reduction": 25, "identification": 20, "assistance": 20,
                      "implementation": 15, "funds": 20}  # fmt: skip
    assert sum(points.values()) == 100


def test_fund_scheme_scores_integrated_use_and_the_carry_over_rate(tiny):
    row = _row("fund-performance-2017", tiny)
    # 资金使用成效 (40 points) has five equal indicators, 8 points each: integration use
    # 8 × 0.933333 = 7.466667, integration plans 8 × 0.5 = 4; 资金拨付 (20 points) three, 6.666667
    # each: carry-over 6.666667 × 0.6 = 4
    _expect(row, {"integration_use": 8, "integration_plans": 8, "carryover_rate": 20 / 3})
    assert row["integration_plans.value"] == pytest.approx(0.5)


def test_transition_scheme_scores_implementation_and_motivation(tiny):
    row = _row("rural-revitalization-2021", tiny)
    # 政策落实 (12 of the 74 results points) has five equal indicators, 2.4 points each:
    # 2.4 × (0.6 + 0.75 + 0.5 + 0.76 + 0.25) = 2.4 × 2.86 = 6.864
    _expect(row, {"industry_coverage": 2.4, "relocation_employment": 2.4, "dropout_rate": 2.4,
                  "insurance_coverage": 2.4, "housing_renovation": 2.4})  # fmt: skip
    assert row["implementation"] == pytest.approx(6.864, abs=1e-6)
    # 内生动力 (10 points), three equal indicators of 3.333333, over the two households that left
    # poverty: labour 2 + 1 = 3, employed 2 → 0.666667 / target 0.8 = 0.833333 → 2.777778;
    # trained 1 → 0.333333 / target 0.3, capped at 1 → 3.333333; income from wages and own
    # production (2500 + 1000) × 2 + (2000 + 1000) × 3 = 16000 of 5000 × 2 + 6000 × 3 = 28000
    # → 0.571429 / target 0.7 = 0.816327 → 2.721088. Together 8.832200.
    assert row["labour_employment.value"] == pytest.approx(2 / 3)
    assert row["labour_training.value"] == pytest.approx(1 / 3)
    assert row["work_income_share.value"] == pytest.approx(16000 / 28000)
    assert row["labour_employment"] == pytest.approx(2.777778, abs=1e-6)
    assert row["labour_training"] == pytest.approx(3.333333, abs=1e-6)
    assert row["work_income_share"] == pytest.approx(2.721088, abs=1e-6)
    assert row["motivation"] == pytest.approx(8.832200, abs=1e-6)


def test_transition_results_keep_their_74_points():
    results = next(n for n in load_scheme("rural-revitalization-2021").tree.children
                   if n.id == "results")  # fmt: skip
    points = {node.id: node.points for node in results.children}
    assert points == {"prevention": 22, "exit_quality": 12, "industry": 18,
                      "implementation": 12, "motivation": 10}  # fmt: skip
    assert sum(points.values()) == results.points == 74
