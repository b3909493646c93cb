"""The work of each party, against real SQLite and PostgreSQL (no web)."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from tests.support.platform_world import SURVEY_HEADER, build_world, world_run

from kaohe.store.models import AuditEntry, CycleEvent, Figure, Team, User
from kaohe.workflow import cycles, findings, rectification, submissions, verification
from kaohe.workflow import platform_results as results
from kaohe.workflow.collection import catalog, prefill
from kaohe.workflow.errors import ConflictError, Forbidden, Locked, WrongState
from kaohe.workflow.roles import Actor

TODAY = dt.date(2020, 1, 15)


@pytest.fixture
def world(db, tmp_path):
    ids = build_world(db, tmp_path)
    with db.read() as session:
        actors = {name: Actor.of(session.get(User, uid)) for name, uid in ids.items()}
    return actors


def _cycle(db, actors, state="submission", period="2019", scheme="world-test"):
    with db.write("admin", "cycle.create") as session:
        cycle = cycles.create_cycle(session, actors["admin"], scheme, period, "测试周期")
        cycle.state = state
        return cycle.id


def _xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = SURVEY_HEADER


def test_upload_with_errors_then_a_clean_resubmission(db, world):
    cycle_id = _cycle(db, world)
    bad = _xlsx(
        [
            HEADER,
            ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
            ["130104", "桥西区", -5, "abc", 7600, "也许", "否", "否"],
            ["140105", "小店区", 1, 1, 1, "是", "是", "是"],
        ]
    )
    with db.write("hebei", "submission.upload") as session:
        outcome = submissions.upload(
            session, world["hebei"], cycle_id, "monitoring_survey", "survey.xlsx", bad, today=TODAY
        )
    assert not outcome.accepted
    found = {(e["row"], e["column"]) for e in outcome.errors}
    assert found == {
        (3, "农村人口（人）"),
        (3, "农村居民人均可支配收入（元）"),
        (3, "是否贫困县"),
        (4, "单位代码"),
    }  # 140105 belongs to another province
    good = _xlsx(
        [
            HEADER,
            ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
            ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
        ]
    )
    with db.write("hebei", "submission.upload") as session:
        outcome = submissions.upload(
            session, world["hebei"], cycle_id, "monitoring_survey", "survey.xlsx", good, today=TODAY
        )
    assert outcome.accepted and outcome.version.number == 2
    with db.read() as session:
        versions = submissions.versions(session, outcome.submission.id)
        assert [(v.number, v.accepted) for v in versions] == [(2, True), (1, False)]
        figure = session.scalar(
            select(Figure).where(Figure.unit_code == "130104", Figure.name == "rural_population")
        )
        assert figure.value == 20000 and figure.period == "2019"
        # another province cannot see it; the county officer sees its province's file? no:
        assert submissions.visible_submissions(session, world["shanxi"], cycle_id) == []
        with pytest.raises(Forbidden):
            submissions.get_version(session, world["shanxi"], outcome.submission.id, 2)


def test_who_may_upload_and_when(db, world):
    cycle_id = _cycle(db, world, state="verification")
    content = _xlsx([HEADER, ["130102", "长安区", 1, 1, 1, "是", "否", "否"]])
    with pytest.raises(WrongState), db.write("hebei", "u") as session:
        submissions.upload(
            session, world["hebei"], cycle_id, "monitoring_survey", "a.xlsx", content, today=TODAY
        )
    with pytest.raises(Forbidden), db.write("team_a", "u") as session:
        submissions.upload(
            session, world["team_a"], cycle_id, "monitoring_survey", "a.xlsx", content, today=TODAY
        )
    with pytest.raises(Forbidden), db.write("hebei", "u") as session:
        submissions.upload(
            session, world["hebei"], cycle_id, "bank_figures", "a.xlsx", content, today=TODAY
        )


def test_content_is_checked_not_the_name(db, world):
    cycle_id = _cycle(db, world)
    from kaohe.workflow.errors import Invalid

    with pytest.raises(Invalid, match="xlsx"), db.write("hebei", "u") as session:
        submissions.upload(
            session,
            world["hebei"],
            cycle_id,
            "monitoring_survey",
            "a.xlsx",
            b"MZ\x90\x00 not a workbook",
            today=TODAY,
        )


def test_figures_are_asked_once_and_carried_to_next_year(db, world):
    first = _cycle(db, world, period="2018")
    content = _xlsx([HEADER, ["130102", "长安区", 30000, 8000, 7000, "是", "否", "否"]])
    with db.write("changan", "submission.upload") as session:
        assert submissions.upload(
            session, world["changan"], first, "monitoring_survey", "a.xlsx", content, today=TODAY
        ).accepted
    with db.read() as session:
        source = catalog()["monitoring_survey"]
        values, spared = prefill(session, source, ["130102"], "2019")
        # last year's income becomes this year's "last year" column; nothing else is known yet
        assert values == {("130102", "income_per_capita_last"): 8000}
        assert spared == 1
        values, spared = prefill(session, source, ["130102"], "2018")
        assert spared == 6  # everything already held for 2018


def test_verification_is_limited_to_the_team_and_stale_forms_are_refused(db, world):
    cycle_id = _cycle(db, world, state="verification")
    with db.write("assessor", "verification.assign") as session:
        team_a = session.scalar(select(Team.id).where(Team.name == "第一评估组"))
        verification.assign(
            session,
            world["assessor"],
            cycle_id,
            team_a,
            [{"unit": "130102", "household_id": "H1"}, {"unit": "130102", "household_id": "H2"}],
        )
    with db.read() as session:
        items = verification.assignments(session, world["team_a"], cycle_id)
        assert [i.household_id for i in items] == ["H1", "H2"]
        assert verification.assignments(session, world["team_b"], cycle_id) == []
        seen = items[0].version
    verdict = verification.Verdict("正确", True, True, True, 9100.0)
    with pytest.raises(Forbidden), db.write("team_b", "v") as session:
        verification.record(session, world["team_b"], items[0].id, verdict, today=TODAY)
    with db.write("team_a", "v") as session:
        verification.record(session, world["team_a"], items[0].id, verdict, seen, today=TODAY)
    with pytest.raises(ConflictError), db.write("team_a", "v") as session:
        verification.record(session, world["team_a"], items[0].id, verdict, seen, today=TODAY)
    with db.read() as session:
        [progress] = verification.progress(session, world["assessor"], cycle_id)
        assert (progress.assigned, progress.done) == (2, 1)


def _advance(db, world, cycle_id, *steps):
    roles = {
        "computation": "assessor",
        "review": "assessor",
        "approval": "reviewer",
        "publication": "approver",
        "feedback": "admin",
        "outcomes": "assessor",
    }
    for target in steps:
        with db.write(roles[target], f"cycle.{target}") as session:
            cycles.move(session, world[roles[target]], cycle_id, target)


def test_results_are_imported_ranked_and_locked_after_approval(db, world, tmp_path):
    cycle_id = _cycle(db, world, state="verification")
    _advance(db, world, cycle_id, "computation")
    with pytest.raises(WrongState, match="results|结果"), db.write("assessor", "m") as session:
        cycles.move(session, world["assessor"], cycle_id, "review")
    run_dir = world_run(tmp_path)
    with db.write("assessor", "results.import") as session:
        results.import_run(session, world["assessor"], cycle_id, run_dir)
    _advance(db, world, cycle_id, "review", "approval")
    with db.read() as session:
        with pytest.raises(Forbidden):  # not yet published
            results.ranking(session, world["hebei"], cycle_id)
        _, rows = results.ranking(session, world["reviewer"], cycle_id)
        assert [(r.unit, r.rank, r.grade) for r in rows] == [
            ("130000", 1, "较好"),
            ("140000", 2, "一般"),
        ]
        assert rows[0].score == pytest.approx(78.163265)  # 60 × (0.096939 / 0.1) + 40 × 0.5
        assert rows[0].dimensions == {"growth": pytest.approx(58.163265), "scale": 20.0}
    _advance(db, world, cycle_id, "publication")
    with db.read() as session:
        card = results.scorecard(session, world["shanxi"], cycle_id, "140000")
        assert card.result.explain["indicators"]["income_growth"]["value"] == pytest.approx(
            0.034898, abs=1e-6
        )
        events = session.scalars(
            select(CycleEvent.to_state)
            .where(CycleEvent.cycle_id == cycle_id)
            .order_by(CycleEvent.id)
        ).all()
        assert events == ["computation", "review", "approval", "publication"]
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "cycle.publication")
        )
        assert audited >= 1
    with pytest.raises(Locked), db.write("assessor", "results.import") as session:
        results.import_run(session, world["assessor"], cycle_id, run_dir)


def test_appeal_in_the_feedback_window_and_the_logged_decision(db, world):
    cycle_id = _cycle(db, world, state="publication")
    with db.write("assessor", "finding.create") as session:
        finding = findings.create_finding(
            session, world["assessor"], cycle_id, "130102", "档案不全", 2
        )
    with pytest.raises(WrongState), db.write("changan", "appeal") as session:
        findings.file_appeal(session, world["changan"], finding.id, "资料齐全", today=TODAY)
    _advance(db, world, cycle_id, "feedback")
    with pytest.raises(Forbidden), db.write("shanxi", "appeal") as session:
        findings.file_appeal(session, world["shanxi"], finding.id, "不是我们", today=TODAY)
    with db.write("changan", "appeal.create") as session:
        appeal = findings.file_appeal(
            session,
            world["changan"],
            finding.id,
            "档案已补齐",
            evidence=("proof.pdf", b"%PDF-1.4 evidence"),
            today=TODAY,
        )
    with pytest.raises(Forbidden), db.write("changan", "d") as session:
        findings.decide_appeal(session, world["changan"], appeal.id, True, "")
    with db.write("reviewer", "appeal.decide") as session:
        findings.decide_appeal(session, world["reviewer"], appeal.id, True, "核实已补齐", 1)
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "appeal.decide")
        ).all()
        assert {e.entity for e in entries} == {"appeals", "findings"}
        assert any('"status": "withdrawn"' in (e.after or "") for e in entries)
        assert [
            a.reason for a, _ in findings.visible_appeals(session, world["hebei"], cycle_id)
        ] == ["档案已补齐"]
        assert findings.visible_appeals(session, world["shanxi"], cycle_id) == []


def test_rectification_evidence_close_reopen_and_overdue(db, world):
    cycle_id = _cycle(db, world, state="outcomes")
    with db.write("assessor", "r") as session:
        team_a = session.scalar(select(Team.id).where(Team.name == "第一评估组"))
        item = rectification.create(
            session,
            world["assessor"],
            cycle_id,
            "130102",
            "补齐档案",
            dt.date(2020, 3, 31),
            team_id=team_a,
        )
    with pytest.raises(WrongState), db.write("team_a", "r") as session:
        rectification.verify(session, world["team_a"], item.id, close=True)
    with pytest.raises(Forbidden), db.write("shanxi", "r") as session:
        rectification.submit_evidence(
            session, world["shanxi"], item.id, "a.png", b"\x89PNG\r\n\x1a\n...."
        )
    with db.write("changan", "r") as session:
        rectification.submit_evidence(
            session, world["changan"], item.id, "a.png", b"\x89PNG\r\n\x1a\n...."
        )
    with pytest.raises(Forbidden), db.write("team_b", "r") as session:
        rectification.verify(session, world["team_b"], item.id, close=True)
    with db.write("team_a", "r") as session:
        rectification.verify(session, world["team_a"], item.id, close=False, note="照片不清楚")
    with db.read() as session:
        item = rectification.get(session, world["hebei"], item.id)
        assert item.status == "open"
        assert rectification.is_overdue(item, dt.date(2020, 4, 1))
        assert not rectification.is_overdue(item, dt.date(2020, 3, 31))
