"""Assignment of sampled units to verification teams by lot: never a team's own province."""

from __future__ import annotations

import pytest
from tests.support.verify import write_units

from kaohe.data.units import load_units
from kaohe.errors import DataError
from kaohe.verify.assignment import Team, assign_teams, province_of, read_teams

TEAMS = [
    Team("T13a", "130000"),
    Team("T13b", "130000"),
    Team("T62", "620000"),
    Team("T45", "450000"),
]


@pytest.fixture
def provinces(tmp_path):
    write_units(tmp_path)
    return province_of(load_units(tmp_path, {}))


def test_no_team_checks_its_own_province_and_loads_balance(provinces):
    groups = {"130224": 30, "130529": 30, "620525": 30, "620825": 30}
    result = assign_teams(groups, provinces, TEAMS, seed=2019)
    assert {a.group for a in result} == set(groups)
    for a in result:
        assert a.team_province != a.province
    loads = {}
    for a in result:
        loads[a.team] = loads.get(a.team, 0) + a.items
    # Four groups of 30 over four teams: the greedy lot gives each team one group.
    assert sorted(loads.values()) == [30, 30, 30, 30]


def test_the_lot_is_reproducible_and_depends_on_the_seed(provinces):
    groups = {"130224": 5, "130529": 7, "620525": 3, "620825": 9}
    first = assign_teams(groups, provinces, TEAMS, seed=1)
    assert first == assign_teams(groups, provinces, TEAMS, seed=1)
    outcomes = {
        tuple((a.group, a.team) for a in assign_teams(groups, provinces, TEAMS, seed=s))
        for s in range(20)
    }
    assert len(outcomes) > 1


def test_a_province_without_outside_teams_is_an_error(provinces):
    with pytest.raises(DataError, match="no team from another province"):
        assign_teams({"130224": 4}, provinces, [Team("T13", "130000")], seed=1)


def test_units_without_a_province_are_named(provinces):
    with pytest.raises(DataError, match="cannot tell the province of: 999999"):
        assign_teams({"999999": 1}, provinces, TEAMS, seed=1)


def test_teams_file_errors_name_the_line(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text("team,province\nA,130000\nA,620000\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3: team A appears twice"):
        read_teams(path)
    path.write_text("name,province\nA,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns team"):
        read_teams(path)
