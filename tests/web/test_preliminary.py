"""Honest results in the web cycle (issue 11): computing while assigned field checks are not done
is refused — or gives a preliminary run, on the user's explicit choice only, marked on every page
that shows it, never sent on to review or approval; every unit shows its status and completeness
(withheld units without rank or grade), and dimension points show nominal and effective points.

Reproduces "computing after 5 of 30 assigned households were checked graded 21 provinces with two
whole areas missing; a column 减贫成效（30） showed 60" on the small world."""

import json
import os
import re
import shutil

import pytest
from sqlalchemy import func, select
from tests.support.jobs import compute as compute_job

from kaohe.store.models import Run, Team
from kaohe.workflow import cycles, verification
from kaohe.workflow import platform_results as results
from kaohe.workflow.errors import WrongState

from .conftest import CHROMIUM
from .test_browser import _login, server  # noqa: F401 (a fixture)
from .test_computation import HEBEI, SHANXI, _cycle_with_submissions

SCHEME = """\
id: world-test
title: 测试考核办法
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
sources:
  monitoring_survey:
    label: 农村贫困监测调查
    columns: {rural_population: number, income_per_capita: number, income_per_capita_last: number}
  field_checks:
    label: 入户核查
    columns: {registered: boolean, exited: boolean, verdict: text}
measures:
  income: {source: monitoring_survey, expr: "sum(income_per_capita * rural_population)"}
  income_last: {source: monitoring_survey, expr: "sum(income_per_capita_last * rural_population)"}
  population: {source: monitoring_survey, expr: "sum(rural_population)", label: 农村人口}
  checked: {source: field_checks, expr: "count(*)", label: 核查户数}
  wrong: {source: field_checks, expr: "count(*) filter (where verdict <> '正确')"}
indicators:
  income_growth:
    label: 收入增长
    expr: "income / nullif(income_last, 0) - 1"
    target: 0.1
    score: {method: target, cap: 1.0}
  population_size:
    label: 农村人口规模
    expr: population
    score: {method: goalposts, min: 0, max: 100000}
  precision:
    label: 识别准确率
    expr: "1 - wrong / nullif(checked, 0)"
    score: {method: goalposts, min: 0.9, max: 1}
tree:
  missing: {reweight: true, at_most: 0.5}
  children:
    - {id: growth, label: 减贫成效, points: 30, children: [income_growth]}
    - {id: scale, label: 规模, points: 30, children: [population_size]}
    - {id: accuracy, label: 精准识别, points: 40, MISSING children: [precision]}
grading:
  method: bands
  bands: [[80, 好], [60, 较好], [null, 一般]]
"""
WITHHOLD = SCHEME.replace("MISSING ", "")  # a province without checks: grade withheld
REWEIGHT = SCHEME.replace("MISSING ", "missing: reweight, ")  # … or its points re-weighted

COUNTIES = {"130102": 8, "130104": 7, "140105": 8, "140106": 7}  # 30 households assigned


def _checked_cycle(db, world, settings, scheme, assigned=COUNTIES, done=None):
    """A cycle in computation with both provinces' survey accepted, ``assigned`` households per
    county given to team A, and the first ``done[county]`` of them checked."""
    (settings.schemes_dir / "world-test.yaml").write_text(scheme, encoding="utf-8")
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    actors = world["actors"]
    with db.write("setup", "assign") as session:
        cycles.get_cycle(session, cycle_id).state = "verification"
        team = session.scalar(select(Team.id).where(Team.name == "第一评估组"))
        items = [
            {"unit": county, "household_id": f"{county}-{n}"}
            for county, count in assigned.items()
            for n in range(count)
        ]
        verification.assign(session, actors["assessor"], cycle_id, team, items)
    _record(db, world, cycle_id, done or {})
    return cycle_id


def _record(db, world, cycle_id, done):
    team_a = world["actors"]["team_a"]
    with db.write("setup", "reopen-verification") as session:
        cycles.get_cycle(session, cycle_id).state = "verification"
    with db.write("team_a", "verification.record") as session:
        items = verification.assignments(session, team_a, cycle_id)
        for county, count in done.items():
            for item in [i for i in items if i.unit_code == county and not i.done][:count]:
                verdict = verification.Verdict("正确", True, True, True)
                verification.record(session, team_a, item.id, verdict)
    with db.write("setup", "to-computation") as session:
        cycles.get_cycle(session, cycle_id).state = "computation"


