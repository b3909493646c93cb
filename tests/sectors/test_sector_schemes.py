"""The sector and transition schemes: valid, sourced, open values marked, and they run on the
demo's data with results that follow from it."""

from __future__ import annotations

import csv
import filecmp
from collections import Counter
from pathlib import Path

import pytest

from kaohe.demo.sectors import write_sector_demo
from kaohe.demo.sectors.units import append_units, read_units
from kaohe.run import assess
from kaohe.run.results_table import result_rows
from kaohe.scheme import bundled_schemes, load_scheme

SCHEMES = ("rural-revitalization-2021", "special-post-teachers", "east-west-cooperation-2017")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_scheme_is_bundled_valid_and_cites_its_source(scheme):
    assert scheme in bundled_schemes()
    loaded = load_scheme(scheme)
    assert "policy.md §" in loaded.model.policy_source
    text = bundled_schemes()[scheme].read_text(encoding="utf-8")
    assert text.startswith("# ") and "policy.md" in text.splitlines()[1]
    # every parameter says how sure we are, and the open ones are the majority of numbers
    statuses = Counter(p.status for p in loaded.model.parameters.values())
    assert statuses["open"] > 0 and set(statuses) <= {"confirmed", "seed", "open"}


def test_rural_revitalization_moves_weight_toward_results():
    tree = load_scheme("rural-revitalization-2021").tree
    points = {node.id: node.points for node in tree.children}
    assert points == {"results": 74, "process": 26}
    old = load_scheme("provincial-effectiveness-2016").tree
    assert {n.id for n in tree.walk()} & {"prevention", "exit_quality", "industry"}
    assert "poverty_reduction" in {n.id for n in old.walk()} - {n.id for n in tree.walk()}


def test_east_west_has_the_six_areas_and_four_tiers():
    loaded = load_scheme("east-west-cooperation-2017")
    assert [node.label for node in loaded.tree.children] == [
        "组织领导", "人才支援", "资金支持", "产业合作", "劳务协作", "携手奔小康",
    ]  # fmt: skip
    assert loaded.model.grading.grades == ["好", "较好", "一般", "较差"]
    assert [share for share in loaded.tree.shares] == [pytest.approx(1 / 6)] * 6


def rows_of(scheme: str, data: Path) -> list[dict]:
    return result_rows(assess(scheme, data, None, period="2019").state)


def test_rural_revitalization_runs_and_deducts_for_overdue_rectifications(sector_data):
    rows = rows_of("rural-revitalization-2021", sector_data)
    assert len(rows) == 22 and all(r["grade"] for r in rows)
    overdue = Counter()
    with (sector_data / "rectifications.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["overdue"] == "true" and row["scheme"] == "provincial-effectiveness-2016":
                overdue[row["unit"]] += 1
    assert overdue, "the demo's previous cycle should leave something overdue"
    parent = {row["unit"]: row["parent"] for row in read_units(sector_data)}
    misuse = Counter()
    with (sector_data / "findings.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "挪用资金" and row["period"] == "2019":
                province = (
                    row["unit"] if parent.get(row["unit"]) == "000000" else parent[row["unit"]]
                )
                misuse[province] += int(row["cases"])
    for row in rows:
        # 2 points per overdue item and per misuse case, each capped at 10
        expected = min(2 * overdue[row["unit"]], 10) + min(2 * misuse[row["unit"]], 10)
        assert row["deduction"] == pytest.approx(expected), row["unit"]
    assert any(overdue[r["unit"]] and r["deduction"] for r in rows)


def test_teachers_veto_caps_counties_that_owe_pay(sector_data):
    rows = rows_of("special-post-teachers", sector_data)
    owing = set()
    with (sector_data / "special_post_teachers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if float(row["pay_paid"]) < float(row["pay_due"]) * 0.999:
                owing.add(row["unit"])
    assert owing
    for row in rows:
        if row["unit"] in owing:
            assert row["grade"] in ("合格", "不合格") and row["arrears"] is True


def test_east_west_grades_the_eastern_units_and_vetoes_inflated_figures(sector_data):
    rows = rows_of("east-west-cooperation-2017", sector_data)
    assert {r["unit"] for r in rows} == {
        "E110000", "E120000", "E210000", "E310000", "E320000", "E330000", "E350000",
        "E370000", "E440000",
    }  # fmt: skip
    inflated = [r for r in rows if r["inflated"]]
    assert len(inflated) == 2 and all(r["grade"] == "较差" for r in inflated)
    # and the provincial scheme does not see them
    provincial = rows_of("provincial-effectiveness-2016", sector_data)
    assert len(provincial) == 22


def test_sector_demo_is_deterministic_and_appends_units_once(sector_data, demo_copy):
    again = demo_copy  # the shared demo data set before any sector source, writable
    write_sector_demo(again, 7)
    write_sector_demo(again, 7)  # a second time changes nothing
    for name in (
        "units.csv",
        "linkage_projects.csv",
        "county_exit_reviews.csv",
        "special_post_teachers.csv",
        "east_west_cooperation.csv",
        "rectifications.csv",
        "monitoring_results.parquet",
        "risk_events.parquet",
    ):
        assert filecmp.cmp(sector_data / name, again / name, shallow=False), name


def test_append_units_keeps_existing_rows(tmp_path):
    (tmp_path / "units.csv").write_text(
        "unit,name,parent,level,kind\n1,甲,,county,region\n", encoding="utf-8"
    )
    append_units(
        tmp_path, [{"unit": "1", "name": "改"}, {"unit": "E1", "name": "东", "kind": "assistance"}]
    )
    assert read_units(tmp_path) == [
        {"unit": "1", "name": "甲", "parent": "", "level": "county", "kind": "region"},
        {"unit": "E1", "name": "东", "parent": "", "level": "", "kind": "assistance"},
    ]


def _numbers(node, path=()):
    """Every number written in a part of a scheme document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


@pytest.mark.parametrize("scheme", SCHEMES)
def test_policy_numbers_are_parameters(scheme):
    """Targets, scoring bounds, points, cut-offs and amounts are `$parameters` (each with a
    status); only 0 and 1 (none, all, the ends of a share) are written as plain numbers."""
    from ruamel.yaml import YAML

    document = YAML(typ="safe").load(bundled_schemes()[scheme].read_text(encoding="utf-8"))
    parts = {
        k: document.get(k) for k in ("indicators", "tree", "adjustments", "grading", "outcomes")
    }
    literal = [(path, n) for path, n in _numbers(parts) if n not in (0, 1)]
    assert literal == []
