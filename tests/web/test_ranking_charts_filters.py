"""The ranking's charts follow its filters: the bars, the histogram and the map show exactly the
units the filters leave, on a page loaded with filters and in the table HTMX swaps in (which
carries the charts' data with it), with a line saying how many units the charts show. A run of
counties on the map of provinces: each province coloured by its counties (share of each grade,
median score, counties withheld), with how many counties entered each figure; a click on a
province filters the ranking to its counties.

The county run is the world's scheme assessing the world's counties plus one more in Hebei whose
income is missing, by hand from its survey (growth: 60 points for the income's growth against
the target 0.1, capped; scale: 40 points for the rural population out of 100,000):
- 130102 长安区 growth 9000/8000 − 1 = 0.125 → capped, 60; 30,000 → 12; 72 → 较好
- 130104 桥西区 8000/7600 − 1 = 0.052632 → 31.578947; 20,000 → 8; 39.578947 → 一般
- 130105 新华区 no income: withheld (the scheme withholds on missing data)
- 140105 小店区 10000/9500 − 1 = 0.052632 → 31.578947; 50,000 → 20; 51.578947 → 一般
- 140106 迎泽区 9000/8900 − 1 = 0.011236 → 6.741573; 40,000 → 16; 22.741573 → 一般
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from tests.support.platform_world import WORLD_PASSWORD, WORLD_SCHEME, WORLD_UNITS
from tests.support.servers import serving

from kaohe.run import assess
from kaohe.store.units import import_units
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results

from .conftest import CHROMIUM
from .test_charts import _embedded, _in
from .test_every_word import problems

HTMX = {"HX-Request": "true"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
COUNTY_UNITS = WORLD_UNITS + "130105,新华区,130000,county,region,中部,,\n"
COUNTY_SURVEY = """unit,rural_population,income_per_capita,income_per_capita_last,period
130102,30000,9000,8000,2019
130104,20000,8000,7600,2019
130105,10000,,7000,2019
140105,50000,10000,9500,2019
140106,40000,9000,8900,2019
"""
SHOWN_ONE = "图表显示筛选后的 1 个单位。"


def _bars(charts: dict) -> list[str]:
    return charts["ranking"]["units"]


# --- the filters on a run of provinces (the world's) ---------------------------------------------


def test_a_page_loaded_with_a_grade_filter_charts_only_its_units(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results?grade=一般")
    assert page.status_code == 200
    charts = _embedded(page.text, "results-charts")
    assert _bars(charts) == ["140000"] and charts["ranking"]["scores"] == [56.94]
    assert charts["ranking"]["ranks"] == [2]  # its rank in the run, not its place among the bars
    # one score, 56.94: a single bin of 1 from 56
    assert charts["histogram"]["bins"] == ["56–57"]
    assert charts["histogram"]["series"] == [{"grade": "一般", "counts": [1]}]
    assert [u["code"] for u in charts["map"]["units"]] == ["140000"]
    # the map still offers every metric of the run
    assert [m["id"] for m in charts["map"]["metrics"]][:2] == ["grade", "score"]
    assert SHOWN_ONE in page.text


def test_the_whole_run_charts_every_unit_and_says_nothing_of_filters(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results")
    charts = _embedded(page.text, "results-charts")
    assert _bars(charts) == ["130000", "140000"] and charts["ranking"]["ranks"] == [1, 2]
    assert "图表显示筛选后" not in page.text


def test_the_htmx_table_carries_the_charts_of_its_filters(login, world):
    client = login("assessor")
    part = client.get(f"/cycles/{world['done']}/results?grade=较好", headers=HTMX)
    assert part.status_code == 200
    assert "<h1>" not in part.text and '<table class="ranking">' in part.text
    charts = _embedded(part.text, "results-charts")
    assert _bars(charts) == ["130000"] and charts["ranking"]["grades"] == ["较好"]
    assert charts["histogram"]["series"] == [{"grade": "较好", "counts": [1]}]
    assert [u["code"] for u in charts["map"]["units"]] == ["130000"]
    assert SHOWN_ONE in part.text
    # every filter applies: a name, a status that leaves nothing
    charts = _embedded(
        client.get(f"/cycles/{world['done']}/results?q=山西", headers=HTMX).text, "results-charts"
    )
    assert _bars(charts) == ["140000"]
    part = client.get(f"/cycles/{world['done']}/results?status=withheld", headers=HTMX)
    charts = _embedded(part.text, "results-charts")
    assert _bars(charts) == [] and charts["map"]["units"] == []
    assert charts["histogram"]["series"] == []
    assert "图表显示筛选后的 0 个单位。" in part.text
    # the whole run again, once the filters are cleared
    part = client.get(f"/cycles/{world['done']}/results?grade=", headers=HTMX)
    assert _bars(_embedded(part.text, "results-charts")) == ["130000", "140000"]
    assert "图表显示筛选后" not in part.text


def test_the_count_line_in_english(login, world):
    client = _in(login("assessor"), "en")
    page = client.get(f"/cycles/{world['done']}/results?region=中部")
    assert "The charts show the 2 units the filters leave." in page.text
    page = client.get(f"/cycles/{world['done']}/results?grade=一般", headers=HTMX)
    assert "The charts show the 1 unit the filters leave." in page.text


# --- a run of counties ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county_run_dir(tmp_path_factory):
    """The world's scheme run on its counties (and 新华区, whose income is missing)."""
    directory = tmp_path_factory.mktemp("county-run")
    data = directory / "data"
    data.mkdir()
    (data / "units.csv").write_text(COUNTY_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(COUNTY_SURVEY, encoding="utf-8")
    scheme = directory / "scheme.yaml"
    scheme.write_text(WORLD_SCHEME.replace("level: province", "level: county"), encoding="utf-8")
    assess(str(scheme), data, directory / "run", period="2019")
    return directory


@pytest.fixture
def county_cycle(db, world, county_run_dir):
    """A published cycle whose run grades the counties."""
    actors = world["actors"]
    with db.write("setup", "county-cycle") as session:
        import_units(session, county_run_dir / "data" / "units.csv")
        cycle = cycles.create_cycle(session, actors["admin"], "world-test", "2020", "县级考核")
        cycle.state = "computation"
        session.flush()
        results.import_run(session, actors["assessor"], cycle.id, county_run_dir / "run")
        cycle.state = "feedback"
        return cycle.id


def test_a_county_run_colours_each_province_by_its_counties(login, county_cycle):
    page = login("assessor").get(f"/cycles/{county_cycle}/results")
    found = _embedded(page.text, "results-charts")["map"]
    assert found["mode"] == "counties"
    assert [m["id"] for m in found["metrics"]] == [
        "median",
        "share:好",
        "share:较好",
        "share:一般",
        "withheld",
    ]
    assert found["metrics"][0]["label"] == "县得分中位数"
    assert found["metrics"][1]["label"] == "等次为“好”的县占比"
    units = {u["code"]: u for u in found["units"]}
    assert set(units) == {"130000", "140000"}
    assert units["130000"]["name"] == "河北省"  # the province's name in the unit table
    hebei, shanxi = units["130000"], units["140000"]
    # Hebei: 2 of its 3 counties graded (较好 72, 一般 39.578947), 新华区 withheld; a share's
    # denominator is the counties with a grade, the median reads the counties with a score
    assert hebei["values"] == {
        "share:好": 0.0,
        "share:较好": 50.0,
        "share:一般": 50.0,
        "median": 55.79,  # (72 + 39.578947) / 2
        "withheld": 1,
    }
    assert hebei["counted"] == {
        "share:好": [2, 3],
        "share:较好": [2, 3],
        "share:一般": [2, 3],
        "median": [2, 3],
        "withheld": [3, 3],
    }
    # Shanxi: both counties 一般 (51.578947, 22.741573)
    assert shanxi["values"] == {
        "share:好": 0.0,
        "share:较好": 0.0,
        "share:一般": 100.0,
        "median": 37.16,
        "withheld": 0,
    }
    assert shanxi["counted"]["median"] == [2, 2]
    assert found["counted"] == "计入 {n}/{m} 个县"
    # the page offers the provinces as a filter and says how the map counts
    assert '<select name="province">' in page.text
    assert '<option value="130000">河北省</option>' in page.text
    assert "点击省份筛选其所属县的排名" in page.text


def test_a_province_filters_the_ranking_to_its_counties(login, county_cycle):
    client = login("assessor")
    page = client.get(f"/cycles/{county_cycle}/results?province=130000")
    assert '<option value="130000" selected>河北省</option>' in page.text
    table = page.text.split('<table class="ranking">', 1)[1].split("</table>", 1)[0]
    assert {"长安区", "桥西区", "新华区"} <= set(_names(table)) and "小店区" not in table
    charts = _embedded(page.text, "results-charts")
    assert _bars(charts) == ["130102", "130104"]  # 新华区 has no score: no bar
    assert [u["code"] for u in charts["map"]["units"]] == ["130000"]
    assert (
        "图表显示筛选后的 3 个单位，其中 2 个有得分（柱形图和直方图只画有得分的单位）。"
        in page.text
    )
    # with a grade as well, in the table HTMX swaps in: the map counts only what is left
    part = client.get(f"/cycles/{county_cycle}/results?province=130000&grade=一般", headers=HTMX)
    charts = _embedded(part.text, "results-charts")
    assert _bars(charts) == ["130104"]
    (hebei,) = charts["map"]["units"]
    assert hebei["values"]["share:一般"] == 100.0 and hebei["counted"]["share:一般"] == [1, 1]


def test_a_county_run_in_english(login, county_cycle):
    client = _in(login("assessor"), "en")
    found = _embedded(client.get(f"/cycles/{county_cycle}/results").text, "results-charts")["map"]
    assert found["metrics"][3]["label"] == "Share of counties graded 一般"
    assert found["counted"] == "{n} of {m} counties counted"


# The fixture's own names (its cycle's title, the county it adds); why 新华区's grade is withheld
# is shown in the page's language (the run records it in both).
OWN_WORDS = {"Chinese '县级考核'", "Chinese '新华区'"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_word_of_a_county_ranking_in_the_users_language(login, county_cycle, lang):
    client = _in(login("assessor"), lang)
    for query in ("", "?province=130000"):
        page = client.get(f"/cycles/{county_cycle}/results{query}")
        assert [p for p in problems(page.text, lang) if p not in OWN_WORDS] == [], query
        assert ("lacks data for" if lang == "en" else "缺少") in page.text, query


def _names(table: str) -> list[str]:
    return re.findall(r'<a href="/cycles/\d+/results/\d+">([^<]+)</a>', table)


# --- in Chromium ----------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")


@pytest.fixture
def server(db, app):
    with serving(app) as url:
        yield url


def _logged_in(browser, base: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "assessor")
    page.fill("input[name=password]", WORLD_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    return page


BARS = """() => echarts.getInstanceByDom(document.getElementById("ranking-chart")).getOption()
    .series.reduce((n, s) => n + s.data.filter((v) => v !== "-").length, 0)"""
ROWS = "() => document.querySelectorAll('#ranking table.ranking tbody tr').length"


@needs_chromium
def test_in_chromium_a_grade_filter_redraws_the_bars_of_the_rows_left(browser, server, world):
    page = _logged_in(browser, server)
    page.goto(f"{server}/cycles/{world['done']}/results")
    page.wait_for_selector("#ranking-chart[data-rendered=true] canvas")
    page.wait_for_selector("#map-chart[data-rendered=true] canvas")
    assert page.evaluate(BARS) == page.evaluate(ROWS) == 2
    page.select_option("form.filters select[name=grade]", "一般")
    page.wait_for_function(f"(n) => ({ROWS})() === n", arg=1)
    page.wait_for_function(f"(n) => ({BARS})() === n", arg=1)
    assert "图表显示筛选后的 1 个单位" in page.locator("#ranking").inner_text()
    provinces = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("map-chart")).getOption()
            .series[0].data.filter((d) => typeof d.value === "number" && !isNaN(d.value))
            .map((d) => d.name)"""
    )
    assert provinces == ["140000"]
    page.go_back()  # HTMX's copy of the page before the filter: the whole run drawn again
    page.wait_for_function(f"(n) => ({ROWS})() === n", arg=2)
    page.wait_for_function(f"(n) => ({BARS})() === n", arg=2)
    assert page.errors == []


@needs_chromium
def test_in_chromium_a_province_clicked_filters_to_its_counties(browser, server, county_cycle):
    page = _logged_in(browser, server)
    page.goto(f"{server}/cycles/{county_cycle}/results")
    page.wait_for_selector("#map-chart[data-rendered=true] canvas")
    assert page.evaluate(ROWS) == 5
    page.locator("#map-chart").scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the map's first frame
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # for a person to look at
    page.locator("#map-chart").screenshot(path=str(SCREENSHOTS / "map-counties-zh.png"))
    x, y = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('map-chart'))
            .convertToPixel({seriesIndex: 0}, [114.5, 38.04])"""  # Shijiazhuang, in Hebei
    )
    box = page.locator("#map-chart").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)  # the tooltip: the median of 2 of its 3 counties
    page.wait_for_function("() => document.getElementById('map-chart').innerText.includes('计入')")
    tooltip = page.locator("#map-chart").inner_text()
    assert "河北省" in tooltip and "55.79" in tooltip and "计入 2/3 个县" in tooltip
    page.evaluate("() => { window.stayed = true; }")  # gone if the page were loaded again
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function(f"(n) => ({ROWS})() === n", arg=3)
    page.wait_for_function(f"(n) => ({BARS})() === n", arg=2)
    assert page.input_value("form.filters select[name=province]") == "130000"
    assert "province=130000" in page.url  # the filter is in the address, as any other
    assert page.evaluate(
        "() => window.stayed === true"
    )  # HTMX swapped the table in    assert page.errors == []
