"""Over the years: ``kaohe history`` across runs of two schemes, and ``kaohe assess --previous``.

Three periods of a tiny assessment (``tests.support.history``: every number below is computed by
hand there): 2019 and 2020 by one scheme, 2021 by its successor.
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from tests.support.cli import Kaohe
from tests.support.history import assess_periods, write_period

from kaohe.data.files import sha256_of
from kaohe.outcomes.ledger import Ledger


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    return root, assess_periods(root)


@pytest.fixture
def kaohe() -> Kaohe:
    return Kaohe()


def _csv(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_history_of_a_unit_across_years_and_a_scheme_change(world, kaohe):
    root, _ = world
    run = kaohe("history", "--runs", root / "runs", "--unit", "A", "--format", "csv")
    assert run.exit_code == 0, run.stderr
    rows = {row["period"]: row for row in _csv(run.stdout)}
    assert list(rows) == ["2019", "2020", "2021"]
    first, second, third = rows["2019"], rows["2020"], rows["2021"]
    # 2019: 0.6·100 + 0.4·100 = 100, 好, first of 3; both dimensions fully earned
    assert (first["score"], first["grade"], first["rank"], first["units"]) == (
        "100.0",
        "好",
        "1",
        "3",
    )
    assert (first["d1"], first["d2"], first["score_change"], first["grade_change"]) == (
        "1.0",
        "1.0",
        "",
        "",
    )
    # 2020: 0.6·80 + 0.4·80 = 80, 中, second of 4: 20 points and one grade down
    assert (second["score"], second["grade"], second["rank"], second["units"]) == (
        "80.0",
        "中",
        "2",
        "4",
    )
    assert (second["score_change"], second["grade_change"], second["compared_with"]) == (
        "-20.0",
        "down",
        "2019",
    )
    assert (second["d1"], second["d2"]) == ("0.8", "0.8")
    # 2021: another scheme (0.5·90 + 0.5·90 = 90): named, and no change across schemes
    assert (third["scheme"], third["scheme_changed_from"]) == ("tiny-2021", "tiny-2016")
    assert (third["score"], third["grade"], third["rank"]) == ("90.0", "好", "1")
    assert (third["score_change"], third["grade_change"], third["compared_with"]) == ("", "", "")


def test_history_shows_chosen_indicators_and_marks_the_scheme_change(world, kaohe):
    root, _ = world
    run = kaohe(
        "history", "--runs", root / "runs", "--unit", "C", "--indicator", "a", "--format", "csv"
    )
    assert run.exit_code == 0, run.stderr
    rows = _csv(run.stdout)
    assert [r["a"] for r in rows] == ["80.0", "100.0", "80.0"]  # the indicator's values
    assert [(r["score_change"], r["grade_change"]) for r in rows] == [
        ("", ""),
        ("28.0", "up"),
        ("", ""),
    ]
    table = kaohe("history", "--runs", root / "runs", "--unit", "C")
    assert table.exit_code == 0, table.stderr
    assert "scheme changed from tiny-2016 to tiny-2021" in table.stdout
    assert "not comparable" in table.stdout
    as_json = json.loads(
        kaohe("history", "--runs", root / "runs", "--unit", "C", "--format", "json").stdout
    )
    assert [y["grade"] for y in as_json["years"]] == ["中", "好", "中"]


def test_history_lists_rectification_items_of_each_year_from_the_ledger(world, kaohe, tmp_path):
    root, _ = world
    ledger = Ledger(tmp_path / "ledger")
    item = {"kind": "rectification", "unit": "A", "scheme": "tiny-2016", "deadline": "2021-03-31"}
    ledger.append(
        [
            ("item_opened", {**item, "id": "r-1", "title": "错退整改", "period": "2020"}),
            ("item_opened", {**item, "id": "r-2", "title": "资金整改", "period": "2020"}),
            ("evidence_submitted", {"item": "r-1"}),
            ("verified", {"item": "r-1"}),
        ],
        actor="tests",
    )
    run = kaohe(
        "history",
        "--runs",
        root / "runs",
        "--unit",
        "A",
        "--ledger",
        tmp_path / "ledger",
        "--format",
        "csv",
    )
    assert run.exit_code == 0, run.stderr
    rows = {row["period"]: row for row in _csv(run.stdout)}
    assert (rows["2020"]["rectification_items"], rows["2020"]["rectification_unresolved"]) == (
        "2",
        "1",
    )
    assert "错退整改 [verified and closed]" in rows["2020"]["rectifications"]
    assert rows["2019"]["rectification_items"] == "0"


def test_history_refuses_what_it_cannot_answer(world, kaohe, tmp_path):
    root, _ = world
    unknown = kaohe("history", "--runs", root / "runs", "--unit", "Z")
    assert unknown.exit_code == 2 and "Z is in none of the 3 runs" in unknown.stderr
    indicator = kaohe("history", "--runs", root / "runs", "--unit", "A", "--indicator", "nope")
    assert indicator.exit_code == 2 and "nope" in indicator.stderr


def test_previous_adds_last_years_grade_and_the_change(world, kaohe, tmp_path):
    root, runs = world
    case = write_period(tmp_path, "2020")
    out = tmp_path / "with-previous"
    run = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--period", "2020",
        "--out", out, "--previous", runs["2019"],
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    rows = {r["unit"]: r for r in csv.DictReader((out / "results.csv").open(encoding="utf-8"))}
    columns = ("previous_grade", "previous_score", "previous_rank", "score_change", "grade_change")
    assert [rows["C"][c] for c in columns] == ["中", "68.0", "2", "28.0", "up"]
    assert [rows["A"][c] for c in columns] == ["好", "100.0", "1", "-20.0", "down"]
    assert [rows["B"][c] for c in columns] == ["差", "50.0", "3", "20.0", "up"]
    assert [rows["D"][c] for c in columns] == ["", "", "", "", "new"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    previous = manifest["previous"]
    assert previous["manifest_sha256"] == sha256_of(runs["2019"] / "manifest.json")
    assert (previous["period"], previous["scheme"]["id"]) == ("2019", "tiny-2016")
    sheet = openpyxl.load_workbook(out / "results.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[header.index("等次") + 2 : header.index("等次") + 7] == [
        "上年等次", "上年总分", "上年排名", "总分变化", "等次变化",
    ]  # fmt: skip
    # without --previous the results are as before: no such columns, no manifest entry
    plain = (runs["2020"] / "results.csv").read_text(encoding="utf-8")
    assert "previous_grade" not in plain
    assert "previous" not in json.loads(
        (runs["2020"] / "manifest.json").read_text(encoding="utf-8")
    )


def test_previous_of_another_scheme_is_refused_naming_both(world, kaohe, tmp_path):
    root, runs = world
    case = write_period(tmp_path, "2021")
    out = tmp_path / "refused"
    run = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--period", "2021",
        "--out", out, "--previous", runs["2020"],
    )  # fmt: skip
    assert run.exit_code == 2
    assert "tiny-2016" in run.stderr and "tiny-2021" in run.stderr
    assert "not comparable" in run.stderr
    assert not out.exists()  # refused before computing anything
