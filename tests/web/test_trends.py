"""Trends (历年变化): the national picture by year and a unit across the years, on the
platform's test world with a second year published here.

The world's scheme scores 60 · min(growth / 0.1, 1) + 40 · population / 100000, graded 好 from
80, 较好 from 60, else 一般 (tests.support.platform_world). By hand:
- 2018, the world's published cycle: 河北 130000 growth 430/392 − 1 = 0.096939 → 58.163265,
  population 50000 → 20: 78.163265, 较好; 山西 140000 growth 860/831 − 1 = 0.034898 →
  20.938628, population 90000 → 36: 56.938628, 一般. Grades 好 0, 较好 1, 一般 1; median
  (78.163265 + 56.938628) / 2 = 67.550946.
- 2019, the world's open cycle published here with ``SURVEY_2019``: 河北 income 9900·30000 +
  8800·20000 = 473,000,000 over 9000·30000 + 8000·20000 = 430,000,000, growth 0.1 → 60, + 20 =
  80, 好 (a score at the cut reaches it); 山西's incomes unchanged, growth 0 → 0, + 36 = 36, 一般.
  Grades 好 1, 较好 0, 一般 1; median (80 + 36) / 2 = 58. 河北 moved +1.836735 and up a grade.
- 河北's dimensions as shares of their points: 增长 58.163265 / 60 = 96.94 % then 100 %; 规模
  20 / 40 = 50 % both years.
- Rectification items: 2018 the world's item at 长安区 130102 (open) and one at 河北 closed
  here (opened 2, closed 1); 2019 one at 河北, open (opened 1, closed 0). 河北's own trend
  counts its counties' items too (a province answers for them): 2 opened in 2018, 1 closed.
A province sees its own subtree only: 河北's picture is 河北 alone, and 山西's trend is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from tests.support.platform_world import WORLD_SCHEME, WORLD_UNITS
from tests.support.servers import serving

from kaohe.i18n import use_language
from kaohe.run import assess
from kaohe.run.history import UnitHistory, UnitYear
from kaohe.store.models import Cycle, Rectification, Unit
from kaohe.web import create_app, trend_pages
from kaohe.workflow import platform_results, rectification, trends

from .conftest import CHROMIUM
from .test_browser_charts import _drawn, _login, _shot
from .test_every_word import problems

SURVEY_2019 = """unit,rural_population,income_per_capita,income_per_capita_last,period
130102,30000,9900,9000,2019
130104,20000,8800,8000,2019
140105,50000,10000,10000,2019
140106,40000,9000,9000,2019
"""
MEDIAN_2018 = (78.163265 + 56.938628) / 2


@pytest.fixture(scope="session")
def run_2019(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("run-2019")
    data = directory / "data"
    data.mkdir()
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(SURVEY_2019, encoding="utf-8")
    scheme = directory / "world-scheme.yaml"
    scheme.write_text(WORLD_SCHEME, encoding="utf-8")
    out = directory / "run"
    assess(str(scheme), data, out, period="2019")
    return out


@pytest.fixture
def years(db, world, run_2019):
    """The world with its 2019 cycle computed and published, and 河北's rectification items."""
    actors = world["actors"]
    with db.write("assessor", "trends.setup") as session:
        cycle = session.get(Cycle, world["open"])
        cycle.state = "computation"
        session.flush()
        platform_results.import_run(session, actors["assessor"], cycle.id, run_2019)
        cycle.state = "publication"
        closed = rectification.create(
            session, actors["assessor"], world["done"], "130000", "补齐档案", dt.date(2030, 1, 1)
        )
        session.get(Rectification, closed.id).status = "closed"
        rectification.create(
            session, actors["assessor"], world["open"], "130000", "补齐档案", dt.date(2031, 1, 1)
        )
    return world


