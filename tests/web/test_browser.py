"""Real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real server."""

import os

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from tests.support.platform_world import SURVEY_HEADER, WORLD_PASSWORD
from tests.support.servers import serving

from kaohe.web import create_app
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results

from .conftest import CHROMIUM

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")

HEADER = SURVEY_HEADER


@pytest.fixture
def server(db, world):
    with serving(create_app(db, secret="browser")) as url:
        yield url


def _xlsx(path, *rows):
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return str(path)


def _login(browser, base, username):
    page = browser.new_page()
    page.set_default_timeout(8000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", WORLD_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    return page


@pytest.mark.postgresql
def test_province_uploads_sees_errors_fixes_and_resubmits(browser, server, world, tmp_path):
    page = _login(browser, server, "hebei")
    page.click(f"a[href='/cycles/{world['open']}/submissions']")
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        HEADER,
        ["130102", "长安区", -3, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
    )
    form = page.locator("form[action$='/submissions/monitoring_survey']")
    form.locator("input[type=file]").set_input_files(bad)
    form.locator("button[type=submit]").click()
    errors = page.locator("table.errors tbody tr")
    assert errors.count() == 1
    assert errors.first.locator("td").nth(0).inner_text() == "2"
    assert errors.first.locator("td").nth(1).inner_text() == "农村人口（人）"
    with page.expect_download() as download:
        page.click("text=下载标注错误的文件")
    assert download.value.suggested_filename.endswith(".xlsx")

    page.click("text=返回数据报送")
    good = _xlsx(
        tmp_path / "good.xlsx",
        HEADER,
        ["130102", "长安区", 30000, 9000, 8000, "是", "否", "否"],
        ["130104", "桥西区", 20000, 8000, 7600, "否", "否", "否"],
    )
    form = page.locator("form[action$='/submissions/monitoring_survey']")
    form.locator("input[type=file]").set_input_files(good)
    form.locator("button[type=submit]").click()
    assert "通过检查" in page.locator("#upload-status").inner_text()
    page.click("text=返回数据报送")
    assert page.locator("text=v2 ✓").count() == 1


def test_third_party_verifies_on_a_phone(browser, server, world):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(8000)
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "team_a")
    page.fill("input[name=password]", WORLD_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")
    page.goto(f"{server}/cycles/{world['verify']}/verification")
    page.click("text=H1")
    page.check("input[name=verdict][value=错退]")
    for name in ("recognizes", "satisfied_team", "satisfied_cadre"):
        page.check(f"input[name={name}][value=yes]")
    page.fill("input[name=income_verified]", "3650.5")
    page.click("form.phone button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/cycles/{world['verify']}/verification"), page.content()[-800:]
    assert page.locator("ul.households li .ok").count() == 1
    assert page.locator("progress").first.get_attribute("value") == "1"
    context.close()


def test_approver_approves_then_ranking_and_score_card(browser, server, world, db, run_dir):
    actors = world["actors"]
    with db.write("setup", "approval-cycle") as session:
        cycle = cycles.create_cycle(session, actors["admin"], "world-test", "2020", "待审定周期")
        cycle.state = "computation"
        session.flush()
        results.import_run(session, actors["assessor"], cycle.id, run_dir)
        cycle.state = "approval"
        cycle_id = cycle.id
    page = _login(browser, server, "approver")
    page.click("button[name=move][value=publication]")
    page.wait_for_url(f"{server}/dashboard")
    assert page.locator("span.state-publication").count() == 1

    page.goto(f"{server}/cycles/{cycle_id}/results")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 2 and "河北省" in rows.first.inner_text()
    page.select_option("select[name=grade]", "一般")  # HTMX filter
    expect(page.locator("table.ranking tbody tr")).to_have_count(1)  # no eval: CSP forbids it
    assert "山西省" in page.locator("table.ranking tbody").inner_text()
    page.click("text=山西省")
    page.wait_for_selector("#radar[data-rendered=true] canvas")
    page.click("summary:has-text('增长')")
    page.click("summary:has-text('收入增长')")
    drill = page.locator("ul.drill").inner_text()
    assert "income / nullif(income_last, 0) - 1" in drill and "income_last" in drill


def test_english_interface(browser, server, world):
    page = _login(browser, server, "auditor")
    page.click("text=English")
    assert page.locator("h1").first.inner_text().startswith("Dashboard")
    page.click("text=Audit log")
    assert page.locator("table.audit tbody tr").count() > 0


def test_administrator_extends_a_deadline_with_the_date_field(browser, server, world, db):
    """The date fields submit ISO dates as the server expects, whatever the browser shows."""
    from kaohe.store.models import Cycle

    page = _login(browser, server, "admin")
    page.goto(f"{server}/cycles/{world['open']}")
    page.fill("input[name=due_submission]", "2031-01-31")
    page.click("form.deadlines button[type=submit]")
    page.wait_for_url(f"{server}/cycles/{world['open']}")
    assert "2031年1月31日" in page.locator("ol.states").inner_text()
    with db.read() as session:
        assert session.get(Cycle, world["open"]).deadlines == {"submission": "2031-01-31"}
