"""The assistance schemes beside east–west cooperation's eastern side: central units' paired
assistance (定点帮扶, ``paired-assistance-2017``) and the western assisted side of east–west
cooperation (``east-west-cooperation-west-2017``) — valid, open values marked, scores computed by
hand on tiny data sets, and the demo's units all graded."""

from __future__ import annotations

import csv
import filecmp
import shutil
from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.sectors.test_sector_schemes import _numbers
from typer.testing import CliRunner

from kaohe.cli import app
from kaohe.demo.sectors import write_east_west_demo, write_paired_assistance_demo
from kaohe.demo.sectors.units import read_units
from kaohe.run import assess
from kaohe.run.results_table import result_rows
from kaohe.scheme import bundled_schemes, load_scheme

SCHEMES = ("paired-assistance-2017", "east-west-cooperation-west-2017")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_scheme_is_bundled_valid_sourced_and_its_numbers_are_parameters(scheme):
    assert scheme in bundled_schemes()
    loaded = load_scheme(scheme)
    assert "policy.md §6" in loaded.model.policy_source
    text = bundled_schemes()[scheme].read_text(encoding="utf-8")
    assert text.startswith("# ") and "policy.md" in text.splitlines()[1]
    statuses = Counter(p.status for p in loaded.model.parameters.values())
    assert set(statuses) == {"open"}  # no text gives a target, weight or cut-off for these
    assert loaded.model.grading.grades == ["好", "较好", "一般", "较差"]
    document = YAML(typ="safe").load(text)
    parts = {
        k: document.get(k) for k in ("indicators", "tree", "adjustments", "grading", "outcomes")
    }
    assert [(path, n) for path, n in _numbers(parts) if n not in (0, 1)] == []


def test_paired_assistance_has_the_six_areas_in_equal_shares():
    loaded = load_scheme("paired-assistance-2017")
    assert (loaded.model.assesses.kind, loaded.model.assesses.level) == (
        "assistance",
        "central_unit",
    )
    assert [node.label for node in loaded.tree.children] == [
        "组织领导", "帮扶资金", "选派干部", "培训基层干部和技术人员", "消费扶贫", "工作创新",
    ]  # fmt: skip
    assert list(loaded.tree.shares) == [pytest.approx(1 / 6)] * 6


def test_west_side_has_its_own_obligations_in_equal_shares():
    loaded = load_scheme("east-west-cooperation-west-2017")
    assert (loaded.model.assesses.kind, loaded.model.assesses.level) == ("assisted", "province")
    assert [node.label for node in loaded.tree.children] == [
        "组织领导", "人才交流", "资金使用", "项目带贫成效", "劳务协作",
    ]  # fmt: skip
    assert list(loaded.tree.shares) == [pytest.approx(1 / 5)] * 5


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _by_unit(scheme: str, data: Path) -> dict[str, dict]:
    return {row["unit"]: row for row in result_rows(assess(scheme, data, None).state)}


PAIRED_HEADER = (
    "unit,county,principal_visits,plan_adopted,funds_pledged,funds_invested,"
    "funds_attracted_pledged,funds_attracted,cadres_sent,cadres_trained_pledged,cadres_trained,"
    "technicians_trained_pledged,technicians_trained,purchases_pledged,purchases,sales_pledged,"
    "sales_helped,typical_cases"
)


def test_paired_assistance_score_by_hand(tmp_path):
    _write(
        tmp_path / "units.csv",
        "unit,name,parent,level,kind",
        ["C1,甲部,,central_unit,assistance", "C2,乙部,,central_unit,assistance"],
    )
    _write(
        tmp_path / "paired_assistance.csv",
        PAIRED_HEADER,
        [
            "C1,A,2,true,100,80,200,250,1,100,90,50,50,10,5,20,30,1",
            "C1,B,0,false,100,100,200,100,3,100,110,50,25,10,10,20,10,0",
            "C2,C,1,true,100,100,200,200,2,100,100,50,50,10,10,20,20,2",
        ],
    )
    _write(
        tmp_path / "paired_assistance_checks.csv",
        "unit,county,item,reported,verified",
        ["C1,A,funds_invested,80,80", "C2,C,purchases,10,7"],
    )
    rows = _by_unit("paired-assistance-2017", tmp_path)
    # C1, two counties; each row counts up to its pledge or the per-county target:
    #   组织领导  visits min(2,1)+min(0,1) = 1 of 2×1 → 0.5; plans 1 of 2 → 0.5;   area 0.5
    #   帮扶资金  invested (80+100)/200 = 0.9; brought in (200+100)/400 = 0.75;    area 0.825
    #   选派干部  cadres min(1,2)+min(3,2) = 3 of 2×2 → 0.75;                       area 0.75
    #   培训      cadres (90+100)/200 = 0.95; technicians (50+25)/100 = 0.75;      area 0.85
    #   消费扶贫  bought (5+10)/20 = 0.75; sold (20+10)/40 = 0.75;                 area 0.75
    #   工作创新  cases 1 against the target 2 → 0.5;                              area 0.5
    #   score = (0.5 + 0.825 + 0.75 + 0.85 + 0.75 + 0.5) × 100/6 = 4.175 × 100/6 = 69.583333
    c1 = rows["C1"]
    assert c1["score"] == pytest.approx(4.175 * 100 / 6, abs=1e-6)
    assert c1["grade"] == "一般" and c1["inflated"] is False  # 65 ≤ 69.58 < 80
    assert c1["no_principal_visit"] is False
    # C2 delivered every pledge (100 points) but 7 of 10 reported is below 95 %: 虚报 → 较差
    c2 = rows["C2"]
    assert c2["score"] == pytest.approx(100)
    assert c2["inflated"] is True and c2["vetoed"] is True and c2["grade"] == "较差"
    assert "虚报定点帮扶成效" in c2["outcomes"]


