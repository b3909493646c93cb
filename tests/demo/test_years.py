"""issue 15: the demo is a panel over 2016–2023: the same households and persons every year,
registry movements between years, each year's poverty line, each scheme in its own era."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from pydantic import ValidationError

from kaohe.demo.generate import generate_demo
from kaohe.demo.job import DEMO_SCHEMES, schemes_of_year
from kaohe.demo.world import poverty_line
from kaohe.demo.years import DEMO_YEARS, demo_year, parse_years
from kaohe.scheme.model import Years

PERSONS = 6_000


def _panel(tmp_path, years):
    for year in years:
        with demo_year(year):
            generate_demo(tmp_path / str(year), 2016, PERSONS, derived=False)
    return tmp_path


def _rows(path, sql):
    with duckdb.connect() as con:
        return con.execute(sql.replace("FILE", f"read_parquet('{path}')")).fetchall()


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """Two years of a small panel, generated together."""
    return _panel(tmp_path_factory.mktemp("panel"), (2017, 2018))


def test_the_same_households_and_persons_move_through_the_registry(panel):
    root = panel
    ids = {
        y: _rows(root / str(y) / "persons.parquet", "SELECT person_id, household_id FROM FILE")
        for y in (2017, 2018)
    }
    assert ids[2017] == ids[2018]
    end_2017 = {
        h for (h,) in _rows(root / "2017/households.parquet",
                            "SELECT household_id FROM FILE WHERE status = '在册贫困户'")
    }  # fmt: skip
    start_2018 = {
        h for (h,) in _rows(root / "2018/persons.parquet",
                            "SELECT DISTINCT household_id FROM FILE WHERE poor_at_start")
    }  # fmt: skip
    moved = {
        h: m for (h, m) in _rows(root / "2018/households.parquet",
                            "SELECT household_id, registry_movement FROM FILE WHERE registry_movement <> ''")
    }  # fmt: skip
    assert end_2017 <= start_2018
    # poor at the start of 2018: the poor of the end of 2017, the returned and the new
    assert start_2018 - end_2017 == {h for h, m in moved.items() if m in ("返贫", "新识别")}
    moves = dict(_rows(root / "2018/households.parquet",
                       "SELECT registry_movement, count(*) FROM FILE GROUP BY 1"))  # fmt: skip
    assert moves["脱贫"] > 0 and moves["新识别"] > 0 and moves["返贫"] > 0
    ages = _rows(root / "2018/persons.parquet", "SELECT min(age) FROM FILE")[0][0]
    assert ages == _rows(root / "2017/persons.parquet", "SELECT min(age) FROM FILE")[0][0] + 1


def test_a_year_is_the_same_whichever_years_are_generated(tmp_path):
    alone = _panel(tmp_path / "alone", (2021,))
    together = _panel(tmp_path / "together", (2020, 2021))
    for name in ("households.parquet", "persons.parquet", "units.csv", "findings.csv"):
        a, b = (
            hashlib.sha256((r / "2021" / name).read_bytes()).digest() for r in (alone, together)
        )
        assert a == b, name


def test_each_year_measures_against_its_own_line():
    lines = {}
    for year in DEMO_YEARS:
        with demo_year(year):
            lines[year] = poverty_line()
    assert lines[2020] == 4000  # policy.md: about ¥4,000 in 2020
    assert lines[2016] < lines[2018] < lines[2020]
    assert lines[2021] == lines[2022] == lines[2023] == lines[2020]  # assumed held after 2020


def test_every_scheme_runs_in_its_era():
    campaign = {"provincial-effectiveness-2016", "fund-performance-2017",
                "east-west-cooperation-2017", "east-west-cooperation-west-2017",
                "paired-assistance-2017"}  # fmt: skip
    transition = {"financial-institutions-2021", "linkage-fund-2021", "rural-revitalization-2021"}
    assert set(schemes_of_year(2016)) == {"provincial-effectiveness-2016", "special-post-teachers"}
    assert set(schemes_of_year(2020)) == campaign | {"special-post-teachers"}
    for year in (2021, 2022, 2023):
        assert set(schemes_of_year(year)) == transition | {"special-post-teachers"}
    assert {s for y in DEMO_YEARS for s in schemes_of_year(y)} == set(DEMO_SCHEMES)


@pytest.mark.parametrize(
    ("spec", "years"),
    [(None, DEMO_YEARS), ("2020-2021", (2020, 2021)), ("2019", (2019,))],
)
def test_years_option(spec, years):
    assert parse_years(spec) == years


@pytest.mark.parametrize("spec", ["2015", "2021-2020", "2016-2030", "twenty"])
def test_years_option_refuses_what_the_demo_has_not(spec):
    with pytest.raises(ValueError, match="2016"):
        parse_years(spec)


def test_a_scheme_era_is_checked():
    assert Years(first=2016, last=2020).covers(2020) and not Years(first=2016, last=2020).covers(
        2021
    )
    assert Years(first=2021).covers(2030)
    with pytest.raises(ValidationError, match="last"):
        Years(first=2021, last=2020)
