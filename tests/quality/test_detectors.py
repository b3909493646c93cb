"""The detectors on small hand-made registries: duplicates, implausible records, cross-source
checks, eligibility flags — each finding counted by hand."""

from __future__ import annotations

import pytest
from tests.support.verify import (
    field_check,
    household,
    person,
    resident_id,
    write_csv,
    write_parquet,
    write_units,
)

from kaohe.quality.quality_rules import load_quality_rules
from kaohe.quality.registry import DETECTORS, run_detectors
from kaohe.verify.inputs import open_inputs

LINE = 3747


@pytest.fixture
def data(tmp_path):
    write_units(tmp_path)
    shared = resident_id("130224", "19700101", 5)
    twice_in_household = resident_id("130224", "19750101", 6)
    across_counties = resident_id("130224", "19800101", 7)
    across_provinces = resident_id("620525", "19850101", 8)
    persons = [
        person("130224", shared, "A1"),
        person("130224", shared, "A2"),  # across households of 130224
        person("130224", twice_in_household, "A1"),
        person("130224", twice_in_household, "A1"),  # within household A1
        person("130224", across_counties, "A3"),
        person("130529", across_counties, "B1"),  # across counties of 河北
        person("620525", across_provinces, "C1"),
        person("130529", across_provinces, "B1"),  # across provinces
        person("130529", resident_id("130529", "19900101", 9), "B1", age=130),  # implausible age
    ]
    write_parquet(tmp_path / "persons.parquet", persons)
    write_parquet(
        tmp_path / "households.parquet",
        [
            household("130224", "A1", LINE + 100, size=4),
            household("130224", "A2", LINE - 50, size=1),  # exited below the line
            household("130224", "A3", LINE + 100, size=1, income_last_year=100.0),  # ×38 jump
            household("130529", "B1", LINE + 100, size=25),  # implausible size
            household("620525", "C1", LINE + 100, size=1),
        ],
    )
    write_csv(
        tmp_path / "field_checks.csv",
        [
            field_check("130224", "A1"),
            field_check("130224", "A9"),  # registered, yet not in the registry
            field_check("130529", "B1", exited=False),  # registry says 已脱贫户
            field_check("620525", "C1", registered=False, exited=False),  # yet in the registry
        ],
    )
    return tmp_path


def findings_of(data, only):
    with open_inputs(data) as inputs:
        return run_detectors(inputs, load_quality_rules(), only=only)


def test_duplicates_by_scope(data):
    result = findings_of(data, ["duplicate_ids"])
    got = {(f.unit, f.rule): (f.count, f.severity) for f in result.findings}
    assert got == {
        ("130224", "duplicate_resident_id_within_household"): (2, "一般"),
        ("130224", "duplicate_resident_id_across_households"): (2, "严重"),
        ("130224", "duplicate_resident_id_across_counties"): (1, "严重"),
        ("130529", "duplicate_resident_id_across_counties"): (1, "严重"),
        ("130529", "duplicate_resident_id_across_provinces"): (1, "严重"),
        ("620525", "duplicate_resident_id_across_provinces"): (1, "严重"),
    }
    evidence = {f.unit: f.evidence for f in result.findings if f.rule.endswith("provinces")}
    assert "also in 130529" in evidence["620525"]


def test_implausible_records(data):
    result = findings_of(data, ["implausible_records"])
    got = {(f.unit, f.rule): f.count for f in result.findings}
    assert got == {
        ("130529", "implausible_age"): 1,
        ("130529", "implausible_household_size"): 1,
        ("130224", "implausible_income_jump"): 1,
    }


def test_cross_source_checks(data):
    result = findings_of(data, ["cross_source"])
    got = {(f.unit, f.rule): f.count for f in result.findings}
    # Household sizes: 130224 has 4 + 1 + 1 = 6 against 5 person records; 130529: 25 against 3;
    # 620525: 1 against 1. Field checks: A9 is not in the registry; B1 and C1 are 已脱贫户 in the
    # registry but were checked as not exited; C1 is also checked as not registered.
    assert got == {
        ("130224", "cross_source_household_size_vs_persons"): 1,
        ("130529", "cross_source_household_size_vs_persons"): 22,
        ("130224", "cross_source_checked_registered_not_in_registry"): 1,
        ("620525", "cross_source_checked_unregistered_in_registry"): 1,
        ("130529", "cross_source_exit_status_differs"): 1,
        ("620525", "cross_source_exit_status_differs"): 1,
    }
    notes = {n.rule for n in result.notes}
    assert "cross_source_registry_within_rural_population" in notes  # no monitoring survey


def test_eligibility_flags_become_findings(data):
    result = findings_of(data, ["eligibility_flags"])
    assert [(f.unit, f.rule, f.count, f.severity) for f in result.findings] == [
        ("130224", "eligibility_exited_below_line", 1, "严重")
    ]


def test_unknown_detector_is_a_usage_error(data):
    from kaohe.errors import UsageError

    with pytest.raises(UsageError, match="unknown detector benfrod"):
        findings_of(data, ["benfrod"])


def test_scope_uses_every_unit_of_a_duplicate_not_just_min_and_max():
    from kaohe.quality.duplicate_ids import scope_of

    provinces = {"110101": "110000", "130224": "130000", "130529": "130000"}
    assert scope_of(["A", "A"], ["130224", "130224"], provinces) == "within_household"
    assert scope_of(["A", "B"], ["130224", "130224"], provinces) == "across_households"
    assert scope_of(["A", "B"], ["130224", "130529"], provinces) == "across_counties"
    # The middle unit sits in another province: min and max alone would share a province.
    units = ["130224", "110101", "130529"]
    assert scope_of(["A", "B", "C"], units, {**provinces, "110101": "990000"}) == "across_provinces"


def test_detectors_are_counted_one_by_one(data):
    calls: list[tuple[int, int, str]] = []
    with open_inputs(data) as inputs:
        run_detectors(
            inputs,
            load_quality_rules(),
            progress=lambda done, total, name: calls.append((done, total, name)),
        )
    assert [done for done, _, _ in calls] == list(range(len(DETECTORS) + 1))
    assert {total for _, total, _ in calls} == {len(DETECTORS)}
    assert [name for _, _, name in calls] == [name for name, _ in DETECTORS] + [""]


def test_only_the_chosen_detectors_are_counted(data):
    calls: list[tuple[int, int, str]] = []
    with open_inputs(data) as inputs:
        run_detectors(
            inputs,
            load_quality_rules(),
            only=["benford", "duplicate_ids"],
            progress=lambda *call: calls.append(call),
        )
    assert calls == [(0, 2, "duplicate_ids"), (1, 2, "benford"), (2, 2, "")]
