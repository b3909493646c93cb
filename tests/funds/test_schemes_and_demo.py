"""The two bundled fund schemes on the demo data, and the funds demo itself.

A copy of the session's national demo data set (tests/conftest.py) plus the funds demo are
written once; the schemes run on them through the real engine, and their figures are checked
against the files they read.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from kaohe.demo.fund_year import write_funds_demo
from kaohe.funds.library import Library
from kaohe.run import assess

SEED = 7


@pytest.fixture(scope="module")
def demo(copy_demo) -> Path:
    directory = copy_demo("funds-demo")  # the session's demo data set (tests/conftest.py)
    write_funds_demo(directory, SEED)
    return directory


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def province_of(demo: Path) -> dict[str, str]:
    return {u["unit"]: u["parent"] for u in rows_of(demo / "units.csv") if u["level"] == "county"}


@pytest.mark.parametrize("scheme", ["fund-performance-2017", "linkage-fund-2021"])
def test_the_schemes_check(kaohe, scheme):
    result = kaohe("scheme", "check", scheme)
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout


def test_fund_performance_grades_the_22_provinces_from_county_projects(demo, tmp_path):
    result = assess("fund-performance-2017", demo, tmp_path / "run", period="2019")
    rows = {r["unit"]: r for r in rows_of(tmp_path / "run" / "results.csv")}
    assert len(rows) == 22
    assert {r["grade"] for r in rows.values()} <= {"优秀", "良好", "及格", "不及格"}
    # the target gate's pass rate, recomputed from the project rows of each province's counties
    parents = province_of(demo)
    submitted, admitted = defaultdict(int), defaultdict(int)
    for project in rows_of(demo / "fund_projects.csv"):
        submitted[parents[project["unit"]]] += 1
        admitted[parents[project["unit"]]] += project["admitted"] == "true"
    for province, row in rows.items():
        assert float(row["target_management.value"]) == pytest.approx(
            admitted[province] / submitted[province], abs=1e-6
        )
    assert result.scheme.parameters["cut_excellent"] == 90


def test_a_serious_problem_bars_the_top_grade(demo, tmp_path):
    # with cut-offs every province reaches, the grade is 优秀 exactly when no veto applies
    assess(
        "fund-performance-2017",
        demo,
        tmp_path / "run",
        period="2019",
        parameters={"cut_excellent": 1, "cut_good": 0.5, "cut_pass": 0.1},
    )
    rows = rows_of(tmp_path / "run" / "results.csv")
    serious = {r["unit"] for r in rows if r["serious_problem"] == "true"}
    assert serious, "the demo should have provinces with serious problems"
    assert len(serious) < len(rows)
    for row in rows:
        assert row["grade"] == ("良好" if row["unit"] in serious else "优秀")


def test_linkage_fund_weights_results_at_74_by_default(demo, tmp_path):
    default = assess("linkage-fund-2021", demo, tmp_path / "a", period="2019")
    assert default.scheme.model.parameters["points_results"].status == "open"
    rows = rows_of(tmp_path / "a" / "results.csv")
    assert {r["grade"] for r in rows} <= {"A", "B", "C", "D"}
    for row in rows:
        parts = float(row["allocation"]) + float(row["management"]) + float(row["results"])
        assert parts == pytest.approx(float(row["base_score"]), abs=1e-5)
        assert float(row["results"]) <= 74 + 1e-9
    assess(
        "linkage-fund-2021",
        demo,
        tmp_path / "b",
        period="2019",
        parameters={"points_results": 50, "points_allocation": 25, "points_management": 25},
    )
    lighter = {r["unit"]: r for r in rows_of(tmp_path / "b" / "results.csv")}
    for row in rows:
        share = float(row["results"]) / 74
        assert float(lighter[row["unit"]]["results"]) == pytest.approx(50 * share, abs=1e-5)


def test_the_share_of_funds_to_industry_is_read_from_the_projects(demo, tmp_path):
    assess("linkage-fund-2021", demo, tmp_path / "run", period="2019")
    parents = province_of(demo)
    industry, budget = defaultdict(float), defaultdict(float)
    for project in rows_of(demo / "fund_projects.csv"):
        if project["admitted"] == "true":
            budget[parents[project["unit"]]] += float(project["budget"])
            if project["project_type"] == "产业发展":
                industry[parents[project["unit"]]] += float(project["budget"])
    for row in rows_of(tmp_path / "run" / "results.csv"):
        expected = industry[row["unit"]] / budget[row["unit"]]
        assert float(row["industry_share.value"]) == pytest.approx(expected, abs=1e-6)


def test_the_demo_has_the_problems_the_tools_are_for(demo):
    library = Library.open(demo / "funds" / "library")
    state = library.state()
    submitted = rows_of(demo / "funds" / "projects.csv")
    assert 0 < len(state.rejections) < len(submitted) // 5  # some projects lack targets
    assert len(state.projects) + len(state.rejections) == len(submitted)
    statuses = {f.status for f in state.flags.values()}
    assert statuses == {"open", "answered"}  # lagging projects; some answered, some not
    assert {f.rule for f in state.flags.values()} >= {"budget_lag", "output_lag", "cost_overrun"}
    assert state.adjustments  # some cost changes were approved and recorded
    rules = {f["rule"] for f in rows_of(demo / "funds" / "audit" / "rectifications.csv")}
    assert rules == {"cost_not_adjusted", "data_inconsistent", "files_incomplete"}
    # the finance department checked at least 10% of each county's projects
    per_county, checked = defaultdict(int), defaultdict(int)
    for project in state.projects.values():
        per_county[project.unit] += 1
    for pid in state.sample["projects"]:
        checked[state.projects[pid].unit] += 1
    assert all(checked[c] >= 0.1 * n for c, n in per_county.items())
    effects = [
        float(r["performance_effect"])
        for r in rows_of(demo / "funds" / "allocation" / "allocation.csv")
    ]
    assert any(e > 0 for e in effects) and any(e < 0 for e in effects)
    assert sum(effects) == pytest.approx(0, abs=0.05)


def test_the_funds_demo_is_deterministic(demo, tmp_path):
    again = tmp_path / "data"
    again.mkdir()
    for name in ("units.csv", "fund_evaluation.csv", "persons.parquet", "monitoring_survey.csv"):
        shutil.copy(demo / name, again / name)
    write_funds_demo(again, SEED)

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    for name in (
        "fund_projects.csv",
        "fund_findings.csv",
        "fund_transfers.csv",
        "funds/library/events.jsonl",
        "funds/allocation/allocation.csv",
        "funds/evaluation/project_scores.csv",
    ):
        assert digest(again / name) == digest(demo / name), name