def _row(page: str, unit: str) -> str:
    """The ranking's table row of ``unit``."""
    return next(row.split("</tr>")[0] for row in page.split("<tr") if f'/results/{unit}"' in row)


def _runs(db, cycle_id):
    with db.read() as session:
        return list(session.scalars(select(Run).where(Run.cycle_id == cycle_id).order_by(Run.id)))


@pytest.mark.postgresql
def test_compute_is_refused_while_assigned_checks_are_not_done(login, world, db, settings):
    # 5 of 30 assigned households checked, all in one county of Hebei
    cycle_id = _checked_cycle(db, world, settings, WITHHOLD, done={"130102": 5})
    assessor = login("assessor")
    page = assessor.get(f"/cycles/{cycle_id}").text
    assert "核查未完成" in page
    assert "河北省" in page and "5 / 15" in page and "山西省" in page and "0 / 15" in page
    response = assessor.post(f"/cycles/{cycle_id}/compute", data={"csrf_token": assessor.csrf})
    assert response.status_code == 409
    assert "核查未完成" in response.text
    assert "河北省 已完成 5 / 15" in response.text and "山西省 已完成 0 / 15" in response.text
    assert _runs(db, cycle_id) == []  # nothing graded
    assert not any((settings.runs_dir / f"cycle-{cycle_id}").glob("*"))  # no attempt left