ASSISTED_HEADER = (
    "unit,partner,leader_visits,plan_adopted,cadres_sent_east,professionals_sent_east,"
    "funds_received,funds_spent,projects_planned,projects_completed,poor_benefit_target,"
    "poor_benefiting,labour_target,labourers_sent_east"
)


def test_west_side_score_by_hand(tmp_path):
    _write(tmp_path / "units.csv", "unit,name,parent,level,kind", ["W1,西省,,province,assisted"])
    _write(
        tmp_path / "east_west_assisted.csv",
        ASSISTED_HEADER,
        [
            "W1,E1,2,true,10,100,1000,900,10,8,1000,1200,500,250",
            "W1,E2,0,true,20,200,1000,1000,10,10,1000,600,500,500",
        ],
    )
    _write(
        tmp_path / "east_west_assisted_checks.csv",
        "unit,partner,item,reported,verified",
        ["W1,E1,funds_spent,900,880"],  # 880 ≥ 900 × 0.95: within the tolerance
    )
    (w1,) = _by_unit("east-west-cooperation-west-2017", tmp_path).values()
    # two partners:
    #   组织领导  visits min(2,1)+min(0,1) = 1 of 2 → 0.5; plans 2 of 2 → 1;        area 0.75
    #   人才交流  cadres 30/2 = 15 of 20 → 0.75; professionals 300/2 = 150 of 150; area 0.875
    #   资金使用  spent 1900/2000 = 0.95; projects completed 18/20 = 0.9;          area 0.925
    #   项目带贫  min(1200,1000)+600 = 1600 of 2000 → 0.8;                          area 0.8
    #   劳务协作  sent east 750 of 1000 → 0.75;                                     area 0.75
    #   score = (0.75 + 0.875 + 0.925 + 0.8 + 0.75) × 100/5 = 4.1 × 20 = 82
    assert w1["score"] == pytest.approx(82)
    assert w1["grade"] == "较好" and w1["inflated"] is False
    assert w1["verified_share.value"] == pytest.approx(880 / 900, abs=1e-6)


def _rows_of(scheme: str, data: Path) -> list[dict]:
    return result_rows(assess(scheme, data, None, period="2019").state)


def test_demo_grades_every_central_unit_with_a_spread(sector_data):
    units = {u["unit"] for u in read_units(sector_data) if u["level"] == "central_unit"}
    rows = _rows_of("paired-assistance-2017", sector_data)
    assert {r["unit"] for r in rows} == units and len(units) >= 20
    assert {r["status"] for r in rows} == {"graded"}
    assert len({r["grade"] for r in rows}) >= 3
    inflated = [r for r in rows if r["inflated"]]
    assert len(inflated) == 2 and all(r["grade"] == "较差" for r in inflated)


def test_demo_grades_every_assisted_province_from_its_partners_deliveries(sector_data):
    with (sector_data / "east_west_cooperation.csv").open(encoding="utf-8") as handle:
        eastern = {(r["unit"], r["partner"]): r for r in csv.DictReader(handle)}
    with (sector_data / "east_west_assisted.csv").open(encoding="utf-8") as handle:
        western = {(r["partner"], r["unit"][1:]): r for r in csv.DictReader(handle)}
    assert western.keys() == eastern.keys()  # both sides of every pairing
    for pair, row in western.items():  # what the west received is what the east delivered
        assert float(row["funds_received"]) == float(eastern[pair]["funds_delivered"])
        assert int(row["labourers_sent_east"]) <= int(eastern[pair]["labourers_employed"])
    rows = _rows_of("east-west-cooperation-west-2017", sector_data)
    assert {r["unit"] for r in rows} == {f"W{west}" for _, west in eastern}
    assert {r["status"] for r in rows} == {"graded"}
    assert len({r["grade"] for r in rows}) >= 3
    assert all(r["grade"] == "较差" for r in rows if r["inflated"])


def test_assistance_demos_are_deterministic_and_append_units_once(sector_data, demo_data, tmp_path):
    again = tmp_path / "again"
    again.mkdir()
    shutil.copyfile(demo_data / "units.csv", again / "units.csv")
    for _ in range(2):  # a second time changes nothing
        write_east_west_demo(again, 7)
        write_paired_assistance_demo(again, 7)
    for name in (
        "east_west_cooperation.csv",
        "east_west_assisted.csv",
        "east_west_assisted_checks.csv",
        "paired_assistance.csv",
        "paired_assistance_checks.csv",
    ):
        assert filecmp.cmp(sector_data / name, again / name, shallow=False), name
    added = [u for u in read_units(again) if u["kind"] in ("assistance", "assisted")]
    assert len(added) == len({u["unit"] for u in added})
    assert [u for u in read_units(sector_data) if u["kind"] in ("assistance", "assisted")] == added


def test_the_demo_files_import_under_their_schemas(sector_data, tmp_path):
    store = tmp_path / "store"
    for source in (
        "units",
        "paired_assistance",
        "paired_assistance_checks",
        "east_west_assisted",
        "east_west_assisted_checks",
    ):
        args = ["import", source, str(sector_data / f"{source}.csv"), "--store", str(store)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (source, result.output)
    # a row naming a unit of another kind is refused, naming the column and what it should be
    bad = tmp_path / "paired_assistance.csv"
    lines = (sector_data / "paired_assistance.csv").read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], "W520000" + lines[1][4:]]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["import", "paired_assistance", str(bad), "--store", str(store)]
    )
    assert result.exit_code == 2
    assert "is not a unit of the kind and level assistance, central_unit" in result.output
