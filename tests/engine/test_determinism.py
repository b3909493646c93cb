"""Same inputs → byte-identical results; the manifest names exactly what a run read."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest
from tests.support.engine import HDI_DATA, HDI_SCHEME, facts_scheme, write_facts_case

from kaohe import __version__

INDICATORS = {
    "a": {"expr": "x", "score": {"method": "minmax"}},
    "b": {"expr": "y", "direction": "lower", "score": {"method": "percentile"}},
    "c": {"expr": "x / z", "score": {"method": "zscore", "mean": 0.5, "sd": 0.2}},
}
FACTS = {f"U{i:02d}": {"x": (i * 7919) % 97 / 7, "y": (i * 31) % 5, "z": i % 4} for i in range(15)}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def case(tmp_path):
    scheme = facts_scheme(indicators=INDICATORS, grading={"bands": [[60, "好"], [None, "差"]]})
    return write_facts_case(tmp_path / "case", scheme, FACTS)


def assess(kaohe_cli, case, out, *extra):
    run = kaohe_cli("assess", "--scheme", case.scheme, "--data", case.data, "--out", out, *extra)
    assert run.exit_code == 0, run.stderr
    return out


def test_two_runs_give_byte_identical_results(case, tmp_path, kaohe):
    first = assess(kaohe, case, tmp_path / "first")
    second = assess(kaohe, case, tmp_path / "second")
    for name in ("results.csv", "explain.json", "results.parquet"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # the case exercises division by zero, ties and relative rules: the results are not trivial
    text = (first / "results.csv").read_text(encoding="utf-8")
    assert "division by zero" in text and "好" in text and "差" in text


def test_the_hdi_run_is_byte_identical_too(tmp_path, kaohe):
    outs = []
    for name in ("one", "two"):
        run = kaohe(
            "assess", "--scheme", HDI_SCHEME, "--data", HDI_DATA, "--period", "2021",
            "--out", tmp_path / name,
        )  # fmt: skip
        assert run.exit_code == 0, run.stderr
        outs.append((tmp_path / name / "results.csv").read_bytes())
    assert outs[0] == outs[1]


def test_the_manifest_records_scheme_inputs_version_period_and_seed(case, tmp_path, kaohe):
    out = assess(kaohe, case, tmp_path / "out", "--seed", "7")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kaohe_version"] == __version__
    assert manifest["period"] is None
    assert manifest["seed"] == 7
    assert manifest["scheme"]["id"] == "facts-test"
    assert manifest["scheme"]["sha256"] == sha256(case.scheme)
    assert manifest["inputs"]["units"]["sha256"] == sha256(case.data / "units.csv")
    assert manifest["inputs"]["facts"]["sha256"] == sha256(case.data / "facts.csv")
    assert manifest["inputs"]["facts"]["rows"] == len(FACTS)
    assert manifest["engine"]["duckdb_version"] == duckdb.__version__
    assert manifest["created"]
    # every output is listed with its hash
    for name in ("results.csv", "results.parquet", "results.xlsx", "explain.json"):
        assert manifest["outputs"][name] == sha256(out / name), name


def test_the_manifest_records_the_period_and_parameters(tmp_path, kaohe):
    run = kaohe(
        "assess", "--scheme", HDI_SCHEME, "--data", HDI_DATA, "--period", "2015",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2015"
    assert manifest["seed"] == 0
    assert manifest["scheme"]["sha256"] == sha256(HDI_SCHEME)
    assert manifest["inputs"]["hdi"]["sha256"] == sha256(HDI_DATA / "hdi.csv")
    assert manifest["inputs"]["hdi"]["rows"] == 190  # the 2015 rows only


def test_the_manifest_records_the_language_of_the_text_columns(case, tmp_path, kaohe):
    # notes are written in the user's language, so the language is part of what the run used
    english = assess(kaohe, case, tmp_path / "en")
    chinese_run = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "zh", lang=None
    )
    assert chinese_run.exit_code == 0
    read = lambda out: json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # noqa: E731
    assert read(english)["language"] == "en"
    assert read(tmp_path / "zh")["language"] == "zh"


def test_a_new_run_replaces_an_earlier_run_whole(case, tmp_path, kaohe):
    out = assess(kaohe, case, tmp_path / "out")
    (out / "stale.txt").write_text("left in an earlier run", encoding="utf-8")
    assess(kaohe, case, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "explain.json",
        "manifest.json",
        "measures.sql",
        "results.csv",
        "results.parquet",
        "results.xlsx",
        "scheme.yaml",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "out"]  # no staging left


def test_an_empty_directory_is_used(case, tmp_path, kaohe):
    (tmp_path / "out").mkdir()
    assert (assess(kaohe, case, tmp_path / "out") / "results.csv").is_file()


@pytest.mark.parametrize("what", ["a file", "a folder that is not a run"])
def test_out_that_is_not_a_run_is_never_replaced(what, case, tmp_path, kaohe):
    # `--out data` by mistake must not delete the data
    target = tmp_path / "target"
    if what == "a file":
        target.write_text("keep me", encoding="utf-8")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("keep me", encoding="utf-8")
    run = kaohe("assess", "--scheme", case.scheme, "--data", case.data, "--out", target)
    assert run.exit_code == 2
    assert str(target) in run.stderr
    if what == "a file":
        assert "exists and is not a directory" in run.stderr
        assert target.read_text(encoding="utf-8") == "keep me"
    else:
        assert "is not empty and holds no earlier run (no manifest.json)" in run.stderr
        assert (target / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "target"]


def test_a_parameter_override_changes_the_run_and_is_recorded(tmp_path, kaohe):
    scheme = facts_scheme(
        indicators={"a": {"expr": "x", "score": {"method": "goalposts", "min": 0, "max": "$top"}}},
        parameters={"top": {"value": 20, "status": "open", "label": "上限"}},
    )
    case = write_facts_case(tmp_path / "case", scheme, {"A": {"x": 10}})
    default = assess(kaohe, case, tmp_path / "default")
    changed = assess(kaohe, case, tmp_path / "changed", "--param", "top=40")
    score = lambda out: (out / "results.csv").read_text(encoding="utf-8").splitlines()[1]  # noqa: E731
    assert score(default).startswith("A,县A,graded,1.0,50.0,")  # 10 of 20
    assert score(changed).startswith("A,县A,graded,1.0,25.0,")  # 10 of 40
    manifest = json.loads((changed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scheme"]["parameters"] == {"top": 40}
    unknown = kaohe(
        "assess", "--scheme", case.scheme, "--data", case.data, "--out", tmp_path / "x",
        "--param", "tpo=40",
    )  # fmt: skip
    assert unknown.exit_code == 2
    assert "--param tpo: no such parameter (did you mean top?)" in unknown.stderr
    assert not (tmp_path / "x").exists()
