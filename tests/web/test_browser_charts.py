"""The results pages' charts and map in real Chromium (Debian's, driven by Playwright) against a
real server: each chart is drawn (an ECharts instance with a canvas of nonzero size), the map's
select recolours it, a click on a province opens its score card; a screenshot of each page in
Chinese and in English is left in build/screenshots/ for a person to look at."""

import os
from pathlib import Path

import pytest
from tests.support.platform_world import WORLD_PASSWORD
from tests.support.servers import serving

from kaohe.web import create_app

from .conftest import CHROMIUM

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
# Shijiazhuang, inside Hebei (130000): where the test clicks the map
SHIJIAZHUANG = [114.5, 38.04]


@pytest.fixture
def server(db, world):
    with serving(create_app(db, secret="browser")) as url:
        yield url


def _login(browser, base, username, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", WORLD_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    page.goto(f"{base}/lang/{lang}?next=/dashboard")
    page.errors = errors
    return page


def _drawn(page, element_id: str) -> dict:
    """The chart of #element_id once drawn: its series types and its canvas's size."""
    page.wait_for_selector(f"#{element_id}[data-rendered=true] canvas")
    return page.evaluate(
        """(id) => {
            const el = document.getElementById(id);
            const chart = echarts.getInstanceByDom(el);
            const canvas = el.querySelector("canvas").getBoundingClientRect();
            return {
                instance: !!chart,
                series: chart ? chart.getOption().series.map((s) => s.type) : [],
                width: canvas.width,
                height: canvas.height,
            };
        }""",
        element_id,
    )


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ranking_charts_and_map_then_a_province_by_click(browser, server, world, lang):
    page = _login(browser, server, "assessor", lang)
    page.goto(f"{server}/cycles/{world['done']}/results")
    ranking = _drawn(page, "ranking-chart")
    assert ranking["instance"] and ranking["width"] > 0 and ranking["height"] > 0
    assert set(ranking["series"]) == {"bar"}
    histogram = _drawn(page, "histogram-chart")
    assert histogram["instance"] and histogram["width"] > 0 and histogram["height"] > 0
    drawn = _drawn(page, "map-chart")
    assert drawn["instance"] and drawn["series"] == ["map"] and drawn["width"] > 0
    page.wait_for_timeout(500)  # the map's first frame
    _shot(page, f"results-{lang}.png")

    # by an indicator: a continuous scale instead of the grades' pieces
    page.select_option("#map-metric", "indicator:population_size")
    visual = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('map-chart')).getOption().visualMap[0].type"
    )
    assert visual == "continuous"
    page.locator("#map-chart").scroll_into_view_if_needed()
    page.locator("#map-chart").screenshot(path=str(SCREENSHOTS / f"map-{lang}.png"))

    # a click on Hebei opens its score card
    x, y = page.evaluate(
        """(point) => echarts.getInstanceByDom(document.getElementById('map-chart'))
            .convertToPixel({seriesIndex: 0}, point)""",
        SHIJIAZHUANG,
    )
    box = page.locator("#map-chart").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"{server}/cycles/{world['done']}/results/130000")
    assert "河北省" in page.locator("h1").inner_text()
    assert page.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_score_card_charts(browser, server, world, lang):
    page = _login(browser, server, "assessor", lang)
    page.goto(f"{server}/cycles/{world['done']}/results/140000")
    for element_id, kind in (("radar", "radar"), ("distribution-chart", "scatter")):
        drawn = _drawn(page, element_id)
        assert drawn["instance"] and kind in drawn["series"]
        assert drawn["width"] > 0 and drawn["height"] > 0
    peers = _drawn(page, "peers-chart")
    assert peers["series"] == ["bar"] and peers["width"] > 0 and peers["height"] > 0
    rule = page.locator("p.rule").inner_text()
    assert rule == (
        "等次依据：未达到以上各档 → 一般"
        if lang == "zh"
        else "Grade rule: below every higher band → 一般"
    )
    page.click("summary:has-text('增长')" if lang == "zh" else "summary >> nth=0")
    page.wait_for_timeout(500)
    _shot(page, f"scorecard-{lang}.png")
    assert page.errors == []
