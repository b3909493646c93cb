"""Measures roll up the unit hierarchy: counts and sums add, min/max combine, ratios are
recomputed from the rolled-up parts, and non-additive measures are recomputed from the rows."""

from __future__ import annotations

import pytest
from tests.support.engine import dump_yaml, per_unit, write_csv

from kaohe.run import assess
from kaohe.scheme import load_scheme

# Province P1 has a city M1 with counties C1 and C2, and a county C3 right under it; province P2
# has county C4 and no rows at all in P3.
UNITS = [
    ("P1", "甲省", "", "province"),
    ("M1", "甲市", "P1", "city"),
    ("C1", "一县", "M1", "county"),
    ("C2", "二县", "M1", "county"),
    ("C3", "三县", "P1", "county"),
    ("P2", "乙省", "", "province"),
    ("C4", "四县", "P2", "county"),
    ("P3", "丙省", "", "province"),
]
# person, household, county, poor, income
PERSONS = [
    ("p1", "h1", "C1", "true", 1000),
    ("p2", "h1", "C1", "true", 3000),
    ("p3", "h2", "C1", "false", 8000),
    ("p4", "h3", "C2", "true", 2000),  # C2: 1 of 1 poor
    ("p5", "h4", "C3", "false", 6000),
    ("p6", "h4", "C3", "false", 9000),
    ("p7", "h5", "C3", "false", 12000),
    ("p8", "h1", "C3", "false", 500),  # household h1 also in C3: distinct counts do not add
    ("p9", "h6", "C4", "true", 4000),
]

MEASURES = {
    "people": {"source": "persons", "expr": "count(*)"},
    "poor": {"source": "persons", "expr": "count(*) filter (where poor)"},
    "income_total": {"source": "persons", "expr": "sum(income)"},
    "lowest_income": {"source": "persons", "expr": "min(income)"},
    "highest_income": {"source": "persons", "expr": "max(income)"},
    "mean_income": {"source": "persons", "expr": "avg(income)"},
    "households": {"source": "persons", "expr": "count(distinct household)"},
}


def scheme(level: str, measures: dict | None = None) -> dict:
    return {
        "id": "rollup-test",
        "title": "汇总测试",
        "version": "1",
        "policy_source": "tests",
        "assesses": {"kind": "region", "level": level},
        "sources": {
            "persons": {"columns": {"household": "text", "poor": "boolean", "income": "number"}}
        },
        "measures": measures or MEASURES,
        "indicators": {
            "poverty_rate": {
                "expr": "poor / nullif(people, 0)",
                "direction": "lower",
                "score": {"method": "goalposts", "min": 0, "max": 1},
            }
        },
        "tree": ["poverty_rate"],
        "grading": {"bands": [[None, "—"]]},
    }


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    write_csv(folder / "units.csv", ["unit", "name", "parent", "level"], UNITS)
    write_csv(
        folder / "persons.csv",
        ["person", "household", "unit", "poor", "income"],
        [(p, h, u, poor, income) for p, h, u, poor, income in PERSONS],
    )
    return folder


def run(tmp_path, data, level: str, measures: dict | None = None):
    path = tmp_path / f"scheme-{level}.yaml"
    path.write_text(dump_yaml(scheme(level, measures)), encoding="utf-8")
    return assess(str(path), data, None)


def test_counts_and_sums_add_up_the_hierarchy(tmp_path, data):
    counties = run(tmp_path, data, "county")
    provinces = run(tmp_path, data, "province")
    people = per_unit(counties, "people")
    assert people == {"C1": 3, "C2": 1, "C3": 4, "C4": 1}
    assert per_unit(provinces, "people") == {"P1": 8, "P2": 1, "P3": None}
    assert per_unit(provinces, "poor") == {"P1": 3, "P2": 1, "P3": None}
    # a unit without rows in a (required) source has no evidence from it: even a count is
    # missing, not zero (measures/presence.py); a sum over no rows is missing anyway
    assert per_unit(provinces, "income_total") == {"P1": 41500, "P2": 4000, "P3": None}
    cities = run(tmp_path, data, "city")
    assert per_unit(cities, "people") == {"M1": 4}
    assert per_unit(cities, "income_total") == {"M1": 14000}


def test_min_and_max_roll_up(tmp_path, data):
    provinces = run(tmp_path, data, "province")
    assert per_unit(provinces, "lowest_income") == {"P1": 500, "P2": 4000, "P3": None}
    assert per_unit(provinces, "highest_income") == {"P1": 12000, "P2": 4000, "P3": None}


def test_a_ratio_is_recomputed_from_the_rolled_up_parts_not_averaged(tmp_path, data):
    counties = run(tmp_path, data, "county")
    provinces = run(tmp_path, data, "province")
    rates = per_unit(counties, "poverty_rate")
    assert rates == {"C1": pytest.approx(2 / 3), "C2": 1.0, "C3": 0.0, "C4": 1.0}
    # P1: 3 poor of 8 people, not the mean of 2/3, 1 and 0
    assert per_unit(provinces, "poverty_rate")["P1"] == pytest.approx(3 / 8)
    assert per_unit(provinces, "poverty_rate")["P3"] is None  # no people: no rate


def test_an_average_is_recomputed_from_the_rows(tmp_path, data):
    provinces = run(tmp_path, data, "province")
    # P1: (1000 + 3000 + 8000 + 2000 + 6000 + 9000 + 12000 + 500) / 8, not a mean of means
    assert per_unit(provinces, "mean_income")["P1"] == pytest.approx(41500 / 8)
    cities = run(tmp_path, data, "city")
    assert per_unit(cities, "mean_income") == {"M1": pytest.approx(3500.0)}


def test_a_distinct_count_is_recomputed_from_the_rows(tmp_path, data):
    counties = run(tmp_path, data, "county")
    provinces = run(tmp_path, data, "province")
    assert per_unit(counties, "households") == {"C1": 2, "C2": 1, "C3": 3, "C4": 1}
    # h1 lives in C1 and C3: five distinct households in P1, not 2 + 1 + 3 = 6
    assert per_unit(provinces, "households") == {"P1": 5, "P2": 1, "P3": None}


def test_how_each_measure_rolls_up_is_read_from_its_expression(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(dump_yaml(scheme("province")), encoding="utf-8")
    loaded = load_scheme(str(path))
    assert {name: e.rollup for name, e in loaded.measures.items()} == {
        "people": "sum",
        "poor": "sum",
        "income_total": "sum",
        "lowest_income": "min",
        "highest_income": "max",
        "mean_income": "recompute",
        "households": "recompute",
    }


def test_a_declared_rollup_overrides_the_automatic_one(tmp_path, data):
    # An assessor who knows household ids never cross counties may add the county counts
    # (cheaper than a distinct count per level); the declaration is honoured.
    measures = {
        **MEASURES,
        "households": {**MEASURES["households"], "rollup": "sum"},
        "people": {**MEASURES["people"], "rollup": "recompute"},
    }
    provinces = run(tmp_path, data, "province", measures)
    assert per_unit(provinces, "households")["P1"] == 6
    assert per_unit(provinces, "people") == {"P1": 8, "P2": 1, "P3": None}
