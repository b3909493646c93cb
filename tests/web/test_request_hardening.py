"""Requests the platform must refuse cleanly, never with a 500: ids and whole numbers beyond what
the database holds, workbooks without a worksheet, numbers that are not finite, bodies over the
limit (also when streamed without a length), and the framework's own errors (405, 404, a body
the multipart parser refuses) in the user's language."""

import io
import typing
import zipfile

import pytest
from fastapi.routing import APIRoute
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy import func, select

from kaohe.store.models import AuditEntry, VerificationResult
from kaohe.web.app import ROUTERS

TOO_BIG = (2**31, 2**63, 10**30)  # beyond PostgreSQL's INTEGER, SQLite's, any


def _routes() -> list[APIRoute]:
    """Every route of the app: FastAPI 0.165 keeps an included router as one entry of
    ``app.routes``, so the routes are read from the routers ``create_app`` includes."""
    return [route for area in ROUTERS for route in area.router.routes]


def _fields(route: APIRoute) -> list[tuple[str, str, typing.Any]]:
    """(where, name, annotation) of every parameter, through the route's dependencies."""
    found, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        for where in ("path", "query", "body"):
            for field in getattr(dependant, f"{where}_params"):
                found.append((where, field.alias, field.field_info.annotation))
        pending.extend(dependant.dependencies)
    return found


def _is_int(annotation) -> bool:
    return annotation is int or int in typing.get_args(annotation)


def _request(client, route: APIRoute, method: str, path_value, other_value):
    fields = _fields(route)
    path = route.path
    for where, name, annotation in fields:
        if where == "path":
            shown = path_value if _is_int(annotation) else "130102"
            path = path.replace("{" + name + "}", str(shown))
    query = {n: other_value for w, n, a in fields if w == "query" and _is_int(a)}
    if method == "GET":
        return client.get(path, params=query, follow_redirects=False)
    form = {"csrf_token": client.csrf}
    files = {}
    for where, name, annotation in fields:
        if where != "body" or name == "csrf_token":
            continue
        if "UploadFile" in str(annotation):
            files[name] = ("f.csv", b"a,b\n1,2\n")
        else:
            form[name] = str(other_value) if _is_int(annotation) else "x"
    return client.post(path, params=query, data=form, files=files or None, follow_redirects=False)


@pytest.mark.postgresql  # the bound is the narrower INTEGER of the two databases
@pytest.mark.parametrize("value", TOO_BIG)
def test_an_id_beyond_the_database_is_not_found_on_every_route(login, world, value):
    client = login("admin")
    walked = 0
    for route in _routes():
        if not any(w == "path" and _is_int(a) for w, _, a in _fields(route)):
            continue
        for method in route.methods:
            response = _request(client, route, method, value, 1)
            assert response.status_code == 404, (method, route.path, response.text[:300])
            walked += 1
    assert walked >= 30  # every id route of the pages and the API


@pytest.mark.parametrize("value", [*TOO_BIG, -(2**63) - 1])
def test_a_whole_number_beyond_the_database_in_a_query_or_form_is_refused(login, world, value):
    client = login("admin")
    walked = 0
    for route in _routes():
        if not any(w in ("query", "body") and _is_int(a) for w, _, a in _fields(route)):
            continue
        for method in route.methods:
            response = _request(client, route, method, world["done"], value)
            assert response.status_code == 422, (method, route.path, response.text[:300])
            walked += 1
    assert walked >= 8


# --- bodies over the limit and the framework's errors, in the user's language -------------------


def _chunks(size: int, chunk: int = 256 * 1024):
    """A body streamed without a length (chunked), as a client that does not know it sends."""
    sent = 0
    while sent < size:
        yield b"x" * chunk
        sent += chunk


def _multipart_stream(size: int):
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n\r\n'
    yield from _chunks(size)
    yield b"\r\n--b--\r\n"


@pytest.mark.parametrize(
    "lang,words", [("zh", "上传内容超过 10 MB 上限"), ("en", "larger than the 10 MB limit")]
)
def test_a_streamed_upload_over_the_limit_is_413_in_the_users_language(login, world, lang, words):
    client = login("hebei")
    client.get(f"/lang/{lang}?next=/dashboard")
    response = client.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        content=_multipart_stream(11 * 1024 * 1024),
        headers={"content-type": "multipart/form-data; boundary=b", "x-csrf-token": client.csrf},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text[:300]
    assert words in response.text


def test_a_declared_length_over_the_limit_is_413_in_the_users_language(login, world):
    client = login("hebei")
    client.get("/lang/en?next=/dashboard")
    response = client.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        content=b"x" * (11 * 1024 * 1024),
        headers={"content-type": "multipart/form-data; boundary=b", "x-csrf-token": client.csrf},
    )
    assert response.status_code == 413 and "larger than the 10 MB limit" in response.text
    api = client.post(
        f"/api/cycles/{world['open']}/submissions/monitoring_survey",
        content=_multipart_stream(11 * 1024 * 1024),
        headers={"content-type": "multipart/form-data; boundary=b", "x-csrf-token": client.csrf},
    )
    assert api.status_code == 413
    assert api.json() == {"detail": "the upload is larger than the 10 MB limit"}


