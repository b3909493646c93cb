"""Computation inside the platform: the accepted submissions become a data directory, the engine
runs on it and the run is imported as the cycle's result (audited); a failure shows the engine's
message and imports nothing. On the web the computation is a job (tests/web/test_jobs.py): here
its queued job is run in the test's thread (``tests.support.jobs``)."""

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.jobs import compute as compute_job
from typer.testing import CliRunner

from kaohe.cli import app as cli
from kaohe.store.models import AuditEntry, Run
from kaohe.workflow import cycles, submissions

SURVEY = (
    "unit,rural_population,income_per_capita,income_per_capita_last,poor_county,exit_planned,"
    "exited\n"
)
HEBEI = SURVEY + "130102,30000,9000,8000,是,否,否\n130104,20000,8000,7600,否,否,否\n"
SHANXI_WRONG = SURVEY + "140105,1,1,1,是,否,否\n140106,1,1,1,是,否,否\n"
SHANXI = SURVEY + "140105,50000,10000,9500,是,否,否\n140106,40000,9000,8900,否,否,否\n"


def _cycle_with_submissions(db, world, files):
    actors = world["actors"]
    with db.write("setup", "compute-cycle") as session:
        cycle = cycles.create_cycle(session, actors["admin"], "world-test", "2020", "计算周期")
        cycle.state = "submission"
        cycle_id = cycle.id
    for who, content in files:
        with db.write(who, "submission.upload") as session:
            outcome = submissions.upload(
                session, actors[who], cycle_id, "monitoring_survey", "s.csv", content.encode()
            )
            assert outcome.accepted, outcome.errors
    with db.write("setup", "to-computation") as session:
        cycles.get_cycle(session, cycle_id).state = "computation"
    return cycle_id


@pytest.mark.postgresql
def test_compute_from_the_accepted_submissions(login, world, db, settings, app):
    # Shanxi's second accepted file replaces its first: only the latest accepted version counts.
    cycle_id = _cycle_with_submissions(
        db, world, [("hebei", HEBEI), ("shanxi", SHANXI_WRONG), ("shanxi", SHANXI)]
    )
    assessor = login("assessor")
    job = compute_job(assessor, app, cycle_id)
    assert job.state == "done", job.message
    rows = assessor.get(f"/api/cycles/{cycle_id}/results").json()
    assert [(r["unit"], r["rank"], r["grade"]) for r in rows] == [
        ("130000", 1, "较好"),
        ("140000", 2, "一般"),
    ]
    assert rows[0]["score"] == pytest.approx(78.163265)  # as computed by hand in test_platform
    with db.read() as session:
        run = session.scalar(select(Run).where(Run.cycle_id == cycle_id))
        survey = run.manifest["inputs"]["monitoring_survey"]
        assert survey["rows"] == 4
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "results.compute", AuditEntry.entity == "runs")
        )
        assert audited == 1
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "results.compute")
        ).all()
        assert set(actors) == {"assessor"}  # the job acted as the user who asked
    assert survey["file"].startswith(str(settings.runs_dir))
    # the records behind a measure come from the computed data directory
    records = assessor.get(f"/cycles/{cycle_id}/results/140000/records/population")
    assert records.status_code == 200 and 'id="total">2<' in records.text
    assert "50000" in records.text and ">1<" not in records.text.split("<tbody>")[1]

    # the cycle page lists the run; outside computation the button is refused
    assert f"run {run.id}" in assessor.get(f"/cycles/{cycle_id}").text
    with db.write("setup", "review") as session:
        cycles.get_cycle(session, cycle_id).state = "review"
    late = assessor.post(f"/cycles/{cycle_id}/compute", data={"csrf_token": assessor.csrf})
    assert late.status_code == 409


@pytest.mark.postgresql
def test_a_failed_computation_imports_nothing(login, world, db, settings, app):
    cycle_id = _cycle_with_submissions(db, world, [])  # nothing submitted
    admin = login("admin")
    job = compute_job(admin, app, cycle_id)
    assert job.state == "failed"
    assert "计算失败，未导入任何结果" in job.message and "monitoring_survey" in job.message
    page = admin.get(f"/cycles/{cycle_id}/jobs/{job.id}").text
    assert "计算失败，未导入任何结果" in page and "monitoring_survey" in page
    with db.read() as session:
        assert session.scalar(select(Run).where(Run.cycle_id == cycle_id)) is None
    attempts = settings.runs_dir / f"cycle-{cycle_id}"
    assert not attempts.exists() or not any(attempts.iterdir())  # no half-written attempt


