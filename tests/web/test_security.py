"""Security of the web layer: cookies, CSRF, login rate limit, headers, uploads, no stack traces,
and the schema check of ``kaohe serve``."""

import pytest
from fastapi.testclient import TestClient
from tests.support.platform_world import WORLD_PASSWORD
from typer.testing import CliRunner

from kaohe.cli import app as cli
from kaohe.workflow.authentication import LoginRules

from .conftest import csrf_of


def test_session_cookie_is_httponly_and_samesite(app, world):
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "hebei", "password": WORLD_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "kaohe_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_security_headers_and_no_cdn(app, world, login):
    page = login("hebei").get(f"/cycles/{world['done']}/results/130000")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "http://" not in page.text.replace("http://testserver", "")
    assert "https://" not in page.text
    for asset in (
        "/static/vendor/echarts-6.1.0.min.js",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/app.js",
        "/static/vendor/echarts-LICENSE.txt",
    ):
        assert TestClient(app).get(asset).status_code == 200


def test_forms_without_the_csrf_token_are_refused(login, world):
    client = login("assessor")
    response = client.post(
        f"/cycles/{world['open']}/move", data={"target": "verification", "version": 2}
    )
    assert response.status_code == 403 and "CSRF" in response.text
    response = client.post(
        f"/cycles/{world['open']}/move",
        data={"target": "verification", "version": 2, "csrf_token": "forged"},
    )
    assert response.status_code == 403


def test_login_rate_limit(app, world):
    """Failed logins delay the account (see test_accounts_hardening for the whole rule)."""
    app.state.login_rules = LoginRules(free_failures=5, first_delay_seconds=60)
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    statuses = [
        client.post(
            "/login", data={"username": "hebei", "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    # even the right password waits now (it is not looked at)
    right = client.post(
        "/login", data={"username": "hebei", "password": WORLD_PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    # other users are not delayed
    other = client.post(
        "/login",
        data={"username": "shanxi", "password": WORLD_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert other.status_code == 303


def test_pages_need_a_login_and_the_api_a_token(app, world):
    client = TestClient(app)
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/cycles").status_code == 401
    assert client.get("/api/cycles", headers={"authorization": "Bearer nope"}).status_code == 401


def test_a_crash_shows_an_incident_number_not_a_trace(app, world, login):
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/boom", boom)
    response = login("admin").get("/boom")
    assert response.status_code == 500
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "编号" in response.text


def test_upload_limits_and_content_checks(login, world, monkeypatch):
    client = login("hebei")
    path = f"/cycles/{world['open']}/submissions/monitoring_survey"
    fake = client.post(
        path,
        data={"csrf_token": client.csrf},
        files={"file": ("survey.xlsx", b"<html>not excel</html>")},
    )
    assert fake.status_code == 400 and "xlsx" in fake.text
    huge = client.post(
        path,
        data={"csrf_token": client.csrf},
        files={"file": ("survey.csv", b"x" * (11 * 1024 * 1024))},
    )
    assert huge.status_code == 413


def test_serve_refuses_an_out_of_date_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")
    result = CliRunner().invoke(cli, ["serve", "--url", f"sqlite:///{tmp_path / 'old.db'}"])
    assert result.exit_code == 2
    assert "kaohe db upgrade" in " ".join(result.output.split())


@pytest.mark.parametrize("lang,word", [("zh", "工作台"), ("en", "Dashboard")])
def test_language_switch(login, lang, word):
    client = login("admin")
    page = client.get(f"/lang/{lang}?next=/dashboard")
    assert page.status_code == 200 and f"<h1>{word}" in page.text


@pytest.fixture
def login(login, world):  # every test here has the world
    return login