def test_a_method_the_route_lacks_is_405_with_allow_translated(login, world):
    client = login("admin")
    response = client.delete("/dashboard")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert "该地址不支持这种请求方式" in response.text and "Method Not Allowed" not in response.text
    api = client.put("/api/cycles")
    assert api.status_code == 405 and api.headers["allow"] == "GET"
    assert api.json()["detail"] == "该地址不支持这种请求方式"
    client.get("/lang/en?next=/dashboard")
    assert "does not accept this kind of request" in client.delete("/dashboard").text
    assert client.get("/no/such/page").status_code == 404
    assert "not found" in client.get("/no/such/page").text


def test_a_body_the_multipart_parser_refuses_is_400_translated(login, world):
    client = login("hebei")
    response = client.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        content=b"no boundary here",
        headers={"content-type": "multipart/form-data", "x-csrf-token": client.csrf},
    )
    assert response.status_code == 400
    assert "请求内容无法解析" in response.text and "boundary" not in response.text


# --- workbooks without a worksheet ------------------------------------------------------------


def _chart_sheets_only() -> bytes:
    """A workbook whose only sheet is a chart sheet (图表): no cell to read."""
    book = Workbook()
    data = book.active
    data.append(["a", 1])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=1))
    book.create_chartsheet("图表").add_chart(chart)
    book.remove(data)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_claiming_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def _workbook_without_sheets() -> bytes:
    """An xlsx whose workbook.xml lists no sheet at all."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_chart_sheets_only())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/workbook.xml":
                content = content.split(b"<sheets>")[0] + content.split(b"</sheets>")[1]
            target.writestr(item, content)
    return out.getvalue()


BROKEN = {
    "charts.xlsx": _chart_sheets_only(),
    "archive.xlsx": _zip_claiming_xlsx(),
    "nosheet.xlsx": _workbook_without_sheets(),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_workbook_without_a_worksheet_is_refused_naming_the_file(login, world, name):
    client = login("hebei")
    submission = client.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        data={"csrf_token": client.csrf},
        files={"file": (name, BROKEN[name])},
    )
    assert submission.status_code == 400, submission.text[:300]
    assert name in submission.text
    pushed = client.post(
        f"/api/cycles/{world['open']}/submissions/monitoring_survey",
        headers={"x-csrf-token": client.csrf},
        files={"file": (name, BROKEN[name])},
    )
    assert pushed.status_code == 400 and name in pushed.json()["detail"]
    team = login("team_a")
    sheet = team.post(
        f"/cycles/{world['verify']}/verification/sheet",
        data={"csrf_token": team.csrf},
        files={"file": (name, BROKEN[name])},
    )
    assert sheet.status_code == 400, sheet.text[:300]
    assert name in sheet.text


# --- numbers that are not finite ----------------------------------------------------------------


def _record(client, assignment, income):
    return client.post(
        f"/verification/{assignment}",
        data={
            "csrf_token": client.csrf,
            "verdict": "正确",
            "version": 1,
            "recognizes": "yes",
            "satisfied_team": "yes",
            "satisfied_cadre": "yes",
            "income_verified": income,
            "note": "",
        },
        follow_redirects=False,
    )


def _stored(db) -> tuple[int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(VerificationResult)),
            session.scalar(select(func.count()).select_from(AuditEntry)),
        )


@pytest.mark.parametrize("income", ["inf", "-Infinity", "1e309", "nan", " NaN "])
def test_a_verified_income_that_is_not_finite_is_refused_naming_the_field(login, world, db, income):
    client = login("team_a")
    before = _stored(db)
    response = _record(client, world["assignment"], income)
    assert response.status_code == 400, response.text[:300]
    assert "核实人均纯收入" in response.text and "income_verified" in response.text
    assert _stored(db) == before  # nothing recorded, nothing audited
    assert _record(client, world["assignment"], "3650.5").status_code == 303


@pytest.mark.parametrize("income", ["inf", "1e309", "nan"])
def test_a_sheet_with_an_income_that_is_not_finite_has_an_error_in_that_cell(
    login, world, db, income
):
    client = login("team_a")
    filled = (
        "任务编号,农户编号,核查结论,农户认可识别/退出结果,对驻村工作队满意,对帮扶干部满意,"
        "核实人均纯收入（元）,备注,版本（请勿修改）\r\n"
        f"{world['assignment']},H1,正确,是,是,是,{income},,1\r\n"
    )
    response = client.post(
        f"/cycles/{world['verify']}/verification/sheet",
        data={"csrf_token": client.csrf},
        files={"file": ("sheet.csv", filled.encode())},
    )
    assert response.status_code == 422, response.text[:300]
    assert "核实人均纯收入（元）" in response.text
    assert _stored(db)[0] == 0


def test_a_decimal_that_is_not_finite_is_422_on_the_api(app, login, world):
    def probe(amount: float) -> dict:
        return {"amount": amount}

    app.add_api_route("/api/probe", probe)
    client = login("admin")
    assert client.get("/api/probe", params={"amount": "12.5"}).json() == {"amount": 12.5}
    for raw in ("inf", "1e309", "nan"):
        response = client.get("/api/probe", params={"amount": raw})
        assert response.status_code == 422, response.text
        assert "amount" in response.json()["detail"]
