"""The records behind a measure: the rows of the run's own input file for a unit's subtree and the
run's period, a hundred at a time in file order, only within the viewer's scope, and refused when
the file changed after the run."""

import re

from tests.support.platform_world import WORLD_SCHEME, WORLD_UNITS

from kaohe.run import assess
from kaohe.workflow import cycles
from kaohe.workflow import platform_results as results


def _big_run(directory):
    """The world's scheme over a survey with 250 rows in Hebei's 长安区 (130102), 3 in Shanxi and
    rows of another period that the run did not read."""
    data = directory / "data"
    data.mkdir()
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    lines = ["unit,rural_population,income_per_capita,income_per_capita_last,period"]
    lines += [f"130102,{100 + i},9000,8000,2019" for i in range(250)]
    lines += [f"140105,{i},9000,8000,2019" for i in range(3)]
    lines += [f"130104,{i},1,1,2018" for i in range(7)]
    (data / "monitoring_survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scheme = directory / "scheme.yaml"
    scheme.write_text(WORLD_SCHEME, encoding="utf-8")
    out = directory / "run"
    assess(str(scheme), data, out, period="2019")
    return out, data / "monitoring_survey.csv"


def _published(db, world, run_dir):
    actors = world["actors"]
    with db.write("setup", "records-cycle") as session:
        cycle = cycles.create_cycle(session, actors["admin"], "world-test", "2021", "明细周期")
        cycle.state = "computation"
        session.flush()
        results.import_run(session, actors["assessor"], cycle.id, run_dir)
        cycle.state = "publication"
        return cycle.id


def _cells(html: str) -> list[list[str]]:
    body = html.split('<table class="records">', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in body.split("<tr>")[2:]]


def test_records_of_a_province_paged_in_file_order(login, world, db, tmp_path):
    run_dir, survey = _big_run(tmp_path)
    cycle_id = _published(db, world, run_dir)
    hebei = login("hebei")
    card = hebei.get(f"/cycles/{cycle_id}/results/130000").text
    link = f"/cycles/{cycle_id}/results/130000/records/population"
    assert f'href="{link}"' in card
    first = hebei.get(link)
    assert first.status_code == 200
    assert re.search(r'id="total">250<', first.text)  # not Shanxi's 3, not 2018's 7
    rows = _cells(first.text)
    assert len(rows) == 100 and rows[0][:2] == ["130102", "100"] and rows[99][1] == "199"
    last = hebei.get(f"{link}?page=3")
    rows = _cells(last.text)
    assert len(rows) == 50 and rows[-1][1] == "349" and 'rel="next"' not in last.text
    assert "sum(rural_population)" in first.text  # the measure's expression is shown

    # Shanxi's card shows no records link to Hebei, and the page itself refuses
    assert f'href="/cycles/{cycle_id}/results/130000/records/' not in (
        login("shanxi").get(f"/cycles/{cycle_id}/results/130000").text
    )
    assert login("shanxi").get(link).status_code == 403
    shanxi = login("shanxi").get(f"/cycles/{cycle_id}/results/140000/records/population")
    assert re.search(r'id="total">3<', shanxi.text)
    assert login("hebei").get(f"/cycles/{cycle_id}/results/130000/records/nope").status_code == 404

    # The file changed after the run: refused, not shown as the run's records
    with open(survey, "a", encoding="utf-8") as handle:
        handle.write("130102,1,1,1,2019\n")
    changed = hebei.get(link)
    assert changed.status_code == 400 and "sha256" in changed.text
    survey.unlink()
    gone = hebei.get(link)
    assert gone.status_code == 400 and "不在原处" in gone.text
