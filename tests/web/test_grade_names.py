"""Grades, vetoes and the actions of 结果应用 in the user's language: an English page names each
by the scheme's English name with the Chinese beside it ("fairly good (较好)"), a Chinese page by
the Chinese alone; the ranking's grade filter keeps the stored (Chinese) grade as its value. A run
imported before the platform recorded the English names still renders.

The test world's scheme with a fourth grade (较差 below 40), English grade names, a veto and
outcomes, run on the world's survey: 河北省 78.163265 → 较好 (tests/web/test_charts.py has the
arithmetic); 山西省 56.938628 → 一般, but its 90,000 rural residents hit the veto (population >
80000: at most 较差), so it is graded 较差, which leads to an interview and a rectification within
90 days.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from tests.support.platform_world import WORLD_SCHEME, WORLD_SURVEY, WORLD_UNITS

from kaohe.run import assess
from kaohe.store.models import Cycle, Run
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results

from .test_every_word import problems

GRADING = "  bands: [[80, 好], [60, 较好], [null, 一般]]\n"
SCHEME = WORLD_SCHEME.replace(
    GRADING,
    """\
  bands: [[80, 好], [60, 较好], [40, 一般], [null, 较差]]
  labels_en: {好: good, 较好: fairly good, 一般: average, 较差: poor}
vetoes:
  - id: crowded
    when: "population > 80000"
    grade_at_most: 较差
    reason: 农村人口过多
    reason_en: too many rural residents
outcomes:
  - when: "grade = '较差'"
    actions:
      - interview: {who: 分管负责同志}
      - rectify: {days: 90}