def test_a_preliminary_run_is_marked_everywhere_and_goes_no_further(
    login, world, db, settings, app
):
    cycle_id = _checked_cycle(db, world, settings, WITHHOLD, done={"130102": 5})
    assessor = login("assessor")
    assert compute_job(assessor, app, cycle_id, preliminary="yes").state == "done"
    [run] = _runs(db, cycle_id)
    marked = run.manifest["preliminary"]
    assert marked["reason"] == "field_checks_incomplete"
    assert {(m["unit"], m["done"], m["assigned"]) for m in marked["missing"]} == {
        ("130000", 5, 15),
        ("140000", 0, 15),
    }
    assert marked["requested_by"] == "assessor"

    banner = "初步结果，不作为正式考核结果"
    for path in (
        f"/cycles/{cycle_id}",
        f"/cycles/{cycle_id}/results",
        f"/cycles/{cycle_id}/results/130000",
        f"/cycles/{cycle_id}/results/130000/records/population",
        "/dashboard",
    ):
        page = assessor.get(path)
        assert page.status_code == 200, path
        assert banner in page.text, path
    assert "河北省 已完成 5 / 15" in assessor.get(f"/cycles/{cycle_id}/results").text
    card = assessor.get(f"/cycles/{cycle_id}/results/130000").text
    assert "初步结果不产生结果应用" in card  # no outcomes from a preliminary run
    api = assessor.get(f"/api/cycles/{cycle_id}/results").json()
    assert api and all(r["preliminary"] for r in api)
    unit = assessor.get(f"/api/cycles/{cycle_id}/results/130000").json()
    assert unit["preliminary"]["reason"] == "field_checks_incomplete"
    english = login("assessor")
    english.get("/lang/en")
    page = english.get(f"/cycles/{cycle_id}/results").text
    assert "Preliminary results, not the official results" in page
    assert "5 of 15 done" in page and "withheld (pending)" in page

    # never on to review (so never approved or published)
    with db.read() as session:
        version = cycles.get_cycle(session, cycle_id).version
    moved = assessor.post(
        f"/cycles/{cycle_id}/move",
        data={"csrf_token": assessor.csrf, "target": "review", "version": version},
    )
    assert moved.status_code == 409 and "初步结果" in moved.text
    with db.read() as session:
        assert cycles.get_cycle(session, cycle_id).state == "computation"

    # checks finished: the formal run replaces it and may go on
    _record(db, world, cycle_id, {"130102": 3, "130104": 7, "140105": 8, "140106": 7})
    late = assessor.post(
        f"/cycles/{cycle_id}/compute",
        data={"csrf_token": assessor.csrf, "preliminary": "yes"},
    )
    assert late.status_code == 409  # nothing is missing: no reason for a preliminary run
    assert compute_job(assessor, app, cycle_id).state == "done"
    assert _runs(db, cycle_id)[-1].manifest["preliminary"] is None
    assert banner not in assessor.get(f"/cycles/{cycle_id}/results").text
    assert not any(r["preliminary"] for r in assessor.get(f"/api/cycles/{cycle_id}/results").json())
    with db.read() as session:
        version = cycles.get_cycle(session, cycle_id).version
    moved = assessor.post(
        f"/cycles/{cycle_id}/move",
        data={"csrf_token": assessor.csrf, "target": "review", "version": version},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text


@pytest.mark.postgresql
def test_withheld_units_are_ranked_without_rank_or_grade(login, world, db, settings, app):
    # Shanxi's checks all done, Hebei has none assigned: the coverage is met, and the scheme
    # withholds Hebei's grade (精准识别 missing).
    cycle_id = _checked_cycle(
        db,
        world,
        settings,
        WITHHOLD,
        assigned={"140105": 2, "140106": 1},
        done={"140105": 2, "140106": 1},
    )
    assessor = login("assessor")
    assert compute_job(assessor, app, cycle_id).state == "done"
    rows = {r["unit"]: r for r in assessor.get(f"/api/cycles/{cycle_id}/results").json()}
    hebei, shanxi = rows["130000"], rows["140000"]
    assert (shanxi["status"], shanxi["rank"], shanxi["completeness"]) == ("graded", 1, 1.0)
    assert shanxi["grade"] and not shanxi["status_reasons"]
    assert (hebei["status"], hebei["rank"], hebei["grade"], hebei["score"]) == (
        "withheld",
        None,
        None,
        None,
    )
    assert hebei["completeness"] == 0.6 and "精准识别" in hebei["status_reasons"][0]
    assert list(rows) == ["140000", "130000"]  # ranked units first, then the withheld
    withheld = assessor.get(f"/api/cycles/{cycle_id}/results?status=withheld").json()
    assert [r["unit"] for r in withheld] == ["130000"]

    page = assessor.get(f"/cycles/{cycle_id}/results").text
    row = _row(page, "130000")
    assert "不予评定" in row and "较好" not in row and "好<" not in row
    assert "60.00 %" in row and "精准识别" in row  # completeness and the reason
    assert "数据完整度" in page and "100.00 %" in page

    card = assessor.get(f"/cycles/{cycle_id}/results/130000").text
    assert "不予评定（待定）" in card and "60.00 %" in card and "精准识别" in card
    unit = assessor.get(f"/api/cycles/{cycle_id}/results/130000").json()
    assert (unit["status"], unit["completeness"], unit["grade"]) == ("withheld", 0.6, None)
    assert unit["status_reasons"] and unit["preliminary"] is None

    schema = assessor.get("/api/openapi.json").json()["components"]["schemas"]
    for model in ("ResultOut", "ScoreCardOut"):
        assert {"status", "completeness", "status_reasons", "preliminary"} <= set(
            schema[model]["properties"]
        )
    status = schema["ResultOut"]["properties"]["status"]
    assert {v for part in status["anyOf"] for v in part.get("enum", [])} == {
        "graded",
        "withheld",
        "failed",
    }


def test_headers_show_nominal_points_and_cells_the_effective_ones(login, world, db, settings, app):
    # Hebei has no checks and its scheme lets 精准识别's 40 points be re-weighted: its 减贫成效
    # is scored out of 50, while the column stays 减贫成效（30）, the nominal points.
    cycle_id = _checked_cycle(
        db, world, settings, REWEIGHT, assigned={"140105": 2}, done={"140105": 2}
    )
    assessor = login("assessor")
    assert compute_job(assessor, app, cycle_id).state == "done"
    page = assessor.get(f"/cycles/{cycle_id}/results").text
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert "减贫成效（30）" in header and "精准识别（40）" in header and "（50）" not in header
    assert "名义分值" in page  # the legend says which number is which
    hebei = _row(page, "130000")
    assert "/ 50" in hebei and "实际满分" in hebei
    shanxi = _row(page, "140000")
    assert "实际满分" not in shanxi  # same as nominal: shown once
    rows = {r["unit"]: r for r in assessor.get(f"/api/cycles/{cycle_id}/results").json()}
    assert rows["130000"]["effective_points"]["growth"] == 50.0
    assert rows["140000"]["effective_points"]["growth"] == 30.0
    card = assessor.get(f"/cycles/{cycle_id}/results/130000").text
    assert "名义分值" in card and "实际满分" in card
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Run)) >= 1


