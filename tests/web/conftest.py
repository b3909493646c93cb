import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.browser import CHROMIUM  # noqa: F401 (the browser tests import it from here)
from tests.support.platform_world import (
    WORLD_PASSWORD,
    build_world,
    empty,
    migrated_database,
    postgres_unreachable,
    world_run,
)

from kaohe.store.models import Team, User
from kaohe.web import create_app
from kaohe.workflow import cycles, findings, rectification, verification
from kaohe.workflow import platform_results as results
from kaohe.workflow.roles import Actor

_REASON = postgres_unreachable()

# Which database a web test runs on (the rule for a newcomer):
#
# Every test runs on SQLite. A test marked ``@pytest.mark.postgresql`` runs on PostgreSQL as
# well. Mark a test when what it proves could come out differently on the other database:
# - transactions and locking: a write refused half-way leaves nothing behind, a stale form or a
#   second reviewer is refused (optimistic versions), an error rolls back;
# - types the two store differently: JSON (deadlines, run manifests), binary files (uploads and
#   annotated downloads), floats and dates, and values read back to be compared (a ledger
#   imported again: updated or unchanged);
# - SQL that counts, orders or pages: rankings, NULLs (withheld units) first or last, last
#   period's rank, the verification coverage;
# - one full pass of the authorization matrix (every role on every page) and one browser walk.
# Do not mark a test that checks the web layer itself (forms, CSRF, headers, templates, the
# language, the command line) or the engine's part of a computation: the database cannot change
# its outcome, and the second run only costs time. Below the web layer, tests/store and
# tests/workflow run every test on both databases (migrations, the audit chain, locking).


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgresql: run this web test on PostgreSQL as well as on SQLite"
    )


def pytest_generate_tests(metafunc):
    """``database_session`` (through ``db``, ``world``, ``app`` …) is SQLite, and also PostgreSQL
    for a test marked ``postgresql``; one database of each kind for the whole session."""
    if "database_session" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("postgresql") is not None
        backends = ["sqlite", "postgresql"] if marked else ["sqlite"]
        metafunc.parametrize("database_session", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def database_session(request, tmp_path_factory):
    if request.param == "postgresql" and _REASON:
        pytest.skip(_REASON)
    with migrated_database(request.param, tmp_path_factory.mktemp(request.param)) as db:
        yield db


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    return world_run(tmp_path_factory.mktemp("run"))


@pytest.fixture
def db(database_session):
    empty(database_session)
    return database_session


@pytest.fixture
def world(db, tmp_path, run_dir):
    """The small world plus: a cycle in submission, a published cycle with results, findings,
    an appeal-ready feedback cycle, assignments for team A and a rectification."""
    ids = build_world(db, tmp_path)
    with db.read() as session:
        actors = {name: Actor.of(session.get(User, uid)) for name, uid in ids.items()}
    admin, assessor = actors["admin"], actors["assessor"]
    objects = {"actors": actors}
    with db.write("setup", "world.cycles") as session:
        team_a = session.scalar(select(Team.id).where(Team.name == "第一评估组"))
        open_cycle = cycles.create_cycle(session, admin, "world-test", "2019", "测试周期")
        open_cycle.state = "submission"
        done = cycles.create_cycle(session, admin, "world-test", "2018", "上年周期")
        done.state = "computation"
        session.flush()
        results.import_run(session, assessor, done.id, run_dir)
        done.state = "feedback"
        finding = findings.create_finding(session, assessor, done.id, "130102", "档案不全", 1)
        other = findings.create_finding(session, assessor, done.id, "140105", "档案不全", 1)
        item = rectification.create(
            session,
            assessor,
            done.id,
            "130102",
            "补齐档案",
            __import__("datetime").date(2030, 1, 1),
            finding.id,
            team_a,
        )
        verify_cycle = cycles.create_cycle(session, admin, "world-test", "2017", "核查周期")
        verify_cycle.state = "verification"
        session.flush()
        verification.assign(
            session, assessor, verify_cycle.id, team_a, [{"unit": "130102", "household_id": "H1"}]
        )
        objects.update(
            open=open_cycle.id,
            done=done.id,
            verify=verify_cycle.id,
            finding=finding.id,
            other_finding=other.id,
            rectification=item.id,
        )
    with db.read() as session:
        objects["assignment"] = verification.assignments(session, admin, objects["verify"])[0].id
    return objects


@pytest.fixture
def app(db):
    return create_app(db, secret="test-secret")


@pytest.fixture
def settings(app, tmp_path):
    """Computation settings of the app: runs under tmp_path, the world's scheme as a local file."""
    from tests.support.platform_world import WORLD_SCHEME

    from kaohe.workflow.computation import ComputeSettings

    schemes = tmp_path / "schemes"
    schemes.mkdir()
    (schemes / "world-test.yaml").write_text(WORLD_SCHEME, encoding="utf-8")
    app.state.compute = ComputeSettings(runs_dir=tmp_path / "runs", schemes_dir=schemes)
    return app.state.compute


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def login(app):
    """login(username) -> a TestClient with a session and its CSRF token as ``client.csrf``."""

    def _login(username: str, password: str = WORLD_PASSWORD) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        client.csrf = csrf_of(client.get("/dashboard").text)
        return client

    return _login
