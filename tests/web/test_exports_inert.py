"""Every file the platform writes from user data is inert when opened in a spreadsheet: texts that
would run as formulas (``=HYPERLINK(…)``, ``+1+1``, ``-2+3``, ``@SUM(A1)``) are strings, never
formulas, and control characters do not stop the download (OWASP's CSV-injection rule, through
``kaohe.data.cell_safety``)."""

import inspect
import io

from openpyxl import load_workbook
from sqlalchemy import select, update

from kaohe.store.models import (
    SubmissionVersion,
    Unit,
    VerificationAssignment,
    VerificationUpload,
)
from kaohe.web.app import ROUTERS

LINK = '=HYPERLINK("http://x","y")'
HOSTILE = (LINK, "+1+1", "-2+3", "@SUM(A1)")

# Every download the platform offers. The first four are written by Kaohe from user data; the
# rest hand back a user's own file byte for byte (evidence of what was received), never rewritten.
WRITTEN = (
    "/cycles/{cycle_id}/submissions/{source_id}/template",
    "/submissions/{submission_id}/versions/{number}/annotated",
    "/cycles/{cycle_id}/verification/sheet",
    "/verification-uploads/{upload_id}/annotated",
    "/pivot.xlsx",  # from the runs' results: tests/run/test_pivot.py holds it inert
)
AS_RECEIVED = (
    "/submissions/{submission_id}/versions/{number}/file",
    "/verification-uploads/{upload_id}/file",
    "/attachments/{attachment_id}",
)
SENDS_A_FILE = ("download(", "data_file(", "annotated_data_file(")


def test_the_list_of_downloads_is_complete():
    sending = {
        route.path
        for area in ROUTERS
        for route in area.router.routes
        if any(call in inspect.getsource(route.endpoint) for call in SENDS_A_FILE)
    }
    assert sending == {*WRITTEN, *AS_RECEIVED}


def _cells(response) -> list:
    """Every cell of every sheet of a downloaded workbook, none of them a formula."""
    assert response.status_code == 200, response.text[:300]
    book = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book.worksheets for row in sheet for cell in row]
    formulas = [(cell.parent.title, cell.coordinate, cell.value) for cell in cells]
    assert not [f for f, cell in zip(formulas, cells, strict=True) if cell.data_type == "f"]
    return [cell.value for cell in cells if cell.value is not None]


def _hostile_world(db, world) -> None:
    with db.write("setup", "hostile") as session:
        session.execute(update(Unit).where(Unit.code == "130102").values(name=LINK))
        session.execute(
            update(VerificationAssignment)
            .where(VerificationAssignment.id == world["assignment"])
            .values(household_id="@SUM(A1)")
        )


def test_every_download_written_from_user_data_is_inert(login, world, db):
    _hostile_world(db, world)
    province, team = login("hebei"), login("team_a")

    template = province.get(f"/cycles/{world['open']}/submissions/monitoring_survey/template")
    assert LINK in _cells(template)  # the unit's name, in the data sheet and the unit list

    survey = (
        "单位代码,单位名称,农村人口（人）,农村居民人均可支配收入（元）,"
        "上年农村居民人均可支配收入（元）,是否贫困县,是否计划本年退出,是否已退出,"
        '"=HYPERLINK(""http://x"",""h"")"\r\n'
        '130102,长\x07安区,=1+1,+1+1,-2+3,@SUM(A1),否,否,"=HYPERLINK(""http://x"",""y"")"\r\n'
    )
    upload = province.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        data={"csrf_token": province.csrf},
        files={"file": ("survey.csv", survey.encode())},
    )
    assert upload.status_code == 422, upload.text[:300]
    with db.read() as session:
        version = session.scalars(select(SubmissionVersion)).one()
        submission, number = version.submission_id, version.number
    marked = _cells(province.get(f"/submissions/{submission}/versions/{number}/annotated"))
    assert {"=1+1", "+1+1", "-2+3", "@SUM(A1)", LINK, "长安区"} <= set(marked)

    record = team.post(
        f"/verification/{world['assignment']}",
        data={
            "csrf_token": team.csrf,
            "verdict": "正确",
            "version": 1,
            "recognizes": "yes",
            "satisfied_team": "yes",
            "satisfied_cadre": "yes",
            "income_verified": "4000",
            "note": "-2+3",
        },
        follow_redirects=False,
    )
    assert record.status_code == 303, record.text[:300]
    sheet = _cells(team.get(f"/cycles/{world['verify']}/verification/sheet"))
    assert {LINK, "@SUM(A1)", "-2+3"} <= set(sheet)

    filled = (
        "任务编号,农户编号,核查结论,农户认可识别/退出结果,对驻村工作队满意,对帮扶干部满意,"
        "核实人均纯收入（元）,备注,版本（请勿修改）\r\n"
        f'{world["assignment"]},@SUM(A1),+1+1,是,是,是,-2+3,"=HYPERLINK(""http://x"",""y"")\x01",2\r\n'
    )
    sent = team.post(
        f"/cycles/{world['verify']}/verification/sheet",
        data={"csrf_token": team.csrf},
        files={"file": ("sheet.csv", filled.encode())},
    )
    assert sent.status_code == 422, sent.text[:300]
    with db.read() as session:
        upload_id = session.scalars(select(VerificationUpload.id)).one()
    marked = _cells(team.get(f"/verification-uploads/{upload_id}/annotated"))
    assert {"@SUM(A1)", "+1+1", "-2+3", LINK} <= set(marked)


def test_control_characters_do_not_stop_an_annotated_download(login, world, db):
    province, team = login("hebei"), login("team_a")
    survey = (
        "单位代码,单位名称,农村人口（人）,农村居民人均可支配收入（元）,"
        "上年农村居民人均可支配收入（元）,是否贫困县,是否计划本年退出,是否已退出\r\n"
        "130102,长\x07安区,x\x1b,9000,8000,是,否,否\r\n"
    )
    upload = province.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        data={"csrf_token": province.csrf},
        files={"file": ("survey.csv", survey.encode())},
    )
    assert upload.status_code == 422, upload.text[:300]
    with db.read() as session:
        version = session.scalars(select(SubmissionVersion)).one()
    marked = _cells(
        province.get(f"/submissions/{version.submission_id}/versions/{version.number}/annotated")
    )
    assert "长安区" in marked and "x" in marked

    filled = (
        "任务编号,农户编号,核查结论,农户认可识别/退出结果,对驻村工作队满意,对帮扶干部满意,"
        "核实人均纯收入（元）,备注,版本（请勿修改）\r\n"
        f"{world['assignment']},H1,错\x01,是,是,是,4000,备\x02注,1\r\n"
    )
    sent = team.post(
        f"/cycles/{world['verify']}/verification/sheet",
        data={"csrf_token": team.csrf},
        files={"file": ("sheet.csv", filled.encode())},
    )
    assert sent.status_code == 422, sent.text[:300]
    with db.read() as session:
        upload_id = session.scalars(select(VerificationUpload.id)).one()
    marked = _cells(team.get(f"/verification-uploads/{upload_id}/annotated"))
    assert "错" in marked and "备注" in marked
