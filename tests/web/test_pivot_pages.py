"""The pivot page, its Excel download and ``GET /api/pivot`` on the platform's test world.

The world's published cycle (period 2018) graded the two provinces with the world's scheme,
whose income growth is income / income_last - 1 over sums of the survey (tests.support.
platform_world). By hand:
- 河北 130000: income 9000·30000 + 8000·20000 = 430,000,000; last 8000·30000 + 7600·20000 =
  392,000,000; growth 430 / 392 - 1 = 0.096939
- 山西 140000: income 10000·50000 + 9000·40000 = 860,000,000; last 9500·50000 + 8900·40000 =
  831,000,000; growth 860 / 831 - 1 = 0.034898
- the total: (430 + 860) / (392 + 831) - 1 = 1290 / 1223 - 1 = 0.054783, not the mean of the
  two growths (0.065918).
A province's user sees its own province only, and the total over what it sees.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.cli import Kaohe

from kaohe.store.accounts import issue_token
from kaohe.store.models import User
from kaohe.web import pivot_api, pivot_pages
from kaohe.web.app import ROUTERS

HEBEI_GROWTH = 430 / 392 - 1
TOTAL_GROWTH = 1290 / 1223 - 1


@pytest.fixture
def app(app):
    """The app with the pivot's routers (until app.py registers them)."""
    for area in (pivot_pages, pivot_api):
        if area not in ROUTERS:
            app.include_router(area.router)
    return app


@pytest.mark.postgresql
def test_the_api_recomputes_the_total_from_the_parts(world, login):
    answer = login("assessor").get("/api/pivot")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [p["period"] for p in found["periods"]] == ["2018"]
    assert [i["id"] for i in found["indicators"]] == ["income_growth", "population_size"]
    rows = {row["unit"]: row for row in found["rows"]}
    assert sorted(rows) == ["130000", "140000"]
    assert rows["130000"]["level"] == "province" and rows["130000"]["peer_group"] == "中部"
    growth = rows["130000"]["periods"]["2018"]["values"]["income_growth"]
    assert growth == pytest.approx(HEBEI_GROWTH, abs=1e-6)
    total = found["totals"]["2018"]["indicators"]["income_growth"]
    assert total["method"] == "recomputed"
    assert total["value"] == pytest.approx(TOTAL_GROWTH, abs=1e-6)
    assert total["measures"] == {"income": 1_290_000_000.0, "income_last": 1_223_000_000.0}
    population = found["totals"]["2018"]["indicators"]["population_size"]
    assert population["value"] == 140_000.0  # 30000 + 20000 + 50000 + 40000
    assert found["totals"]["2018"]["score"]["method"] == "median"


def test_a_province_sees_its_own_units_and_their_total_only(world, login):
    found = login("hebei").get("/api/pivot").json()
    assert [row["unit"] for row in found["rows"]] == ["130000"]
    total = found["totals"]["2018"]["indicators"]["income_growth"]
    assert total["value"] == pytest.approx(HEBEI_GROWTH, abs=1e-6)
    refused = login("hebei").get("/api/pivot", params={"unit": "140000"})
    assert refused.status_code == 400 and "140000" in refused.json()["detail"]
    page = login("hebei").get("/pivot").text
    assert "河北省" in page and "山西省" not in page
    assert login("team_a").get("/api/pivot").status_code == 403


def test_the_api_takes_a_bearer_token_and_filters(world, db, app):
    with db.write("admin", "token") as session:
        user = session.scalar(select(User).where(User.username == "shanxi"))
        token = issue_token(session, user, "pivot")
    client = TestClient(app)
    answer = client.get("/api/pivot", headers={"authorization": f"Bearer {token}"})
    assert [row["unit"] for row in answer.json()["rows"]] == ["140000"]
    bad = client.get(
        "/api/pivot", params={"grade": "极好"}, headers={"authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 400 and "--grade" in bad.json()["detail"]


def test_the_api_is_in_the_openapi_document(app):
    document = TestClient(app).get("/api/openapi.json").json()
    operation = document["paths"]["/api/pivot"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PivotOut"
    }
    assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    assert operation["security"] == [{"bearer": []}, {"session": []}]
    assert "/pivot" not in document["paths"] and "/pivot.xlsx" not in document["paths"]


def test_the_page_shows_labels_filters_and_the_total(world, login):
    client = login("assessor")
    page = client.get("/pivot")
    assert page.status_code == 200
    html = page.text
    assert "收入增长" in html and "农村人口规模" in html  # labels, not ids, in the headers
    assert ">income_growth<" not in html
    assert "5.48 %" not in html  # the growth has no unit of measure: shown as a number
    assert "0.0548" in html  # the recomputed total, 1290 / 1223 - 1
    assert 'hx-get="/pivot"' in html and 'href="/pivot.xlsx?scheme=world-test"' in html
    filtered = client.get("/pivot", params={"grade": "一般", "scheme": "world-test"})
    assert filtered.status_code == 200
    english = login("assessor")
    english.get("/lang/en", follow_redirects=False)
    assert "Pivot: indicators" in english.get("/pivot").text


def test_the_workbook_is_the_table_the_page_shows(world, login):
    answer = login("hebei").get("/pivot.xlsx", params={"scheme": "world-test"})
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book[book.sheetnames[0]]
    units = [sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)]
    assert units == ["130000", "合计"]
    header = [c.value for c in sheet[1]]
    column = header.index("收入增长") + 1
    assert sheet.cell(4, column).value == pytest.approx(HEBEI_GROWTH, abs=1e-6)


def test_the_command_line_reads_the_same_table_from_the_store_and_the_run(world, db, run_dir):
    kaohe = Kaohe()
    stored = kaohe("pivot", "--store", db.url, "--format", "json")
    assert stored.exit_code == 0, stored.stderr
    directory = kaohe("pivot", "--runs", run_dir, "--format", "json")
    assert directory.exit_code == 0, directory.stderr
    from_store, from_run = json.loads(stored.stdout), json.loads(directory.stdout)
    # the run was computed for 2019 and imported into the platform's 2018 cycle
    assert from_store["totals"]["2018"]["indicators"] == from_run["totals"]["2019"]["indicators"]
    assert [r["periods"]["2018"]["values"] for r in from_store["rows"]] == [
        r["periods"]["2019"]["values"] for r in from_run["rows"]
    ]
    growth = from_store["totals"]["2018"]["indicators"]["income_growth"]["value"]
    assert growth == pytest.approx(TOTAL_GROWTH, abs=1e-6)
