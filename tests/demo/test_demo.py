"""The demo: deterministic data, valid identifiers, and the main job end to end through the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import duckdb
from stdnum.cn import ric
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.demo.generate import generate_demo
from kaohe.demo.job import DEMO_SCHEMES, schemes_of_year

SMALL = 20_000


def _digest(directory: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
    }


# ``demo_data`` is the session's demo data set (tests/conftest.py), made by ``generate_demo``
# with the seed and size in ``demo_settings``.


def test_same_seed_gives_the_same_files(demo_data, demo_settings, tmp_path):
    again = tmp_path / "again"
    generate_demo(again, **demo_settings)
    assert _digest(again) == _digest(demo_data)


def test_another_seed_gives_other_figures(demo_data, demo_settings, tmp_path):
    other = tmp_path / "other"
    seed, persons = demo_settings["seed"] + 1, demo_settings["persons"]
    generate_demo(other, seed=seed, persons=persons, derived=False)  # persons.parquet is enough
    assert _digest(other)["persons.parquet"] != _digest(demo_data)["persons.parquet"]


def test_units_hold_the_22_provinces_with_real_codes_and_counties(demo_data):
    with (demo_data / "units.csv").open(encoding="utf-8") as handle:
        units = list(csv.DictReader(handle))
    provinces = {u["unit"]: u["name"] for u in units if u["level"] == "province"}
    assert len(provinces) == 22
    assert provinces["520000"] == "贵州省"
    assert provinces["650000"] == "新疆维吾尔自治区"
    counties = [u for u in units if u["level"] == "county"]
    assert all(c["parent"] in provinces for c in counties)
    assert all(c["unit"][:2] == c["parent"][:2] for c in counties)
    assert all(c["name"].endswith("县") for c in counties)
    western = {u["name"] for u in units if u["level"] == "province" and u["western"] == "true"}
    assert western == {
        "内蒙古自治区",
        "广西壮族自治区",
        "重庆市",
        "四川省",
        "贵州省",
        "云南省",
        "西藏自治区",
        "陕西省",
        "甘肃省",
        "青海省",
        "宁夏回族自治区",
        "新疆维吾尔自治区",
    }
    banks = {u["peer_group"] for u in units if u["kind"] == "bank"}
    assert banks == {"全国性银行", "区域性银行", "农村中小银行"}


def test_resident_ids_are_valid_except_the_injected_errors(demo_data, demo_settings):
    with duckdb.connect() as con:
        ids = [
            r[0]
            for r in con.execute(
                f"SELECT person_id FROM read_parquet('{demo_data / 'persons.parquet'}')"
            ).fetchall()
        ]
    invalid = [i for i in ids if not ric.is_valid(i)]
    duplicated = len(ids) - len(set(ids))
    assert len(ids) >= demo_settings["persons"]
    assert 0 < len(invalid) < len(ids) / 100  # injected on purpose, for the quality checks
    assert 0 < duplicated < len(ids) / 100


def test_persons_are_consistent_with_their_households(demo_data):
    with duckdb.connect() as con:
        mismatched = con.execute(
            f"""
            SELECT count(*) FROM (
              SELECT household_id, count(*) AS members
              FROM read_parquet('{demo_data / "persons.parquet"}') GROUP BY household_id
            ) p JOIN read_parquet('{demo_data / "households.parquet"}') h USING (household_id)
            WHERE p.members <> h.size
            """
        ).fetchall()[0][0]
        poor_end_not_start = con.execute(
            f"SELECT count(*) FROM read_parquet('{demo_data / 'persons.parquet'}') "
            "WHERE poor_at_end AND NOT poor_at_start"
        ).fetchall()[0][0]
    assert mismatched == 0
    assert poor_end_not_start == 0


def test_make_demo_job_runs_every_bundled_demo_scheme(tmp_path):
    """The demo job on the two years of the transition (issue 15): the campaign's schemes on
    2020, the transition's on 2021, the teachers' on both; 2020's items carried into 2021."""
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--persons", str(SMALL), "--years", "2020-2021"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    ran = set()
    for year in (2020, 2021):
        for scheme in schemes_of_year(year):
            run = out / "runs" / str(year) / scheme
            for name in (
                "results.csv",
                "results.parquet",
                "results.xlsx",
                "explain.json",
                "manifest.json",
            ):
                assert (run / name).is_file(), f"{year} {scheme}: {name}"
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
            assert manifest["period"] == str(year), (year, scheme)
            ran.add(scheme)
    assert ran == set(DEMO_SCHEMES)
    with (out / "runs/2020/provincial-effectiveness-2016/results.csv").open(encoding="utf-8") as h:
        rows = list(csv.DictReader(h))
    assert len(rows) == 22
    assert {r["grade"] for r in rows} <= {"好", "较好", "一般", "较差", ""}
    graded = [r for r in rows if r["status"] == "graded"]
    assert len(graded) >= 20  # few registered poor are left in 2020: a small demo may lack one
    assert [int(r["rank"]) for r in graded] == sorted(int(r["rank"]) for r in graded)
    good = [r for r in rows if r["grade"] == "好"]
    assert all("财政奖励" in r["outcomes"] for r in good)
    assert all(float(r["completeness"]) >= 0.9 for r in rows)
    with (out / "runs/2021/financial-institutions-2021/results.csv").open(encoding="utf-8") as h:
        banks = list(csv.DictReader(h))
    assert {b["grade"] for b in banks} <= {"优秀", "良好", "一般", "勉励"}
    assert {b["peer_group"] for b in banks} == {"全国性银行", "区域性银行", "农村中小银行"}
    _new_areas_grade_every_province(out / "runs")
    _last_years_grade_carried(out / "runs")
    _rectifications_carried_into_2021(out, result.output)
    _local_example_withholds_every_county(out / "data" / "2020", tmp_path)