@pytest.mark.postgresql
def test_a_preliminary_run_is_imported_only_in_computation(world, db, run_dir, tmp_path):
    """``kaohe db import-run`` of a preliminary run: only while computing, and it cannot be
    sent on to review (the same check as the page's move)."""
    marked = tmp_path / "preliminary-run"
    shutil.copytree(run_dir, marked)
    manifest = json.loads((marked / "manifest.json").read_text(encoding="utf-8"))
    manifest["preliminary"] = {"reason": "manual", "zh": "抽查未完成", "en": "checks not done"}
    (marked / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assessor = world["actors"]["assessor"]
    with db.write("setup", "review-cycle") as session:
        cycle = cycles.create_cycle(session, world["actors"]["admin"], "world-test", "2020", "周期")
        cycle.state = "review"
        cycle_id = cycle.id
    with (
        pytest.raises(WrongState, match="初步结果"),
        db.write("assessor", "results.import") as session,
    ):
        results.import_run(session, assessor, cycle_id, marked)
    with db.write("setup", "computation") as session:
        cycles.get_cycle(session, cycle_id).state = "computation"
    with db.write("assessor", "results.import") as session:
        results.import_run(session, assessor, cycle_id, marked)
    with db.read() as session:
        with pytest.raises(WrongState, match="抽查未完成"):
            results.require_final(session, cycle_id, "computation", "review")
        results.require_final(session, cycle_id, "computation", "submission")  # not sent on


@pytest.fixture
def compute_env(monkeypatch, tmp_path):
    """Where the browser test's server computes (read from the environment by create_app)."""
    from types import SimpleNamespace

    schemes = tmp_path / "schemes"
    schemes.mkdir()
    monkeypatch.setenv("KAOHE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("KAOHE_SCHEMES_DIR", str(schemes))
    return SimpleNamespace(schemes_dir=schemes, runs_dir=tmp_path / "runs")


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")
def test_browser_preliminary_run_on_explicit_choice(
    compute_env,
    world,
    db,
    browser,
    server,  # noqa: F811
):
    from playwright.sync_api import expect

    cycle_id = _checked_cycle(db, world, compute_env, WITHHOLD, done={"130102": 5})
    page = _login(browser, server, "assessor")
    page.goto(f"{server}/cycles/{cycle_id}")
    expect(page.locator("table.coverage")).to_contain_text("5 / 15")
    expect(page.locator("button[name=compute]")).to_have_count(1)  # only the preliminary one
    page.click("button[value=preliminary]")
    # the request answers at once with the job's page, which follows the computation …
    page.wait_for_url(re.compile(rf"{re.escape(server)}/cycles/{cycle_id}/jobs/\d+$"))
    expect(page.locator("#job")).to_be_visible()
    expect(page.locator("#job .flag.preliminary")).to_be_visible()
    # … until it is done (HTMX asks again every second), then links to the results
    page.click("#job a.results")
    page.wait_for_url(f"{server}/cycles/{cycle_id}/results")
    expect(page.locator(".banner.preliminary")).to_contain_text("初步结果，不作为正式考核结果")
    withheld = page.locator("tr.status-withheld")
    expect(withheld).to_contain_text("不予评定")
    expect(withheld.locator("td").first).to_have_text("—")
    page.click("table.ranking a:has-text('河北省')")
    expect(page.locator(".banner.preliminary")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("数据完整度")
    page.close()
