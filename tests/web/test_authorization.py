"""The authorization matrix: every role × every route, allowed and forbidden, including another
province's objects. Expected sets are written out here, not derived from the code's tables."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from tests.support.platform_world import SURVEY_HEADER, WORLD_USERS

from kaohe.store.models import Appeal, Job, Rectification
from kaohe.workflow import rectification, submissions, verification_sheet

from .test_computation import HEBEI, SHANXI, _cycle_with_submissions

EVERYONE = set(WORLD_USERS)
VERIFIERS = {"team_a", "team_b"}
OFFICE = {"admin", "assessor", "reviewer", "approver", "auditor"}
SHEET_READERS = {"admin", "assessor", "reviewer", "auditor", "team_a"}  # uploaded by team A


def _survey_file() -> bytes:
    book = Workbook()
    book.active.append(SURVEY_HEADER)
    book.active.append(["130102", "长安区", 100, 1, 1, "是", "否", "否"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def objects(db, world):
    actors = world["actors"]
    with db.write("hebei", "submission.upload") as session:
        outcome = submissions.upload(
            session, actors["hebei"], world["open"], "monitoring_survey", "s.xlsx", _survey_file()
        )
        world["submission"] = outcome.submission.id
    with db.write("changan", "rectification.evidence") as session:
        rectification.submit_evidence(
            session,
            actors["changan"],
            world["rectification"],
            "proof.png",
            b"\x89PNG\r\n\x1a\nxxxx",
        )
        from kaohe.workflow.findings import attachments

        world["evidence"] = attachments(session, "rectification", world["rectification"])[0].id
    with db.write("team_a", "verification.upload") as session:
        made = verification_sheet.upload(
            session, actors["team_a"], world["verify"], "s.csv", "任务编号\n1\n".encode()
        )
        world["sheet_upload"] = made.id
    return world


@pytest.fixture(autouse=True)
def _world_scheme(settings):
    """The self-evaluation pages list the indicators of the cycle's scheme: the world's scheme
    as a local file (``settings``) for every test of the matrix."""


def get_routes(o):
    return [
        ("/dashboard", EVERYONE),
        (f"/cycles/{o['open']}", EVERYONE),
        (f"/cycles/{o['open']}/submissions", EVERYONE - VERIFIERS),
        (
            f"/cycles/{o['open']}/submissions/monitoring_survey/template",
            {"admin", "hebei", "shanxi", "changan"},
        ),
        (f"/cycles/{o['open']}/submissions/bank_figures/template", {"admin", "regulator"}),
        (f"/cycles/{o['open']}/submissions/fund_evaluation/template", {"admin", "finance"}),
        (
            f"/submissions/{o['submission']}/versions/1/file",
            {"admin", "assessor", "hebei", "reviewer", "approver", "auditor"},
        ),
        (
            f"/submissions/{o['submission']}/versions/1/annotated",
            {"admin", "assessor", "hebei", "reviewer", "approver", "auditor"},
        ),
        (f"/cycles/{o['verify']}/verification", {*OFFICE - {"approver"}, *VERIFIERS}),
        (
            f"/verification/{o['assignment']}",
            {"admin", "assessor", "reviewer", "auditor", "team_a"},
        ),
        (f"/cycles/{o['verify']}/verification/sheet", {"admin", *VERIFIERS}),
        (f"/verification-uploads/{o['sheet_upload']}/annotated", SHEET_READERS),
        (f"/verification-uploads/{o['sheet_upload']}/file", SHEET_READERS),
        (f"/cycles/{o['done']}/results", EVERYONE - VERIFIERS),
        (f"/cycles/{o['done']}/results/140000", EVERYONE - VERIFIERS),
        (
            f"/cycles/{o['done']}/results/130000/records/population",
            OFFICE | {"hebei", "finance"},  # Hebei's own subtree; finance sees region units
        ),
        (f"/cycles/{o['done']}/results/140000/records/population", OFFICE | {"shanxi", "finance"}),
        (f"/cycles/{o['open']}/results", OFFICE),  # not yet published
        (f"/cycles/{o['done']}/findings", EVERYONE - VERIFIERS),
        (f"/cycles/{o['done']}/rectifications", EVERYONE),
        (
            f"/attachments/{o['evidence']}",
            {
                "admin",
                "assessor",
                "hebei",
                "changan",
                "reviewer",
                "approver",
                "auditor",
                "finance",
                "team_a",
            },
        ),
        ("/pivot", EVERYONE - VERIFIERS),
        ("/pivot.xlsx", EVERYONE - VERIFIERS),
        ("/api/pivot", EVERYONE - VERIFIERS),
        ("/trends", EVERYONE - VERIFIERS),
        ("/trends/130000", OFFICE | {"hebei", "finance"}),
        ("/trends/140000", OFFICE | {"shanxi", "finance"}),
        ("/audit", {"admin", "auditor"}),
        ("/account/password", EVERYONE),
        ("/admin/users", {"admin"}),
        ("/admin/tokens", {"admin"}),
        ("/api/cycles", EVERYONE),
        (f"/api/cycles/{o['done']}/results", EVERYONE - VERIFIERS),
        (f"/api/cycles/{o['done']}/results/130000", EVERYONE - VERIFIERS),
        (f"/api/cycles/{o['open']}/results", OFFICE),
        (f"/api/cycles/{o['done']}/findings", EVERYONE - VERIFIERS),
        # 省级自评: whoever sees the unit (the scheme's indicators: the ``_world_scheme`` fixture)
        (f"/cycles/{o['open']}/self-evaluation", EVERYONE - VERIFIERS),
        (f"/cycles/{o['open']}/self-evaluation/130000", OFFICE | {"hebei", "finance"}),
        (f"/cycles/{o['open']}/self-evaluation/140000", OFFICE | {"shanxi", "finance"}),
    ]


@pytest.mark.postgresql
def test_every_role_on_every_page(objects, login):
    clients = {name: login(name) for name in WORLD_USERS}
    failures = []
    for path, allowed in get_routes(objects):
        for name, client in clients.items():
            status = client.get(path, follow_redirects=False).status_code
            expected = 200 if name in allowed else 403
            if status != expected:
                failures.append(f"{name} GET {path}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_lists_show_only_what_is_in_scope(objects, login):
    shanxi = login("shanxi").get(f"/cycles/{objects['done']}/findings").text
    hebei = login("hebei").get(f"/cycles/{objects['done']}/findings").text
    assert "小店区" in shanxi and "长安区" not in shanxi
    assert "长安区" in hebei and "小店区" not in hebei
    # the household as the list shows it ("H1" alone also turns up in a random CSRF token)
    household = "长安区 · H1</a>"
    team_b = login("team_b").get(f"/cycles/{objects['verify']}/verification").text
    assert household not in team_b
    assert household in login("team_a").get(f"/cycles/{objects['verify']}/verification").text


def _post_matrix(clients, path, data, allowed_roles, success_by, success_status=303, files=None):
    failures = []
    for name, client in clients.items():
        if name in allowed_roles:
            continue
        status = client.post(
            path, data={**data, "csrf_token": client.csrf}, files=files, follow_redirects=False
        ).status_code
        if status != 403:
            failures.append(f"{name} POST {path}: {status}, expected 403")
    status = (
        clients[success_by]
        .post(
            path,
            data={**data, "csrf_token": clients[success_by].csrf},
            files=files,
            follow_redirects=False,
        )
        .status_code
    )
    if status != success_status:
        failures.append(f"{success_by} POST {path}: {status}, expected {success_status}")
    return failures


def test_every_role_on_every_action(objects, login):
    clients = {name: login(name) for name in WORLD_USERS}
    o = objects
    failures = []
    failures += _post_matrix(
        clients,
        f"/cycles/{o['open']}/move",
        {"target": "verification", "version": 2},
        {"admin", "assessor"},
        "assessor",
    )
    failures += _post_matrix(
        clients,
        f"/findings/{o['finding']}/appeal",
        {"reason": "已补齐"},
        {"hebei", "changan", "finance"},
        "changan",
    )
    failures += _post_matrix(
        clients,
        f"/rectifications/{o['rectification']}/verify",
        {"decision": "reopen", "version": 2},
        {"admin", "assessor", "team_a"},
        "team_a",
    )
    failures += _post_matrix(
        clients,
        f"/verification/{o['assignment']}",
        {
            "verdict": "正确",
            "version": 1,
            "recognizes": "yes",
            "satisfied_team": "yes",
            "satisfied_cadre": "yes",
        },
        {"admin", "team_a"},
        "team_a",
    )
    assert not failures, "\n".join(failures)


def test_uploads_into_another_province_are_refused_cell_by_cell(objects, login):
    shanxi = login("shanxi")
    response = shanxi.post(
        f"/cycles/{objects['open']}/submissions/monitoring_survey",
        data={"csrf_token": shanxi.csrf},
        files={"file": ("s.xlsx", _survey_file())},
    )
    assert response.status_code == 422
    assert "130102" in response.text and "不在您的填报范围内" in response.text


def test_every_role_uploading_a_verification_sheet(objects, login):
    """Only the administrator and verifiers may upload; a verifier's rows are checked against its
    own team's households (team B's sheet naming team A's household is refused cell by cell).
    The administrator uploads the same answers after team A: nothing changes, nothing is stale."""
    path = f"/cycles/{objects['verify']}/verification/sheet"
    sheet = f"任务编号,农户编号,核查结论,农户认可识别/退出结果,对驻村工作队满意,对帮扶干部满意,核实人均纯收入（元）,备注,版本（请勿修改）\n{objects['assignment']},H1,正确,是,是,是,,,1\n".encode()
    failures = []
    for name in WORLD_USERS:
        client = login(name)
        status = client.post(
            path, data={"csrf_token": client.csrf}, files={"file": ("s.csv", sheet)}
        ).status_code
        expected = {"admin": 200, "team_a": 200, "team_b": 422}.get(name, 403)
        if status != expected:
            failures.append(f"{name} POST {path}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_every_role_computing_results(objects, login, db, settings):
    """Only the administrator and assessors compute; the assessor's computation is imported."""
    cycle_id = _cycle_with_submissions(db, objects, [("hebei", HEBEI), ("shanxi", SHANXI)])
    clients = {name: login(name) for name in WORLD_USERS}
    failures = _post_matrix(
        clients, f"/cycles/{cycle_id}/compute", {}, {"admin", "assessor"}, "assessor"
    )
    # the job's progress page: whoever may see the cycle, and only under its own cycle
    with db.read() as session:
        job = session.scalar(select(Job.id).where(Job.cycle_id == cycle_id))
    for name, client in clients.items():
        status = client.get(f"/cycles/{cycle_id}/jobs/{job}").status_code
        if status != 200:
            failures.append(f"{name} GET job {job}: {status}, expected 200")
        foreign = client.get(f"/cycles/{objects['open']}/jobs/{job}").status_code
        if foreign != 404:
            failures.append(f"{name} GET job {job} under another cycle: {foreign}, expected 404")
    assert not failures, "\n".join(failures)


