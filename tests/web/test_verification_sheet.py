"""Verification by Excel: the prefilled sheet of a team's households, errors by row and column,
nothing recorded from a sheet with errors, every upload kept as a new version, and a sheet that
went stale (the household was recorded in the meantime) refused on that row."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kaohe.store.models import VerificationAssignment, VerificationResult, VerificationUpload
from kaohe.workflow import verification


def _sheet(client, cycle_id):
    response = client.get(f"/cycles/{cycle_id}/verification/sheet")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, cycle_id, content, name="sheet.xlsx"):
    return client.post(
        f"/cycles/{cycle_id}/verification/sheet",
        data={"csrf_token": client.csrf},
        files={"file": (name, content)},
    )


def _fill(sheet, row, values):
    header = [c.value for c in sheet[1]]
    for name, value in values.items():
        sheet.cell(row=row, column=header.index(name) + 1, value=value)


@pytest.mark.postgresql
def test_sheet_errors_then_a_clean_version_is_recorded(login, world, db):
    cycle_id = world["verify"]
    client = login("team_a")
    book = _sheet(client, cycle_id)
    sheet = book["核查"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["任务编号", "单位代码", "单位名称", "农户编号"]
    assert [c.value for c in sheet[2]][:4] == [world["assignment"], "130102", "长安区", "H1"]
    assert sheet.max_row == 2  # only team A's household
    assert sheet.column_dimensions["M"].hidden  # the version column
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"正确,错评,错退,漏评"' in lists and '"是,否"' in lists
    assert [c.value for c in _sheet(login("team_b"), cycle_id)["核查"][2]] == [None] * 13

    _fill(
        sheet,
        2,
        {
            "核查结论": "maybe",
            "农户认可识别/退出结果": "是",
            "对驻村工作队满意": "也许",
            "对帮扶干部满意": "否",
            "核实人均纯收入（元）": "三千",
        },
    )
    bad = _upload(client, cycle_id, _bytes(book))
    assert bad.status_code == 422
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", bad.text)
    assert errors == [("2", "核查结论"), ("2", "对驻村工作队满意"), ("2", "核实人均纯收入（元）")]
    link = re.search(r'href="(/verification-uploads/\d+/annotated)"', bad.text)[1]
    annotated = load_workbook(io.BytesIO(client.get(link).content))["数据"]
    assert annotated["G2"].fill.fgColor.rgb.endswith("FFC7CE") and annotated["G2"].comment
    with db.read() as session:
        assert session.scalar(select(VerificationResult)) is None  # nothing recorded

    _fill(
        sheet,
        2,
        {"核查结论": "错退", "对驻村工作队满意": "是", "核实人均纯收入（元）": 3650.5},
    )
    good = _upload(client, cycle_id, _bytes(book))
    assert good.status_code == 200, good.text
    assert re.search(r'id="applied">1<', good.text)
    with db.read() as session:
        result = session.scalar(select(VerificationResult))
        assert (result.verdict, result.recognizes, result.satisfied_team) == ("错退", True, True)
        assert (result.satisfied_cadre, result.income_verified) == (False, 3650.5)
        uploads = session.scalars(select(VerificationUpload).order_by(VerificationUpload.number))
        assert [(u.number, u.accepted) for u in uploads] == [(1, False), (2, True)]
        assert result.origin.endswith(" v2")
    listing = client.get(f"/cycles/{cycle_id}/verification").text
    assert "v1" in listing and "v2" in listing and "✓ 已核查" in listing

    # The same sheet again changes nothing; changed, it is stale (the household moved on).
    same = _upload(client, cycle_id, _bytes(book))
    assert same.status_code == 200 and re.search(r'id="applied">0<', same.text)
    _fill(sheet, 2, {"备注": "复核"})
    stale = _upload(client, cycle_id, _bytes(book))
    assert stale.status_code == 422 and "重新下载" in stale.text
    # A fresh download is prefilled with what is recorded; uploading it unchanged changes nothing.
    again = _upload(client, cycle_id, _bytes(_sheet(client, cycle_id)))
    assert again.status_code == 200 and re.search(r'id="applied">0<', again.text)


@pytest.mark.postgresql
def test_a_phone_record_after_download_makes_the_sheet_row_stale(login, world, db):
    cycle_id = world["verify"]
    client = login("team_a")
    book = _sheet(client, cycle_id)
    with db.write("team_a", "verification.record") as session:
        verification.record(
            session,
            world["actors"]["team_a"],
            world["assignment"],
            verification.Verdict("正确", True, True, True),
        )
    _fill(
        book["核查"],
        2,
        {
            "核查结论": "错评",
            "农户认可识别/退出结果": "否",
            "对驻村工作队满意": "否",
            "对帮扶干部满意": "否",
        },
    )
    response = _upload(client, cycle_id, _bytes(book))
    assert response.status_code == 422 and "版本（请勿修改）" in response.text
    with db.read() as session:
        assert session.scalar(select(VerificationResult.verdict)) == "正确"  # not overwritten


def test_another_teams_household_and_edited_columns_are_refused(login, world, db):
    cycle_id = world["verify"]
    book = _sheet(login("team_a"), cycle_id)
    _fill(
        book["核查"],
        2,
        {
            "核查结论": "正确",
            "农户认可识别/退出结果": "是",
            "对驻村工作队满意": "是",
            "对帮扶干部满意": "是",
        },
    )
    team_b = login("team_b")
    response = _upload(team_b, cycle_id, _bytes(book))
    assert response.status_code == 422 and "未分配给您的评估组" in response.text
    _fill(book["核查"], 2, {"农户编号": "H9"})
    response = _upload(login("team_a"), cycle_id, _bytes(book), name="sheet.xlsx")
    assert response.status_code == 422 and "请勿修改前几列" in response.text
    # CSV works too (the same headers), and a file that is not a sheet is refused by content
    csv = "任务编号,农户编号,核查结论\n1,H1,正确\n".encode()
    response = _upload(login("team_a"), cycle_id, csv, name="s.csv")
    assert response.status_code == 422 and "缺少列" in response.text
    assert _upload(login("team_a"), cycle_id, b"not a zip", name="s.xlsx").status_code == 400
    with db.read() as session:
        assert session.scalar(select(VerificationAssignment.done)) is False
