"""Where a finding came from (问题来源): required when a finding is recorded, shown in the user's
language, carried by the API, a column of the findings source that the provincial scheme's rule
reads (a hand-computed deduction through the engine), and in the demo's findings."""

import csv
from types import SimpleNamespace

import numpy as np
from ruamel.yaml import YAML
from sqlalchemy import select

from kaohe.data.schemas import load_schema
from kaohe.demo import generate
from kaohe.run import assess
from kaohe.scheme import bundled_schemes, load_scheme
from kaohe.store.models import Finding
from kaohe.workflow.findings import ORIGINS

PROVINCIAL = "provincial-effectiveness-2016"


def _record(client, cycle_id, **fields):
    return client.post(
        f"/cycles/{cycle_id}/findings",
        data={
            "unit": "130102",
            "kind": "档案不全",
            "cases": "2",
            **fields,
            "csrf_token": client.csrf,
        },
        follow_redirects=False,
    )


def _findings(db, cycle_id):
    with db.read() as session:
        return list(
            session.scalars(
                select(Finding).where(Finding.cycle_id == cycle_id).order_by(Finding.id)
            )
        )


def test_a_finding_without_its_origin_is_refused_naming_the_field(login, world, db):
    assessor = login("assessor")
    before = len(_findings(db, world["done"]))
    for origin in ({}, {"origin": ""}, {"origin": "rumour"}):
        response = _record(assessor, world["done"], **origin)
        assert response.status_code == 400, response.text
        assert "问题来源" in response.text and "origin" in response.text
    assert len(_findings(db, world["done"])) == before  # nothing was saved
    assert _record(assessor, world["done"], origin="inspection").status_code == 303
    made = _findings(db, world["done"])[-1]
    assert (made.unit_code, made.kind, made.cases, made.origin) == (
        "130102",
        "档案不全",
        2,
        "inspection",
    )


def test_origins_are_shown_in_chinese_and_in_english_and_carried_by_the_api(login, world, db):
    assessor = login("assessor")
    assert _record(assessor, world["done"], origin="media").status_code == 303
    page = assessor.get(f"/cycles/{world['done']}/findings").text
    assert '<td class="origin">媒体暗访</td>' in page
    assert '<td class="origin">考核核查</td>' in page  # the world's findings: the default origin
    english = assessor.get(f"/cycles/{world['done']}/findings?lang=en").text
    assert '<td class="origin">media visit</td>' in english
    assert '<td class="origin">assessment checks</td>' in english
    hebei = login("hebei").get(f"/api/cycles/{world['done']}/findings").json()
    assert {(f["unit"], f["origin"], f["origin_label"]) for f in hebei} == {
        ("130102", "assessment", "考核核查"),
        ("130102", "media", "媒体暗访"),
    }


def test_the_platforms_origins_are_the_values_of_the_findings_source():
    allowed = load_schema("findings").model.columns["origin"].allowed
    assert [o.zh for o in ORIGINS] == allowed


# A tiny data set: Hebei (130000) with two counties, Shanxi (140000) with one.
UNITS = """unit,name,parent,level,kind
000000,全国,,nation,region
130000,河北省,000000,province,region
130102,长安区,130000,county,region
130104,桥西区,130000,county,region
140000,山西省,000000,province,region
140105,小店区,140000,county,region
"""
FINDINGS = """unit,kind,cases,origin,period
130102,档案不全,2,巡视,2019
130104,违反禁止性规定,1,媒体暗访,2019
130102,挪用资金,3,审计,2019
130104,档案不全,4,考核核查,2019
140105,档案不全,1,第三方评估,2019
140105,档案不全,8,督查,2019
140105,弄虚作假,1,巡视,2019
"""


def _scheme_with_the_bundled_rule(tmp_path):
    """A tiny scheme carrying the provincial scheme's findings-origin rule as bundled: its
    parameters, measure and deduction item copied from the file, beside one indicator worth
    100 points to every unit."""
    yaml = YAML()
    bundled = yaml.load(bundled_schemes()[PROVINCIAL].read_text(encoding="utf-8"))
    rule = next(i for i in bundled["adjustments"]["items"] if i["id"] == "outside_findings")
    names = ("outside_finding_deduction", "outside_finding_deduction_cap")
    scheme = {
        "id": "origin-rule-test",
        "title": "问题来源规则",
        "version": "1",
        "policy_source": "tests",
        "assesses": {"kind": "region", "level": "province"},
        "parameters": {name: dict(bundled["parameters"][name]) for name in names},
        "sources": {"findings": dict(bundled["sources"]["findings"])},
        "measures": {
            "outside_findings_cases": dict(bundled["measures"]["outside_findings_cases"]),
            "rows": {"source": "findings", "expr": "count(*)"},
        },
        "indicators": {
            "present": {
                "expr": "rows / nullif(rows, 0)",
                "score": {"method": "goalposts", "min": 0, "max": 1},
            }
        },
        "tree": [{"id": "all", "points": 100, "children": ["present"]}],
        "adjustments": {"items": [dict(rule)]},
        "grading": {"method": "bands", "bands": [[90, "好"], [None, "较差"]]},
    }
    file = tmp_path / "origin-rule.yaml"
    with file.open("w", encoding="utf-8") as handle:
        yaml.dump(scheme, handle)
    return file


def test_the_provincial_rule_deducts_for_what_inspections_audits_supervision_and_media_found(
    tmp_path,
):
    parameters = load_scheme(PROVINCIAL).parameters
    assert (
        parameters["outside_finding_deduction"],
        parameters["outside_finding_deduction_cap"],
    ) == (0.5, 3)
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text(UNITS, encoding="utf-8")
    (data / "findings.csv").write_text(FINDINGS, encoding="utf-8")
    out = tmp_path / "run"
    assess(str(_scheme_with_the_bundled_rule(tmp_path)), data, out, period="2019")
    with (out / "results.csv").open(encoding="utf-8") as handle:
        scores = {row["unit"]: float(row["score"]) for row in csv.DictReader(handle)}
    # Hebei: 巡视 档案不全 2 + 媒体暗访 违反禁止性规定 1 = 3 cases (审计's 挪用资金 has its own
    # deduction, 考核核查 is the assessment's own check) → 3 × 0.5 = 1.5 points: 100 − 1.5.
    assert scores["130000"] == 98.5
    # Shanxi: 督查 档案不全 8 cases (第三方评估 not an outside check, 巡视's 弄虚作假 is vetoed
    # elsewhere) → 8 × 0.5 = 4, capped at 3 points: 100 − 3.
    assert scores["140000"] == 97.0


def test_the_demo_findings_carry_an_origin_of_the_source():
    allowed = set(load_schema("findings").model.columns["origin"].allowed)
    county = SimpleNamespace(code="130102")
    rows = []
    for k in range(300):
        profile = SimpleNamespace(quality=k % 3 / 3)
        rows += generate._findings(profile, county, np.random.default_rng(k))
    assert rows and all(len(row) == 5 and row[4] in allowed for row in rows)
    assert {row[4] for row in rows} >= {"审计", "考核核查", "督查"}
