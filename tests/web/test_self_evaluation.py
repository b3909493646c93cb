"""Provincial self-evaluation (省级自评): a province enters its self-scores and summary for its own
unit while the cycle takes submissions; the score card shows them beside the assessed points; a
self-score above the assessed one by more than the scheme's threshold is one finding (自评虚高)
with the figures when the results are imported, and none within it."""

import pytest
from sqlalchemy import select
from tests.support.platform_world import WORLD_SCHEME, WORLD_SURVEY, WORLD_UNITS

from kaohe.run import assess
from kaohe.store.models import AuditEntry, Finding, SelfEvaluation
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results

# The world's scheme with the threshold, as the provincial scheme declares it.
THRESHOLD_SCHEME = (
    WORLD_SCHEME + "parameters:\n  self_evaluation_overstatement: {value: 0.1, status: open}\n"
)


@pytest.fixture(scope="module")
def threshold_run(tmp_path_factory):
    """The world's data run under the scheme with the threshold (the engine, once per module)."""
    directory = tmp_path_factory.mktemp("threshold")
    data = directory / "data"
    data.mkdir()
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(WORLD_SURVEY, encoding="utf-8")
    scheme = directory / "world-test.yaml"
    scheme.write_text(THRESHOLD_SCHEME, encoding="utf-8")
    assess(str(scheme), data, directory / "run", period="2019")
    return directory / "run"


@pytest.fixture
def cycle(db, world, settings):
    """A world-test cycle taking submissions; the schemes folder holds the threshold scheme."""
    (settings.schemes_dir / "world-test.yaml").write_text(THRESHOLD_SCHEME, encoding="utf-8")
    with db.write("setup", "cycle") as session:
        made = cycles.create_cycle(session, world["actors"]["admin"], "world-test", "2020", "自评")
        made.state = "submission"
        return made.id


def _enter(client, cycle_id, unit, income, population, summary="全年目标任务完成", **extra):
    return client.post(
        f"/cycles/{cycle_id}/self-evaluation/{unit}",
        data={
            "score_income_growth": income,
            "score_population_size": population,
            "note_population_size": "人口统计口径",
            "summary": summary,
            **extra,
            "csrf_token": client.csrf,
        },
        follow_redirects=False,
    )


def _rows(db, cycle_id):
    with db.read() as session:
        rows = session.scalars(select(SelfEvaluation).where(SelfEvaluation.cycle_id == cycle_id))
        return {(r.unit_code, r.indicator): r for r in rows}


def test_a_province_enters_its_own_self_evaluation_and_no_other(login, db, cycle):
    hebei = login("hebei")
    page = hebei.get(f"/cycles/{cycle}/self-evaluation/130000").text
    assert 'name="score_income_growth"' in page and 'max="40.0"' in page  # population_size
    assert _enter(hebei, cycle, "130000", "60", "30").status_code == 303
    rows = _rows(db, cycle)
    assert rows[("130000", "income_growth")].self_score == 60
    assert rows[("130000", "population_size")].summary == "人口统计口径"
    assert (rows[("130000", "total")].self_score, rows[("130000", "total")].summary) == (
        90,
        "全年目标任务完成",
    )
    assert rows[("130000", "total")].submitted_by == "hebei"
    with db.read() as session:  # audited like every write: one entry per row
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "self_evaluations")
        ).all()
    assert {e.action for e in audited} == {"self_evaluation.submit"} and len(audited) == 3
    for name in ("shanxi", "changan", "assessor"):
        assert _enter(login(name), cycle, "130000", "1", "1").status_code == 403, name
    assert _rows(db, cycle)[("130000", "income_growth")].self_score == 60
    # another province reads nothing of it; the offices read it
    assert login("shanxi").get(f"/cycles/{cycle}/self-evaluation/130000").status_code == 403
    shown = login("reviewer").get(f"/cycles/{cycle}/self-evaluation/130000").text
    assert "全年目标任务完成" in shown and 'name="summary"' not in shown


