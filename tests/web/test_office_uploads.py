"""Offices' files uploaded on the platform are read as ``kaohe import`` reads them (one reader,
``kaohe.data.readers``; one set of casts, ``kaohe.data.casts``): a title row above the header, a
合计 row, a GBK CSV, 1,234, full-width digits and √/× are read; a value that does not fit its
column is an error at its sheet row and column, and nothing is stored; a file that cannot be read
at all is refused (400) with one line."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy import func, select
from tests.support.platform_world import SURVEY_HEADER

from kaohe.store.accounts import issue_token
from kaohe.store.models import Figure, SubmissionVersion, User
from kaohe.workflow.collection import annotate, catalog, check_rows, read_table

HEADER = SURVEY_HEADER
TITLE = "附件1：河北省2019年农村贫困监测调查汇总表"


def _xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(*rows, end="\r\n") -> str:
    """A CSV as Excel and WPS save one (CRLF line ends)."""
    return "".join(",".join(str(cell) for cell in row) + end for row in rows)


def _upload(client, cycle, name, content):
    return client.post(
        f"/cycles/{cycle}/submissions/monitoring_survey",
        data={"csrf_token": client.csrf},
        files={"file": (name, content)},
    )


def _figures(db, unit):
    with db.read() as session:
        return dict(
            session.execute(
                select(Figure.name, Figure.value).where(
                    Figure.unit_code == unit, Figure.period == "2019"
                )
            ).all()
        )


def _errors(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


def _versions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(SubmissionVersion))


def test_a_title_row_above_the_header_and_a_totals_row_are_no_data(login, world, db):
    content = _xlsx(
        [TITLE],
        [],
        HEADER,
        ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
        ["合计", "", 50000, None, None, None, None, None],
    )
    response = _upload(login("hebei"), world["open"], "survey.xlsx", content)
    assert response.status_code == 200, response.text
    assert "upload-status" in response.text
    assert _figures(db, "130102") == {
        "rural_population": 30000,
        "income_per_capita": 9000,
        "income_per_capita_last": 8000,
        "poor_county": True,
        "exit_planned": False,
        "county_exited": False,
    }
    assert _figures(db, "130104")["rural_population"] == 20000


def test_a_gbk_csv_is_read(login, world, db):
    content = _csv(
        HEADER,
        ["130102", "长安区", 30000, 9000.5, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
    ).encode("gbk")
    response = _upload(login("hebei"), world["open"], "survey.csv", content)
    assert response.status_code == 200, response.text
    assert _figures(db, "130102")["income_per_capita"] == 9000.5
    assert _figures(db, "130104")["poor_county"] is False


def test_values_are_read_as_an_import_reads_them(login, world, db):
    content = _xlsx(
        HEADER,
        ["130102", "长安区", "1,234", "１２", "8,000.5", "√", "×", "否"],
        ["130104", "桥西区", "２０，０００", 8000, 7600, "否", "是", "✓"],
    )
    response = _upload(login("hebei"), world["open"], "survey.xlsx", content)
    assert response.status_code == 200, response.text
    assert _figures(db, "130102") == {
        "rural_population": 1234,
        "income_per_capita": 12,
        "income_per_capita_last": 8000.5,
        "poor_county": True,
        "exit_planned": False,
        "county_exited": False,
    }
    assert _figures(db, "130104")["rural_population"] == 20000
    assert _figures(db, "130104")["county_exited"] is True


@pytest.mark.postgresql
def test_a_value_that_does_not_fit_is_an_error_at_its_sheet_row(login, world, db):
    content = _xlsx(
        [TITLE],
        [],
        HEADER,
        ["130102", "长安区", 36.5, "是", 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "有"],
    )
    client = login("hebei")
    response = _upload(client, world["open"], "survey.xlsx", content)
    assert response.status_code == 422
    errors = _errors(response.text)
    assert [(row, column) for row, column, _ in errors] == [
        ("4", "农村人口（人）"),
        ("4", "农村居民人均可支配收入（元）"),
        ("5", "是否已退出"),
    ]
    assert "整数" in errors[0][2] and "36.5" in errors[0][2]
    assert "数字" in errors[1][2] and "是" in errors[1][2]
    assert _figures(db, "130102") == {} and _figures(db, "130104") == {}  # nothing stored

    # the file sent back marks the cells where the user sees them, under the title row
    link = re.search(r'href="(/submissions/\d+/versions/1/annotated)"', response.text)[1]
    annotated = load_workbook(io.BytesIO(client.get(link).content))["数据"]
    assert annotated["A1"].value == TITLE
    assert (
        annotated["C4"].fill.fgColor.rgb.endswith("FFC7CE")
        and "整数" in annotated["C4"].comment.text
    )
    assert annotated["D4"].comment is not None and annotated["H5"].comment is not None
    assert annotated["C5"].comment is None
    assert "是否已退出" in annotated["I5"].value  # the errors column


def test_a_csv_error_names_its_line(login, world, db):
    content = _csv(
        [TITLE],
        [],
        HEADER,
        ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", "abc", 8000, 7600, "否", "否", "否"],
    ).encode("gbk")
    response = _upload(login("hebei"), world["open"], "survey.csv", content)
    assert response.status_code == 422
    assert [(r, c) for r, c, _ in _errors(response.text)] == [("5", "农村人口（人）")]
    assert _figures(db, "130102") == {}


def test_a_chart_sheet_before_the_data_is_passed_over(login, world, db):
    book = Workbook()
    data = book.active
    for row in (
        HEADER,
        ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
    ):
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=3, min_row=2, max_row=3))
    book.create_chartsheet("图表", 0).add_chart(chart)  # the first sheet: a chart, no cells
    out = io.BytesIO()
    book.save(out)
    response = _upload(login("hebei"), world["open"], "survey.xlsx", out.getvalue())
    assert response.status_code == 200, response.text
    assert _figures(db, "130104")["rural_population"] == 20000


def _no_worksheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_xlsx(HEADER)))
    parts = {name: source.read(name) for name in source.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, data in parts.items():
            if name.startswith("xl/worksheets/"):
                continue
            if name == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data)
            book.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "content,said",
    [
        (_no_worksheet(), "工作簿中没有工作表"),
        (b"PK\x03\x04" + b"\0" * 200, "无法作为 Excel 工作簿读取"),
    ],
    ids=["no worksheet", "damaged"],
)
def test_an_unreadable_workbook_is_refused_with_one_line(app, world, db, content, said):
    from fastapi.testclient import TestClient

    with db.write("admin", "token.issue") as session:
        user = session.scalar(select(User).where(User.username == "hebei"))
        token = issue_token(session, user, "province system")
    before = _versions(db)
    response = TestClient(app).post(
        f"/api/cycles/{world['open']}/submissions/monitoring_survey",
        headers={"authorization": f"Bearer {token}"},
        files={"file": ("survey.xlsx", content)},
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert said in detail and "survey.xlsx" in detail
    assert "\n" not in detail and "/tmp" not in detail  # one line, no server folder
    assert _versions(db) == before  # nothing kept


def test_a_utf16_csv_is_read_by_the_workflow(world, db):
    # the web's upload check (kaohe.workflow.uploads) still refuses NUL bytes in a .csv: this is
    # the reading itself, ready for when it accepts UTF-16
    source = catalog()["monitoring_survey"]
    content = _csv(
        [TITLE], [], HEADER, ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"]
    ).encode("utf-16")
    rows, errors = check_rows(source, read_table("survey.csv", content), {"130102": object()})
    assert errors == []
    assert rows == [
        {
            "unit": "130102",
            "rural_population": 30000,
            "income_per_capita": 9000,
            "income_per_capita_last": 8000,
            "poor_county": True,
            "exit_planned": False,
            "exited": False,
        }
    ]
    marked = load_workbook(
        io.BytesIO(
            annotate("survey.csv", content, [{"row": 4, "column": "是否贫困县", "message": "x"}])
        )
    )["数据"]
    assert marked["A1"].value == TITLE and marked["F4"].comment.text.startswith("x")


def test_a_title_row_right_above_the_header(login, world):
    content = _xlsx([TITLE], HEADER, ["130102", "长安区", "x", 9000, 8000, "是", "否", "否"])
    response = _upload(login("hebei"), world["open"], "survey.xlsx", content)
    assert [(r, c) for r, c, _ in _errors(response.text)] == [("3", "农村人口（人）")]


def test_a_csv_with_lf_line_ends_under_a_title(login, world):
    content = _csv(
        [TITLE], [], HEADER, ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"], end="\n"
    ).encode("gbk")
    response = _upload(login("hebei"), world["open"], "survey.csv", content)
    assert response.status_code == 200


def test_utf16_csv_and_old_excel_are_let_through(login, world):
    """What Excel's "Unicode text" and old .xls saves give: through the upload check to the reader."""
    content = _csv(
        [], [], HEADER, ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"]
    ).encode("utf-16")
    response = _upload(login("hebei"), world["open"], "survey.csv", content)
    assert response.status_code == 200, response.text