def _last_years_grade_carried(runs: Path) -> None:
    """A scheme run in both years (the teachers') carries 2020's grade into 2021's results; a
    scheme new in 2021 has no previous period to carry."""
    manifest = json.loads((runs / "2021/special-post-teachers/manifest.json").read_text("utf-8"))
    assert manifest["previous"]["period"] == "2020"
    with (runs / "2020/special-post-teachers/results.csv").open(encoding="utf-8") as h:
        before = {r["unit"]: r for r in csv.DictReader(h)}
    with (runs / "2021/special-post-teachers/results.csv").open(encoding="utf-8") as h:
        after = list(csv.DictReader(h))
    assert after and all(r["previous_grade"] == before[r["unit"]]["grade"] for r in after)
    new = json.loads((runs / "2021/linkage-fund-2021/manifest.json").read_text("utf-8"))
    assert "previous" not in new or not new["previous"]


def _rectifications_carried_into_2021(out: Path, output: str) -> None:
    """2021's rectifications source is 2020's items carried through 2021 in the demo ledger
    (no synthetic previous cycle), and the overdue ones cost the transition scheme points."""
    with (out / "data/2021/rectifications.csv").open(encoding="utf-8") as h:
        carried = list(csv.DictReader(h))
    assert carried and {r["origin_period"] for r in carried} == {"2020"}
    assert not any(re.fullmatch(r"r-2020-\d{6}-\d", r["item"]) for r in carried)  # synthetic
    assert any(r["scheme"] == "provincial-effectiveness-2016" for r in carried)
    overdue = {
        r["unit"]
        for r in carried
        if r["overdue"] == "true" and r["scheme"] == "provincial-effectiveness-2016"
    }
    explain = json.loads(
        (out / "runs/2021/rural-revitalization-2021/explain.json").read_text(encoding="utf-8")
    )
    for unit, entry in explain["units"].items():
        deducted = any(a["id"] == "overdue_rectifications" for a in entry["adjustments"])
        assert deducted == (unit in overdue), unit
    assert "2020→2021" in output and "kaohe history --runs" in output


# issue 15: 政策落实, the fund indicators and 内生动力, per scheme: indicators every province has
NEW_INDICATORS = {
    "provincial-effectiveness-2016": (
        "industry_coverage", "relocation_sites", "dropout_rate", "insurance_coverage",
        "housing_renovation", "integration_use", "carryover_rate",
    ),
    "fund-performance-2017": ("integration_use", "integration_plans", "carryover_rate"),
    "rural-revitalization-2021": (
        "industry_coverage", "dropout_rate", "insurance_coverage", "housing_renovation",
        "labour_employment", "labour_training", "work_income_share",
    ),
}  # fmt: skip


def _new_areas_grade_every_province(runs: Path) -> None:
    """Every province is graded with the new areas' figures, and they tell provinces apart."""
    for scheme, indicators in NEW_INDICATORS.items():
        year = "2021" if scheme.endswith("2021") else "2020"
        with (runs / year / scheme / "results.csv").open(encoding="utf-8") as h:
            rows = list(csv.DictReader(h))
        assert len(rows) == 22 and {r["status"] for r in rows} == {"graded"}, scheme
        for indicator in indicators:
            values = [r[f"{indicator}.value"] for r in rows]
            assert all(values), (scheme, indicator)
            assert len(set(values)) > 1, (scheme, indicator)


def _local_example_withholds_every_county(data: Path, tmp_path: Path) -> None:
    """issue 11: the county example graded 132 counties on 减贫成效 alone (阳曲县 95, 好, a
    5,000,000 yuan reward) although its field-check measures read province rows only."""
    example = (
        Path(__file__).resolve().parents[2] / "examples/local-scheme/county-effectiveness.yaml"
    )
    out = tmp_path / "county"
    args = ["--scheme", str(example), "--data", str(data), "--period", data.name]
    result = CliRunner().invoke(app, ["assess", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "results.csv").open(encoding="utf-8") as h:
        counties = list(csv.DictReader(h))
    assert len(counties) > 100
    assert {c["status"] for c in counties} == {"withheld"}
    assert all(c["grade"] == "" and c["rank"] == "" and c["score"] == "" for c in counties)
    assert not any("财政奖励" in c["outcomes"] or "约谈" in c["outcomes"] for c in counties)
    assert all(c["outcomes"].startswith("限期补报数据") for c in counties)
    assert all("第三方评估入户核查户数不足" in c["status_reasons"] for c in counties)
    check = CliRunner().invoke(app, ["data", "check", *args])
    assert check.exit_code == 2
    assert "不予评定" in check.output
