"""After logging in, the user lands on the page they asked for, never on another site."""

import re

import pytest
from fastapi.testclient import TestClient
from tests.support.platform_world import WORLD_PASSWORD

from kaohe.web.auth import local_path

from .conftest import csrf_of


def _next_field(html: str) -> str | None:
    found = re.search(r'name="next" value="([^"]*)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _log_in(client: TestClient, next_page: str | None, username: str = "admin"):
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": WORLD_PASSWORD, "csrf_token": token}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/login", data=data, follow_redirects=False)


def test_a_page_asked_for_before_logging_in_is_where_the_login_leads(app, world):
    client = TestClient(app)
    asked = f"/cycles/{world['done']}/findings"
    bounced = client.get(asked, follow_redirects=False)
    assert bounced.status_code == 303 and bounced.headers["location"].startswith("/login")
    form = client.get(bounced.headers["location"]).text
    assert _next_field(form) == asked  # carried by the form
    response = _log_in(client, _next_field(form))
    assert response.status_code == 303 and response.headers["location"] == asked
    assert client.get(asked).status_code == 200


def test_the_query_of_the_page_asked_for_is_kept(app, world):
    client = TestClient(app)
    form = client.get("/login?next=/audit%3Fbefore%3D5").text
    assert _next_field(form) == "/audit?before=5"
    assert _log_in(client, "/audit?before=5").headers["location"] == "/audit?before=5"


def test_without_a_page_asked_for_the_login_leads_to_the_dashboard(app, world):
    assert _log_in(TestClient(app), None).headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    "elsewhere",
    [
        "//evil.example",
        "//evil.example/dashboard",
        "https://evil.example",
        "https://evil.example/dashboard",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "dashboard",
        "/\tevil",
    ],
)
def test_another_site_is_never_where_the_login_leads(app, world, elsewhere):
    client = TestClient(app)
    assert _next_field(client.get("/login", params={"next": elsewhere}).text) is None
    response = _log_in(client, elsewhere)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    switched = client.get("/lang/en", params={"next": elsewhere}, follow_redirects=False)
    assert switched.headers["location"] == "/dashboard"


def test_a_failed_login_keeps_the_page_asked_for(app, world):
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    refused = client.post(
        "/login",
        data={"username": "admin", "password": "wrong", "csrf_token": token, "next": "/audit"},
    )
    assert refused.status_code == 401 and _next_field(refused.text) == "/audit"


def test_local_paths():
    assert local_path("/cycles/3/findings?x=1") == "/cycles/3/findings?x=1"
    for elsewhere in ("", None, "//a", "https://a", "/\\a", "a", "/a\nb", "http:/a"):
        assert local_path(elsewhere) is None, elsewhere