def test_every_role_on_appeals_and_evidence(objects, login, db):
    """Deciding an appeal: the administrator and reviewers. Rectification evidence: the unit's
    own county, its province and finance (whose scope is every region unit); another province's
    officer is refused like any other role."""
    clients = {name: login(name) for name in WORLD_USERS}
    failures = []
    item = objects["rectification"]  # evidence was handed in (objects): reopen it first
    with db.read() as session:
        version = session.get(Rectification, item).version
    assessor = clients["assessor"]
    reopened = assessor.post(
        f"/rectifications/{item}/verify",
        data={"decision": "reopen", "note": "", "version": version, "csrf_token": assessor.csrf},
        follow_redirects=False,
    )
    assert reopened.status_code == 303, reopened.text
    with db.read() as session:
        version = session.get(Rectification, item).version
    failures += _post_matrix(
        clients,
        f"/rectifications/{objects['rectification']}/evidence",
        {"note": "已整改", "version": version},
        {"changan", "hebei", "finance"},  # finance's scope is every region unit (roles.py)
        "changan",
        files={"file": ("e.pdf", b"%PDF-1.4 x")},
    )
    county = clients["changan"]
    response = county.post(
        f"/findings/{objects['finding']}/appeal",
        data={"reason": "已补齐", "csrf_token": county.csrf},
        files={"evidence": ("p.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code < 400, response.text
    with db.read() as session:
        appeal = session.scalar(select(Appeal.id).where(Appeal.finding_id == objects["finding"]))
    failures += _post_matrix(
        clients,
        f"/appeals/{appeal}/decide",
        {"decision": "accept", "note": "", "version": 1},
        {"admin", "reviewer"},
        "reviewer",
    )
    assert not failures, "\n".join(failures)


def test_every_role_on_the_administrators_pages(objects, login, db):
    """Deadlines, users and tokens: only the national administrator."""
    from sqlalchemy import select

    from kaohe.store.models import ApiToken, Cycle, User
    from kaohe.workflow.accounts import create_account, issue_api_token

    admin = objects["actors"]["admin"]
    with db.write("admin", "setup") as session:
        changan = session.scalar(select(User).where(User.username == "changan"))
        token = issue_api_token(session, admin, changan.id, "county system")
        # targets outside the matrix: acting on a logged-in user would end that user's session
        for name in ("spare_reset", "spare_disable", "spare_role"):
            create_account(session, admin, name, "auditor", "p" * 12)
    clients = {name: login(name) for name in WORLD_USERS}
    with db.read() as session:
        version = session.get(Cycle, objects["open"]).version
        users = {u.username: (u.id, u.version) for u in session.scalars(select(User))}
    admin_only = {"admin"}
    failures = []
    failures += _post_matrix(
        clients,
        f"/cycles/{objects['open']}/deadlines",
        {"due_submission": "2031-01-31", "version": version},
        admin_only,
        "admin",
    )
    failures += _post_matrix(
        clients,
        "/admin/users",
        {"username": "new_county", "role": "county", "unit": "140105", "password": "x" * 12},
        admin_only,
        "admin",
    )
    failures += _post_matrix(
        clients,
        f"/admin/users/{users['spare_reset'][0]}/password",
        {"version": users["spare_reset"][1]},
        admin_only,
        "admin",
        success_status=200,
    )
    failures += _post_matrix(
        clients,
        f"/admin/users/{users['spare_disable'][0]}/active",
        {"active": "no", "version": users["spare_disable"][1]},
        admin_only,
        "admin",
    )
    failures += _post_matrix(
        clients,
        f"/admin/users/{users['spare_role'][0]}/role",
        {"role": "reviewer", "version": users["spare_role"][1]},
        admin_only,
        "admin",
    )
    failures += _post_matrix(
        clients,
        "/admin/tokens",
        {"user_id": users["hebei"][0], "name": "provincial platform"},
        admin_only,
        "admin",
        success_status=200,
    )
    failures += _post_matrix(clients, f"/admin/tokens/{token.id}/revoke", {}, admin_only, "admin")
    assert not failures, "\n".join(failures)
    with db.read() as session:
        assert session.get(ApiToken, token.id).revoked_at is not None
        assert session.get(Cycle, objects["open"]).deadlines["submission"] == "2031-01-31"


def test_every_role_on_self_evaluations_and_findings(objects, login):
    """省级自评: entered by the province for its own unit (or the administrator); another
    province is refused. Recording a finding: the administrator and assessors."""
    clients = {name: login(name) for name in WORLD_USERS}
    failures = []
    failures += _post_matrix(
        clients,
        f"/cycles/{objects['open']}/self-evaluation/130000",
        {"score_income_growth": "50", "score_population_size": "30", "summary": "完成"},
        {"admin", "hebei"},
        "hebei",
    )
    failures += _post_matrix(
        clients,
        f"/cycles/{objects['done']}/findings",
        {"unit": "140105", "kind": "档案不全", "cases": "1", "origin": "supervision"},
        {"admin", "assessor"},
        "assessor",
    )
    assert not failures, "\n".join(failures)


# Routes whose authorization is tested elsewhere than the matrices above, and why.
OUTSIDE_THE_MATRIX = {
    ("GET", "/"): "a redirect to the login or the dashboard",
    ("GET", "/login"): "before login",
    ("POST", "/login"): "before login (test_security, test_accounts_hardening)",
    ("POST", "/logout"): "every role logs out its own session (test_sessions)",
    ("GET", "/lang/{code}"): "the language choice, kept in the session only",
    ("POST", "/account/password"): "one's own password only (test_accounts_hardening)",
    ("POST", "/cycles/{cycle_id}/submissions/{source_id}"): "the upload tests above, cell by cell",
    ("POST", "/api/cycles/{cycle_id}/submissions/{source_id}"): "test_flows' API pushes",
}
# Actions the matrices above post to, by route.
POSTED_IN_THE_MATRIX = {
    "/cycles/{cycle_id}/move",
    "/cycles/{cycle_id}/compute",
    "/cycles/{cycle_id}/verification/sheet",
    "/verification/{assignment_id}",
    "/findings/{finding_id}/appeal",
    "/appeals/{appeal_id}/decide",
    "/rectifications/{item_id}/evidence",
    "/rectifications/{item_id}/verify",
    "/cycles/{cycle_id}/deadlines",
    "/admin/users",
    "/admin/users/{user_id}/active",
    "/admin/users/{user_id}/password",
    "/admin/users/{user_id}/role",
    "/admin/tokens",
    "/admin/tokens/{token_id}/revoke",
    "/cycles/{cycle_id}/self-evaluation/{unit_code}",
    "/cycles/{cycle_id}/findings",
}
JOB_PAGE = "/cycles/{cycle_id}/jobs/{job_id}"  # checked in test_every_role_computing_results


def test_every_route_is_in_the_matrix(objects):
    """A new route fails here until its roles are written into a matrix (or it is listed, with
    the reason, as tested elsewhere)."""
    from kaohe.web.app import ROUTERS

    pages = [path for path, _ in get_routes(objects)]
    missing = []
    for area in ROUTERS:
        for route in area.router.routes:
            for method in route.methods:
                key = (method, route.path)
                if key in OUTSIDE_THE_MATRIX or route.path == JOB_PAGE:
                    continue
                if method == "POST" and route.path in POSTED_IN_THE_MATRIX:
                    continue
                if method == "GET" and any(route.path_regex.match(p) for p in pages):
                    continue
                missing.append(f"{method} {route.path}")
    assert not missing, "routes no authorization matrix covers:\n" + "\n".join(missing)