def chart_of(html: str, block: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_national_picture_by_year(years, login):
    page = login("assessor").get("/trends")
    assert page.status_code == 200, page.text
    chart = chart_of(page.text, "trend-charts")
    assert chart["categories"] == ["2018", "2019"]
    assert chart["hrefs"] == [
        f"/cycles/{years['done']}/results",
        f"/cycles/{years['open']}/results",
    ]
    counts = {g["label"]: g["counts"] for g in chart["grades"]}
    assert counts == {"好": [0, 1], "较好": [1, 0], "一般": [1, 1]}
    assert chart["medians"] == pytest.approx([MEDIAN_2018, 58.0], abs=0.005)
    assert (chart["opened"], chart["closed"]) == ([2, 1], [1, 0])
    assert "67.55" in page.text and "58" in page.text
    assert "范围内" not in page.text  # the office sees every unit: nothing is left out


def test_a_unit_across_the_years(years, login):
    client = login("assessor")
    page = client.get("/trends/130000")
    assert page.status_code == 200, page.text
    html = page.text
    chart = chart_of(html, "unit-trend-charts")
    assert chart["categories"] == ["2018", "2019"]
    (scheme,) = chart["schemes"]  # one scheme: one line
    assert [p["value"] for p in scheme["points"]] == [78.16, 80.0]
    assert [p["grade"] for p in scheme["points"]] == ["较好", "好"]
    assert chart["hrefs"] == [
        f"/cycles/{years['done']}/results/130000",
        f"/cycles/{years['open']}/results/130000",
    ]
    figures = {f["label"]: f["values"] for f in chart["figures"]}
    assert figures == {"增长": pytest.approx([96.94, 100.0]), "规模": [50.0, 50.0]}
    assert (chart["opened"], chart["closed"]) == ([2, 1], [1, 0])
    for shown in (
        "+1.84",
        "上升",
        "96.94 %",
        "100.00 %",
        "1 / 2",
        "已验收销号",
        "待整改",
        "长安区：",
    ):
        assert shown in html, shown
    assert f'href="/cycles/{years["open"]}/results/130000"' in html

    chosen = client.get("/trends/130000", params={"indicator": "income_growth"})
    growth = chart_of(chosen.text, "unit-trend-charts")["figures"]
    assert [f["label"] for f in growth] == ["收入增长"]
    assert growth[0]["values"] == pytest.approx([0.0969, 0.1], abs=1e-4)
    unknown = client.get("/trends/130000", params={"indicator": "poor_end"})
    assert unknown.status_code == 400 and "poor_end" in unknown.text
    assert client.get("/trends/999999").status_code == 404
    picked = client.get("/trends", params={"unit": "130000"}, follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"] == "/trends/130000"


def test_a_year_not_yet_published_is_left_out(years, db, login):
    with db.write("admin", "trends.unpublish") as session:
        session.get(Cycle, years["open"]).state = "approval"
    chart = chart_of(login("assessor").get("/trends").text, "trend-charts")
    assert chart["categories"] == ["2018"]
    unit = chart_of(login("assessor").get("/trends/130000").text, "unit-trend-charts")
    assert unit["categories"] == ["2018"]


def test_a_province_sees_its_own_units_only(years, login):
    hebei = login("hebei")
    page = hebei.get("/trends")
    assert page.status_code == 200
    chart = chart_of(page.text, "trend-charts")
    counts = {g["label"]: g["counts"] for g in chart["grades"]}
    assert counts == {"好": [0, 1], "较好": [1, 0], "一般": [0, 0]}
    assert chart["medians"] == [78.16, 80.0]
    assert (chart["opened"], chart["closed"]) == ([2, 1], [1, 0])  # 长安区 is 河北's
    assert "山西省" not in page.text and "范围内" in page.text
    assert hebei.get("/trends/130000").status_code == 200
    refused = hebei.get("/trends/140000")
    assert refused.status_code == 403 and "山西省" not in chart_of(page.text, "trend-charts")
    shanxi = chart_of(login("shanxi").get("/trends").text, "trend-charts")
    assert shanxi["medians"] == [56.94, 36.0]
    assert (shanxi["opened"], shanxi["closed"]) == ([0, 0], [0, 0])
    assert login("shanxi").get("/trends/130000").status_code == 403
    # a verifier sees no results; a regulator sees banks, and no bank was assessed
    assert login("team_a").get("/trends").status_code == 403
    assert login("team_a").get("/trends/130000").status_code == 403
    regulator = login("regulator").get("/trends")
    assert regulator.status_code == 200 and "尚无" in regulator.text


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("user", ["assessor", "hebei"])
def test_every_word_in_the_users_language(years, login, lang, user):
    client = login(user)
    client.get(f"/lang/{lang}", follow_redirects=False)
    for path in ("/trends", "/trends/130000", "/trends/130000?indicator=income_growth"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert problems(page.text, lang) == [], path
    english = client.get("/trends").text
    assert ("Trends: the" in english) == (lang == "en")


@pytest.fixture
def server(db, years):
    with serving(create_app(db, secret="browser")) as url:
        yield url


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_charts_in_a_browser_then_a_year_by_click(browser, server, years, lang):
    page = _login(browser, server, "assessor", lang)
    page.goto(f"{server}/trends")
    national = _drawn(page, "national-chart")
    assert national["series"] == ["bar", "bar", "bar", "line"] and national["width"] > 0
    assert _drawn(page, "items-chart")["series"] == ["bar", "bar"]
    page.wait_for_timeout(1000)  # the first animation
    _shot(page, f"trends-{lang}.png")

    page.goto(f"{server}/trends/130000")
    assert _drawn(page, "score-chart")["series"] == ["line"]
    for index in (0, 1):
        assert _drawn(page, f"figure-chart-{index}")["series"] == ["line"]
    assert _drawn(page, "items-chart")["height"] > 0
    # a click on 2019's point opens 河北's score card of that year
    x, y = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('score-chart'))
            .convertToPixel({seriesIndex: 0}, [1, 80])"""
    )
    page.locator("#score-chart").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # the line's first animation: its points move into place
    _shot(page, f"unit-trend-{lang}.png")
    box = page.locator("#score-chart").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"{server}/cycles/{years['open']}/results/130000")
    assert page.errors == []


def test_a_scheme_change_breaks_the_line():
    """Scores of two schemes are not joined: one line each, named by its years."""
    years = [
        UnitYear("2020", "old", "", "1", "", "graded", 70.0, "中", 1, 3),
        UnitYear("2021", "new", "", "1", "", "graded", 90.0, "好", 1, 3),
    ]
    years[1].scheme_changed_from = "old"
    found = trends.UnitTrend(
        unit=Unit(code="A", name="甲"),
        history=UnitHistory("A", "甲", [], years),
        cycles={("2020", "old"): 1, ("2021", "new"): 2},
        grades={("2020", "old"): ["好", "中"], ("2021", "new"): ["好", "中"]},
        grade_labels_en={("2020", "old"): {"中": "fair"}, ("2021", "new"): {"好": "very good"}},
        figures=[],
        chosen=[],
    )
    lines = trend_pages.unit_chart(found)["schemes"]
    assert [line["name"] for line in lines] == ["2020", "2021"]
    assert [[p and p["value"] for p in line["points"]] for line in lines] == [
        [70.0, None],
        [None, 90.0],
    ]
    with use_language("zh"):
        assert trend_pages.year_row(found, years[1])["scheme_note"].startswith("考核办法与上一")
    # each year's grade by the English names its own scheme gives (not one merged table)
    with use_language("en"):
        assert [trend_pages.year_row(found, y)["grade"] for y in years] == [
            "fair (中)",
            "very good (好)",
        ]
        points = [p for line in trend_pages.unit_chart(found)["schemes"] for p in line["points"]]
        assert [p["grade"] for p in points if p] == [
            "fair (中)",
            "very good (好)",
        ]
