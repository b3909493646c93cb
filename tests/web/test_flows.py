"""Whole tasks through the web (TestClient), on SQLite and PostgreSQL."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from tests.support.platform_world import SURVEY_HEADER

from kaohe.store.accounts import issue_token
from kaohe.store.models import Figure, User

HEADER = SURVEY_HEADER


def _xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.postgresql
def test_template_upload_errors_annotated_file_and_resubmission(login, world, db):
    client = login("hebei")
    cycle = world["open"]
    template = load_workbook(
        io.BytesIO(client.get(f"/cycles/{cycle}/submissions/monitoring_survey/template").content)
    )
    sheet = template["数据"]
    assert [c.value for c in sheet[1]] == HEADER
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["130102", "130104"]
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"是,否"' in lists

    bad = _xlsx(
        HEADER,
        ["130102", "长安区", 30000, "九千", 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "maybe", "否"],
    )
    response = client.post(
        f"/cycles/{cycle}/submissions/monitoring_survey",
        data={"csrf_token": client.csrf},
        files={"file": ("s.xlsx", bad)},
    )
    assert response.status_code == 422
    assert "农村居民人均可支配收入（元）" in response.text and "是否计划本年退出" in response.text
    link = re.search(r'href="(/submissions/\d+/versions/1/annotated)"', response.text).group(1)
    annotated = load_workbook(io.BytesIO(client.get(link).content))["数据"]
    assert annotated["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "数字" in annotated["D2"].comment.text
    assert annotated["G3"].comment is not None and annotated["I3"].value  # errors column

    good = _xlsx(
        HEADER,
        ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
    )
    response = client.post(
        f"/cycles/{cycle}/submissions/monitoring_survey",
        data={"csrf_token": client.csrf},
        files={"file": ("s.xlsx", good)},
    )
    assert response.status_code == 200 and "upload-status" in response.text
    listing = client.get(f"/cycles/{cycle}/submissions").text
    assert "v2 ✓" in listing and "v1" in listing  # the first version is kept
    with db.read() as session:
        assert (
            session.scalar(
                select(Figure.value).where(
                    Figure.unit_code == "130102", Figure.name == "income_per_capita"
                )
            )
            == 9000
        )


@pytest.mark.postgresql
def test_two_reviewers_deciding_one_appeal(login, world):
    county = login("changan")
    county.post(
        f"/findings/{world['finding']}/appeal",
        data={"reason": "已补齐", "csrf_token": county.csrf},
        files={"evidence": ("p.pdf", b"%PDF-1.4 x")},
    )
    first, second = login("reviewer"), login("admin")
    page = first.get(f"/cycles/{world['done']}/findings").text
    assert 'name="version" value="1"' in page
    decide = re.search(r'action="(/appeals/\d+/decide)"', page).group(1)  # ids vary by backend
    ok = first.post(
        decide,
        data={"decision": "accept", "note": "属实", "version": 1, "csrf_token": first.csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    late = second.post(
        decide,
        data={"decision": "reject", "note": "", "version": 1, "csrf_token": second.csrf},
    )
    assert late.status_code == 409 and "刷新" in late.text


def test_cycle_moves_and_uploads_outside_the_window_are_refused(login, world, db):
    assessor = login("assessor")
    for target, who in (("verification", "assessor"), ("computation", "assessor")):
        client = login(who)
        version = 2 if target == "verification" else 3
        assert (
            client.post(
                f"/cycles/{world['open']}/move",
                data={"target": target, "version": version, "csrf_token": client.csrf},
                follow_redirects=False,
            ).status_code
            == 303
        )
    # the 2018 cycle is past approval (feedback): uploads there are refused
    hebei = login("hebei")
    response = hebei.post(
        f"/cycles/{world['done']}/submissions/monitoring_survey",
        data={"csrf_token": hebei.csrf},
        files={"file": ("s.xlsx", _xlsx(HEADER))},
    )
    assert response.status_code == 409
    assert assessor.get("/dashboard").status_code == 200


def test_api_token_push_and_openapi(app, world, db):
    from fastapi.testclient import TestClient

    with db.write("admin", "token.issue") as session:
        user = session.scalar(select(User).where(User.username == "changan"))
        token = issue_token(session, user, "county system")
    client = TestClient(app)
    schema = client.get("/api/openapi.json").json()
    assert "/api/cycles/{cycle_id}/submissions/{source_id}" in schema["paths"]
    csv = (
        b"unit,rural_population,income_per_capita,income_per_capita_last,poor_county,"
        b"exit_planned,exited\n130102,30000,9000,8000,true,false,false\n"
        b"130104,1,1,1,true,false,false\n"
    )
    response = client.post(
        f"/api/cycles/{world['open']}/submissions/monitoring_survey",
        headers={"authorization": f"Bearer {token}"},
        files={"file": ("s.csv", csv)},
    )
    body = response.json()
    assert response.status_code == 200 and not body["accepted"]
    assert body["errors"] == [
        {"row": 3, "column": "unit", "message": body["errors"][0]["message"]}
    ]  # 130104 not theirs
    results = client.get(
        f"/api/cycles/{world['done']}/results", headers={"authorization": f"Bearer {token}"}
    ).json()
    assert [r["unit"] for r in results] == ["130000", "140000"]
