"""Eligibility rules over the registry, reconciliation, registry ratios and rules-file errors —
on small data directories whose counts are checked by hand."""

from __future__ import annotations

import duckdb
import pytest
from tests.support.verify import (
    field_check,
    household,
    person,
    write_csv,
    write_parquet,
    write_units,
)

from kaohe.errors import DataError, SchemeError
from kaohe.verify.eligibility import evaluate_eligibility
from kaohe.verify.inputs import open_inputs
from kaohe.verify.ratios import unit_ratios
from kaohe.verify.reconciliation import CONSISTENT, OVER, reconcile_units
from kaohe.verify.verification_rules import load_eligibility_rules, load_verification_rules

LINE = 3747  # the bundled rules' line for 2019


@pytest.fixture
def registry(tmp_path):
    write_units(tmp_path)
    write_parquet(
        tmp_path / "households.parquet",
        [
            household("130224", "A1", LINE + 500),  # exited, fine
            household("130224", "A2", LINE - 1),  # exited below the line → 错退
            household("130224", "A3", LINE + 900, water_ok=False),  # exited, no safe water → 错退
            household("130224", "A4", LINE - 10, water_ok=False),  # both 错退 rules
            household("130529", "B1", 2.5 * LINE, "在册贫困户"),  # registered, far above → 错评
            household("130529", "B2", 1.5 * LINE, "在册贫困户"),  # registered, not far enough
            household(
                "620525", "C1", 2.5 * LINE, "在册贫困户", housing_ok=False
            ),  # guarantee missing
        ],
    )
    return tmp_path


def counts(items):
    return {(i.unit, i.rule): i.flagged for i in items if i.flagged}


def test_eligibility_flags_by_hand(registry, tmp_path):
    rules = load_eligibility_rules()
    with open_inputs(registry, sources=("households",)) as inputs:
        items = evaluate_eligibility(
            inputs, rules, ["county", "province", "nation"], tmp_path / "flagged.parquet"
        )
    assert counts(items) == {
        ("130224", "exited_below_line"): 2,
        ("130224", "exited_without_guarantees"): 2,
        ("130529", "registered_well_above_line"): 1,
        ("130000", "exited_below_line"): 2,
        ("130000", "exited_without_guarantees"): 2,
        ("130000", "registered_well_above_line"): 1,
        ("000000", "exited_below_line"): 2,
        ("000000", "exited_without_guarantees"): 2,
        ("000000", "registered_well_above_line"): 1,
    }
    by_key = {(i.unit, i.rule): i for i in items}
    assert by_key[("130224", "exited_below_line")].share == pytest.approx(2 / 4)
    assert by_key[("000000", "exited_below_line")].households == 7
    flagged = duckdb.sql(f"SELECT household_id FROM '{tmp_path / 'flagged.parquet'}'").fetchall()
    assert [h for (h,) in flagged] == ["A2", "A3", "A4", "B1"]


def test_a_period_without_a_poverty_line_is_named(registry):
    write_parquet(
        registry / "households.parquet", [household("130224", "A1", 100.0, period="2031")]
    )
    with (
        open_inputs(registry, sources=("households",)) as inputs,
        pytest.raises(DataError, match="no poverty line for period 2031"),
    ):
        evaluate_eligibility(inputs, load_eligibility_rules(), ["county"])


def test_reconciliation_claimed_against_verified(registry):
    write_csv(
        registry / "field_checks.csv",
        [
            field_check("130224", "A1", weight=10.0, income_verified=LINE + 500),
            field_check("130224", "A2", "错退", weight=10.0, income_verified=LINE - 800),
            field_check("130224", "A3", weight=20.0, income_verified=LINE + 900),
            field_check(
                "130529",
                "B1",
                registered=True,
                exited=False,
                weight=5.0,
                income_verified=2.5 * LINE,
            ),
        ],
    )
    rules = load_verification_rules()
    with open_inputs(registry) as inputs:
        items = {(r.unit, r.item): r for r in reconcile_units(inputs, rules, ["county"])}
    exits = items[("130224", "exits")]
    # Claimed: weights of households the registry says exited (10 + 10 + 20 = 40); verified: the
    # ones not found wrongly exited (10 + 20 = 30): 33% over-reported.
    assert (exits.claimed, exits.verified, exits.direction) == (40.0, 30.0, OVER)
    assert exits.discrepancy_rate == pytest.approx(10 / 30)
    assert exits.verification_factor == pytest.approx(0.75)
    assert (exits.households, exits.mismatched) == (3, 1)
    income = items[("130224", "income")]
    # Registry income of A2 is LINE − 1 against LINE − 800 found: 20% over, beyond the 10% tolerance.
    assert income.mismatched == 1
    assert income.claimed - income.verified == pytest.approx(10 * 799)
    assert items[("130529", "exits")].direction == CONSISTENT


def test_incidence_ratio_with_the_western_threshold(registry):
    write_parquet(
        registry / "persons.parquet",
        [person("130224", f"P{i}", "A1", poor_at_end=i < 3) for i in range(10)]
        + [person("620525", f"Q{i}", "C1", poor_at_end=i < 5) for i in range(10)],
    )
    write_csv(
        registry / "monitoring_survey.csv",
        [
            {"unit": u, "rural_population": 200, "income_per_capita": 9000, "income_per_capita_last": 8500,
             "poor_county": True, "exit_planned": True, "exited": True, "period": "2019"}
            for u in ("130224", "620525")
        ],
    )  # fmt: skip
    rules = load_verification_rules()
    with open_inputs(registry) as inputs:
        ratios = {(r.unit, r.ratio): r for r in unit_ratios(inputs, rules, ["county", "nation"])}
    assert ratios[("130224", "incidence")].value == pytest.approx(3 / 200)
    assert ratios[("620525", "incidence")].value == pytest.approx(5 / 200)
    assert ratios[("000000", "incidence")].value == pytest.approx(8 / 400)
    threshold = rules.model.ratios["incidence"].threshold
    assert threshold.bound_for({"western": "true"}) == 0.03
    assert threshold.bound_for({"western": "false"}) == 0.02


def test_rules_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "id: x\ntitle: t\npolicy_source: p\nconfidence: {value: 0.95}\n"
        'estimates:\n  wrong_exit:\n    label: 错退率\n    domain: "registred and exited"\n'
        "    event: \"verdict = '错退'\"\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemeError) as error:
        load_verification_rules(bad)
    assert f"{bad}:10: unknown field colour" in str(error.value)
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("    colour: red\n", ""), encoding="utf-8"
    )
    with pytest.raises(
        SchemeError, match=r"rules.yaml:8: unknown name registred \(did you mean registered"
    ):
        load_verification_rules(bad)


def test_bundled_rules_mark_their_status():
    model = load_verification_rules().model
    assert model.estimates["wrong_exit"].threshold.status == "confirmed"
    assert model.estimates["team_satisfaction"].threshold.status == "open"
    eligibility = load_eligibility_rules().model
    assert eligibility.poverty_line["2020"].status == "seed"
    assert {v.status for k, v in eligibility.poverty_line.items() if k != "2020"} == {"open"}
