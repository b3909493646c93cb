"""The run record: a run directory holds the scheme and the measure SQL it ran with, and results
are written whole or not at all (run/record.py, run/as_run.py)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from tests.support.engine import HDI_DATA, HDI_SCHEME, dump_yaml, facts_scheme, write_facts_case

from kaohe.measures import plan_measures
from kaohe.measures.presence import with_row_counts
from kaohe.run import assess
from kaohe.run.record import staged_directory, staged_file
from kaohe.scheme import load_scheme

INDICATORS = {
    "a": {"expr": "x", "score": {"method": "minmax"}},
    "b": {"expr": "y", "direction": "lower", "score": {"method": "percentile"}},
    "c": {"expr": "x / z", "score": {"method": "zscore", "mean": 0.5, "sd": 0.2}},
}
FACTS = {f"U{i:02d}": {"x": (i * 7919) % 97 / 7, "y": (i * 31) % 5, "z": i % 4} for i in range(15)}
PARAMETERS = {
    "cut_good": {"value": 80, "status": "open", "label": "“好”的分数线"},
    "cut_fair": {"value": 40, "status": "open"},
}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def case(tmp_path):
    """A facts scheme with open parameters, and a local scheme that extends it."""
    scheme = facts_scheme(
        indicators=INDICATORS,
        grading={"bands": [["$cut_good", "好"], ["$cut_fair", "中"], [None, "差"]]},
        parameters=PARAMETERS,
    )
    case = write_facts_case(tmp_path / "case", scheme, FACTS)
    local = case.scheme.with_name("local.yaml")
    local.write_text(
        dump_yaml(
            {
                "extends": "scheme.yaml",
                "id": "facts-local",
                "parameters": {"cut_good": 70},
                "indicators": {"b": {"direction": "higher"}},
            }
        ),
        encoding="utf-8",
    )
    return case, local


def test_a_run_without_overrides_stores_its_scheme_file_as_it_is(case, tmp_path, kaohe):
    case, _ = case
    out = tmp_path / "out"
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", out)
    assert run.exit_code == 0, run.stderr
    manifest = manifest_of(out)
    assert (out / "scheme.yaml").read_bytes() == case.scheme.read_bytes()
    assert manifest["scheme"]["sha256"] == sha256(out / "scheme.yaml")
    for name in ("scheme.yaml", "measures.sql"):
        assert manifest["outputs"][name] == sha256(out / name), name


def test_the_stored_scheme_is_the_effective_one_with_parameters_as_applied(case, tmp_path, kaohe):
    case, local = case
    out = tmp_path / "out"
    run = kaohe(
        "assess", "--scheme", local, "--data", case.data, "--out", out, "--param", "cut_fair=55"
    )
    assert run.exit_code == 0, run.stderr
    stored = load_scheme(str(out / "scheme.yaml"))
    assert "extends" not in (out / "scheme.yaml").read_text(encoding="utf-8").split("\n# ")[0]
    assert stored.model.id == "facts-local"
    assert stored.parameters == {"cut_good": 70, "cut_fair": 55}
    assert stored.parameters == manifest_of(out)["scheme"]["parameters"]
    assert stored.model.parameters["cut_good"].label == "“好”的分数线"  # kept from the base
    assert stored.model.indicators["b"].direction == "higher"  # the local scheme's change
    # assessed again by the stored scheme alone: the same results, byte for byte
    again = tmp_path / "again"
    run = kaohe("assess", "--scheme", out / "scheme.yaml", "--data", case.data, "--out", again)
    assert run.exit_code == 0, run.stderr
    assert (again / "results.csv").read_bytes() == (out / "results.csv").read_bytes()
    # the overrides made a difference, so the comparison above is not trivial
    plain = tmp_path / "plain"
    run = kaohe("assess", "--scheme", local, "--data", case.data, "--out", plain)
    assert run.exit_code == 0, run.stderr
    assert (plain / "results.csv").read_bytes() != (out / "results.csv").read_bytes()


def test_a_moved_run_directory_still_holds_its_scheme(case, tmp_path):
    case, local = case
    first = assess(str(local), case.data, tmp_path / "first", parameters={"cut_fair": 30})
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(tmp_path / "first", moved)
    local.unlink()
    case.scheme.unlink()  # neither the local scheme nor its base is needed any more
    stored = load_scheme(str(moved / "scheme.yaml"))
    assert stored.parameters == first.scheme.parameters
    assess(stored, case.data, tmp_path / "again")
    assert (tmp_path / "again" / "results.csv").read_bytes() == (moved / "results.csv").read_bytes()


def test_measures_sql_holds_every_query_the_run_executed(case, tmp_path):
    case, _ = case
    result = assess(str(case.scheme), case.data, tmp_path / "out")
    text = (tmp_path / "out" / "measures.sql").read_text(encoding="utf-8")
    loaded = result.scheme
    counted, sources = with_row_counts(
        loaded.measures, {n: m.source for n, m in loaded.model.measures.items()}
    )
    plans = plan_measures(counted, sources)
    assert plans == result.plans
    for plan in plans:
        assert f"-- source {plan.source}:" in text
        for sql in (plan.rollup, plan.recompute, plan.empty):
            if sql:
                assert f"{sql};" in text


def test_the_hdi_example_reassessed_by_its_stored_scheme_gives_the_same_results(tmp_path):
    first = tmp_path / "first"
    assess(str(HDI_SCHEME), HDI_DATA, first, period="2021")
    assess(str(first / "scheme.yaml"), HDI_DATA, tmp_path / "again", period="2021")
    assert (tmp_path / "again" / "results.csv").read_bytes() == (first / "results.csv").read_bytes()


# --------------------------------------------------------------------------- writing whole


def test_a_failed_directory_leaves_the_previous_one_and_no_staging(tmp_path):
    out = tmp_path / "out"
    with staged_directory(out) as staging:
        (staging / "a.txt").write_text("first", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_directory(out) as staging:
        (staging / "a.txt").write_text("second", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert (out / "a.txt").read_text(encoding="utf-8") == "first"
    with staged_directory(out) as staging:
        (staging / "b.txt").write_text("third", encoding="utf-8")
    assert [p.name for p in out.iterdir()] == ["b.txt"]  # replaced whole
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_file_leaves_the_previous_one_and_no_staging(tmp_path):
    path = tmp_path / "deep" / "table.csv"
    with staged_file(path) as staging:
        staging.write_text("first", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_file(path) as staging:
        staging.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert path.read_text(encoding="utf-8") == "first"
    assert [p.name for p in path.parent.iterdir()] == ["table.csv"]