""",
)


def _in(client, lang: str):
    assert client.get(f"/lang/{lang}?next=/dashboard").status_code == 200
    return client


def _embedded(html: str, element_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert found, f"no #{element_id} in the page"
    return json.loads(found.group(1))


@pytest.fixture
def named(db, world, tmp_path):
    """The scheme run once and imported into two published years (2020, 2021: last year's grade
    beside this year's); returns the cycles and the scheme file the runs recorded."""
    assert SCHEME != WORLD_SCHEME  # the world's grading is where the English names go
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(WORLD_SURVEY, encoding="utf-8")
    scheme = tmp_path / "named-scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    assess(str(scheme), data, tmp_path / "run", period="2019")
    actors = world["actors"]
    ids = {}
    with db.write("setup", "named-cycles") as session:
        for period in ("2020", "2021"):
            cycle = cycles.create_cycle(session, actors["admin"], "world-test", period, "测试周期")
            cycle.state = "computation"
            session.flush()
            results.import_run(session, actors["assessor"], cycle.id, tmp_path / "run")
            cycle.state = "feedback"
            ids[period] = cycle.id
    return {**ids, "scheme": scheme}


def test_english_ranking_names_grades_beside_their_chinese(login, named):
    client = _in(login("assessor"), "en")
    page = client.get(f"/cycles/{named['2021']}/results")
    assert page.status_code == 200
    html = page.text
    assert '<span class="grade">fairly good (较好)</span>' in html
    assert '<span class="grade">poor (较差)</span>' in html
    # the filter's value is the stored grade, its text the user's words
    assert re.search(r'<option value="较好"\s*>fairly good \(较好\)</option>', html)
    assert re.search(r'<option value="好"\s*>good \(好\)</option>', html)
    charts = _embedded(html, "results-charts")
    assert charts["grade_labels"] == {
        "好": "good (好)",
        "较好": "fairly good (较好)",
        "一般": "average (一般)",
        "较差": "poor (较差)",
    }
    assert charts["ranking"]["grades"] == ["较好", "较差"]  # the data keep the stored grade
    assert [b["label"] for b in charts["ranking"]["bands"]] == [
        "good (好)",
        "fairly good (较好)",
        "average (一般)",
        "poor (较差)",
    ]
    assert [u["grade_label"] for u in charts["map"]["units"]] == [
        "fairly good (较好)",
        "poor (较差)",
    ]
    assert problems(html, "en") == []
    filtered = client.get(
        f"/cycles/{named['2021']}/results?grade=较好", headers={"hx-request": "1"}
    )
    assert "河北省" in filtered.text and "山西省" not in filtered.text
    api = client.get(f"/api/cycles/{named['2021']}/results")  # the grade as stored
    assert [r["grade"] for r in api.json()] == ["较好", "较差"]


def test_english_score_card_names_grades_vetoes_and_actions(login, named):
    client = _in(login("assessor"), "en")
    page = client.get(f"/cycles/{named['2021']}/results/140000")
    assert page.status_code == 200
    html = page.text
    assert '<span class="grade">poor (较差)</span>' in html
    assert "Last year: 56.94 (poor (较差), #2)" in html
    assert "<li>too many rural residents (农村人口过多)</li>" in html
    assert "interview of leaders (约谈)" in html
    assert "rectification with a deadline (限期整改)" in html
    rule = re.search(r'<p class="rule">(.*?)</p>', html).group(1)
    assert rule == (
        "Grade rule: score ≥ 40 → average (一般); "
        "veto (too many rural residents (农村人口过多)) → poor (较差)"
    )
    assert problems(html, "en") == []
    hebei = client.get(f"/cycles/{named['2021']}/results/130000").text
    assert '<span class="grade">fairly good (较好)</span>' in hebei
    assert "Grade rule: score ≥ 60 → fairly good (较好)" in hebei


def test_chinese_pages_show_the_chinese_only(login, named):
    client = _in(login("assessor"), "zh")
    ranking = client.get(f"/cycles/{named['2021']}/results").text
    assert '<span class="grade">较好</span>' in ranking
    assert re.search(r'<option value="较好"\s*>较好</option>', ranking)
    assert _embedded(ranking, "results-charts")["grade_labels"] == {
        "好": "好",
        "较好": "较好",
        "一般": "一般",
        "较差": "较差",
    }
    card = client.get(f"/cycles/{named['2021']}/results/140000").text
    assert '<span class="grade">较差</span>' in card
    assert "上年：56.94（较差，第2名）" in card
    assert "等次依据：得分 ≥ 40 → 一般；一票否决（农村人口过多）→ 较差" in card
    assert "<li>农村人口过多</li>" in card
    assert "<li>约谈（分管负责同志）</li>" in card
    assert "<li>限期整改（90 天内）</li>" in card
    for html in (ranking, card):
        assert "fairly good" not in html and "poor" not in html and "interview" not in html
        assert problems(html, "zh") == []


def test_trends_name_grades_in_the_users_language(login, named):
    english = _in(login("assessor"), "en")
    unit = english.get("/trends/130000").text
    assert '<span class="grade">fairly good (较好)</span>' in unit
    national = _embedded(english.get("/trends").text, "trend-charts")
    assert "poor (较差)" in [g["label"] for g in national["grades"]]
    chinese = _in(login("assessor"), "zh").get("/trends/130000").text
    assert '<span class="grade">较好</span>' in chinese


def _forget_names(db, cycle_id: int) -> None:
    """The run as the platform imported it before it recorded grade names and veto reasons."""
    with db.write("setup", "old-manifest") as session:
        cycle = session.get(Cycle, cycle_id)
        cycle.state = "computation"  # approved results are locked: opened for the test's edit
        session.flush()
        run = session.scalar(select(Run).where(Run.cycle_id == cycle_id))
        run.manifest = {
            k: v for k, v in run.manifest.items() if k not in ("grading", "veto_reasons_en")
        }
        session.flush()
        cycle.state = "feedback"


def test_a_run_imported_before_the_names_were_recorded_still_renders(db, login, named):
    named["scheme"].unlink()  # and its scheme file is gone: nothing to read the names from
    _forget_names(db, named["2021"])
    client = _in(login("assessor"), "en")
    ranking = client.get(f"/cycles/{named['2021']}/results")
    assert ranking.status_code == 200
    assert '<span class="grade">较好</span>' in ranking.text  # the stored grade, unnamed
    assert re.search(r'<option value="较好"\s*>较好</option>', ranking.text)
    card = client.get(f"/cycles/{named['2021']}/results/140000")
    assert card.status_code == 200
    assert '<span class="grade">较差</span>' in card.text
    assert "<li>农村人口过多</li>" in card.text
    assert "interview of leaders (约谈)" in card.text  # the kinds' words are the code's
    # last year's run still has its names: its grade is named by its own record
    assert "Last year: 56.94 (poor (较差), #2)" in card.text


def test_an_older_run_reads_the_names_from_its_unchanged_scheme_file(db, login, named):
    _forget_names(db, named["2021"])
    client = _in(login("assessor"), "en")
    card = client.get(f"/cycles/{named['2021']}/results/140000").text
    assert '<span class="grade">poor (较差)</span>' in card
    assert "<li>too many rural residents (农村人口过多)</li>" in card