def test_compute_from_the_command_line(world, db, settings, monkeypatch):
    # SQLite only (not marked postgresql): the command line connects by URL, and PostgreSQL's
    # test schema is set per connection
    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    monkeypatch.setenv("KAOHE_RUNS_DIR", str(settings.runs_dir))
    monkeypatch.setenv("KAOHE_SCHEMES_DIR", str(settings.schemes_dir))
    monkeypatch.setenv("KAOHE_LANG", "en")
    result = CliRunner().invoke(cli, ["db", "compute", "--cycle", str(cycle_id), "--url", db.url])
    assert result.exit_code == 0, result.output
    assert "computed and imported" in result.output
    with db.read() as session:
        assert session.scalar(select(Run.id).where(Run.cycle_id == cycle_id)) is not None


def test_compute_the_provincial_scheme_from_platform_verification(world, db, settings, demo_data):
    """The bundled provincial scheme over the demo registry (KAOHE_BASE_DATA): the platform's
    verification results become field_checks, and the estimates derived from them are
    recomputed, not taken from the base data."""
    import csv
    import dataclasses

    from kaohe.store.units import import_units
    from kaohe.workflow import verification
    from kaohe.workflow.computation import compute

    # SQLite only (not marked postgresql): the engine's part is the same on both databases
    base = demo_data  # the session's demo data set (tests/conftest.py), read-only
    actors = world["actors"]
    with db.write("setup", "demo-units") as session:
        import_units(session, base / "units.csv")
        cycle = cycles.create_cycle(
            session, actors["admin"], "provincial-effectiveness-2016", "2019", "省级考核"
        )
        cycle.state = "verification"
        cycle_id = cycle.id
        with open(base / "field_checks.csv", encoding="utf-8") as handle:
            sample = list(csv.DictReader(handle))[:12]
        from kaohe.store.models import Team

        team = session.scalar(select(Team.id).where(Team.name == "第一评估组"))
        verification.assign(
            session,
            actors["assessor"],
            cycle_id,
            team,
            [
                {"unit": r["unit"], "household_id": r["household_id"], "exited": True}
                for r in sample
            ],
        )
    with db.write("team_a", "verification.record") as session:
        for item in verification.assignments(session, actors["team_a"], cycle_id):
            verification.record(
                session, actors["team_a"], item.id, verification.Verdict("错退", False, True, True)
            )
    with db.write("setup", "to-computation") as session:
        cycles.get_cycle(session, cycle_id).state = "computation"
    settings = dataclasses.replace(settings, base_data=base)
    run_id = compute(db, actors["assessor"], cycle_id, settings)
    with db.read() as session:
        inputs = session.get(Run, run_id).manifest["inputs"]
    assert inputs["field_checks"]["rows"] == 12  # the platform's results, not the base file's
    derived = Path(inputs["verification_estimates"]["file"])
    assert not derived.is_symlink()
    assert derived.read_bytes() != (base / "verification_estimates.csv").read_bytes()
    assert Path(inputs["persons"]["file"]).resolve() == (base / "persons.parquet").resolve()


def test_an_accepted_file_that_todays_rules_refuse_stops_the_computation(
    login, world, db, settings, app
):
    """A file accepted under earlier rules is never dropped in silence: its units would lose
    their figures and be withheld without anyone knowing why (issue 13)."""
    from kaohe.store.models import SubmissionVersion

    cycle_id = _cycle_with_submissions(db, world, [("hebei", HEBEI), ("shanxi", SHANXI)])
    with db.write("setup", "rules-changed") as session:
        version = session.scalars(
            select(SubmissionVersion).where(SubmissionVersion.cycle_id == cycle_id)
        ).first()
        # as if accepted when "36.5" still passed for a whole number of people
        version.content = HEBEI.replace("30000", "30000.5").encode()
    assessor = login("assessor")
    job = compute_job(assessor, app, cycle_id)
    assert job.state == "failed"
    assert "s.csv" in job.message and "重新提交" in job.message, job.message
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 1  # the world's only