def test_a_self_evaluation_needs_its_summary_and_scores_within_the_points(login, db, cycle):
    hebei = login("hebei")
    missing = _enter(hebei, cycle, "130000", "60", "30", summary=" ")
    assert missing.status_code == 400 and "summary" in missing.text
    over = _enter(hebei, cycle, "130000", "60", "41")
    assert over.status_code == 400 and "score_population_size" in over.text
    assert _rows(db, cycle) == {}
    with db.write("setup", "move") as session:
        cycles.get_cycle(session, cycle).state = "verification"
    assert _enter(hebei, cycle, "130000", "60", "30").status_code == 409


@pytest.mark.postgresql
def test_an_edit_on_a_stale_page_is_refused(login, db, cycle):
    hebei = login("hebei")
    assert _enter(hebei, cycle, "130000", "50", "30").status_code == 303
    assert _enter(hebei, cycle, "130000", "55", "30", version_income_growth="1").status_code == 303
    stale = _enter(hebei, cycle, "130000", "59", "30", version_income_growth="1")
    assert stale.status_code == 409
    assert _rows(db, cycle)[("130000", "income_growth")].self_score == 55


def _import(db, world, cycle_id, run_dir):
    with db.write("assessor", "results.compute") as session:
        cycles.get_cycle(session, cycle_id).state = "computation"
        session.flush()
        results.import_run(session, world["actors"]["assessor"], cycle_id, run_dir)


def _overstated(db, cycle_id):
    with db.read() as session:
        return list(
            session.scalars(
                select(Finding).where(Finding.cycle_id == cycle_id, Finding.kind == "自评虚高")
            )
        )


@pytest.mark.postgresql
def test_an_overstatement_beyond_the_threshold_is_one_finding_with_its_figures(
    login, db, world, cycle, threshold_run
):
    # Hebei's assessed points (the world's data): income growth 430/392 − 1 = 9.69 % of a 10 %
    # target → 0.969388 × 60 = 58.163265; rural population 50,000 of 100,000 → 0.5 × 40 = 20.
    # Self-scores 60 and 30: 1.84 points (3.1 % of 60) within the 10 % threshold; 10 points
    # (25 % of 40) beyond it → one finding, one case.
    assert _enter(login("hebei"), cycle, "130000", "60", "30").status_code == 303
    # Shanxi's: 860/831 − 1 = 3.49 % → 0.348977 × 60 = 20.938628; 90,000 → 0.9 × 40 = 36.
    # Self-scores 22 and 39: 1.06 (1.8 %) and 3 (7.5 %) higher, both within 10 % → no finding.
    assert _enter(login("shanxi"), cycle, "140000", "22", "39").status_code == 303
    _import(db, world, cycle, threshold_run)
    found = _overstated(db, cycle)
    assert [(f.unit_code, f.cases, f.origin, f.status) for f in found] == [
        ("130000", 1, "assessment", "open")
    ]
    assert (
        "农村人口规模：自评 30 分，考核 20 分，高出 10 分（占该指标分值 40 分的 25.0%，阈值 10.0%）"
        in found[0].description
    )
    assert "收入增长" not in found[0].description
    card = login("assessor").get(f"/cycles/{cycle}/results/130000").text
    assert '<td class="self-score">30</td><td class="assessed">20</td>' in card
    assert '<td class="self-score">60</td><td class="assessed">58.16</td>' in card
    assert card.count("自评虚高") >= 2  # the flagged row and the finding
    within = login("assessor").get(f"/cycles/{cycle}/results/140000").text
    assert '<td class="self-score">39</td><td class="assessed">36</td>' in within
    assert '<span class="flag">自评虚高</span>' not in within
    # the same run imported again: still one finding, not a second
    with db.write("setup", "back") as session:
        cycles.get_cycle(session, cycle).state = "computation"
    _import(db, world, cycle, threshold_run)
    assert len(_overstated(db, cycle)) == 1


def test_a_scheme_without_a_threshold_flags_nothing(login, db, world, cycle, run_dir):
    assert _enter(login("hebei"), cycle, "130000", "60", "40").status_code == 303
    _import(db, world, cycle, run_dir)  # the world's scheme: no threshold parameter
    assert _overstated(db, cycle) == []
    card = login("assessor").get(f"/cycles/{cycle}/results/130000").text
    assert '<td class="self-score">40</td><td class="assessed">20</td>' in card
    assert "本考核办法未设自评虚高阈值" in card
