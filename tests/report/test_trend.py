"""The report's trend over the years: from a folder of earlier runs, from the run's chain of
``--previous`` runs, or from its previous-period columns alone (``tests.support.history``: the
numbers are computed by hand there)."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from tests.support.cli import Kaohe
from tests.support.history import assess_periods, write_period

from kaohe.report.data import load_report_data
from kaohe.report.html import render_html
from kaohe.report.xlsx import write_xlsx


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("trend")
    return root, assess_periods(root)


def test_trend_from_a_folder_of_runs_gives_each_year_and_the_scheme_change(world, tmp_path):
    root, runs = world
    data = load_report_data(runs["2021"], "en", history=root / "runs")
    trend = data.trend
    assert [(y.period, y.scheme_id) for y in trend.national] == [
        ("2019", "tiny-2016"), ("2020", "tiny-2016"), ("2021", "tiny-2021"),
    ]  # fmt: skip
    # grade counts and median score: 2019 {100, 68, 50}; 2020 {96, 80, 70, 40}; 2021 {90, 70, 60, 30}
    assert [dict(y.grades) for y in trend.national] == [
        {"好": 1, "中": 1, "差": 1},
        {"好": 1, "中": 2, "差": 1},
        {"好": 1, "中": 2, "差": 1},
    ]
    assert [y.median_score for y in trend.national] == [68.0, 75.0, 65.0]
    assert trend.scheme_changes == [("2021", "tiny-2016", "tiny-2021")]
    assert [(y.score, y.grade) for y in trend.row("A")] == [
        (100.0, "好"),
        (80.0, "中"),
        (90.0, "好"),
    ]
    assert trend.row("D")[0] is None  # not assessed in 2019
    html = render_html(data)
    assert "Trend over the years" in html
    assert "Scheme changed: tiny-2016 → tiny-2021" in html
    assert "100.0 好" in html and "80.0 中" in html
    assert "<polyline" in html  # the median score by year, drawn as SVG
    static = render_html(data, interactive=False)  # the PDF's page
    assert "Trend over the years" in static
    write_xlsx(data, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    rows = list(book["Trend"].iter_rows(min_row=2, values_only=True))
    assert ("A", "县A", "2020", "tiny-2016", 80.0, "中", 2, -20.0, "down") in rows
    years = list(book["Years"].iter_rows(min_row=2, values_only=True))
    assert years[2][0] == "2021" and "scheme changed" in years[2][-1]


def test_a_reports_trend_stops_at_its_own_period(world):
    """The folder holds 2021 too: a report of 2020 speaks of 2019 and 2020 only."""
    root, runs = world
    trend = load_report_data(runs["2020"], "en", history=root / "runs").trend
    assert [(y.period, y.scheme_id) for y in trend.national] == [
        ("2019", "tiny-2016"), ("2020", "tiny-2016"),
    ]  # fmt: skip
    assert trend.scheme_changes == []


def test_trend_follows_the_runs_previous_chain(world, tmp_path):
    _, runs = world
    case = write_period(tmp_path, "2020")
    out = tmp_path / "2020"
    run = Kaohe()(
        "assess", "--scheme", case.scheme, "--data", case.data, "--period", "2020",
        "--out", out, "--previous", runs["2019"],
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    trend = load_report_data(out, "zh").trend
    assert [y.period for y in trend.national] == ["2019", "2020"]
    assert not trend.partial
    assert [(y.grade, y.grade_change) for y in trend.units["C"]] == [("中", None), ("好", "up")]
    html = render_html(load_report_data(out, "zh"))
    assert "二、历年趋势" in html and "上升" in html


def test_trend_from_the_previous_columns_when_that_run_is_gone(world, tmp_path):
    _, runs = world
    moved = tmp_path / "2019"
    shutil.copytree(runs["2019"], moved)
    case = write_period(tmp_path, "2020")
    out = tmp_path / "2020"
    run = Kaohe()(
        "assess", "--scheme", case.scheme, "--data", case.data, "--period", "2020",
        "--out", out, "--previous", moved,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    shutil.rmtree(moved)
    trend = load_report_data(out, "en").trend
    assert trend.partial
    last_year = trend.national[0]
    assert (last_year.period, dict(last_year.grades), last_year.median_score) == (
        "2019", {"好": 1, "中": 1, "差": 1}, 68.0,
    )  # fmt: skip
    assert [(y.score, y.grade) for y in trend.units["A"]] == [(100.0, "好"), (80.0, "中")]
    assert trend.units["A"][-1].grade_change == "down"
    assert "previous-period columns" in render_html(load_report_data(out, "en"))


def test_no_trend_section_for_a_single_run(world):
    _, runs = world
    data = load_report_data(runs["2019"], "en")
    assert data.trend is None
    assert "Trend over the years" not in render_html(data)
