"""A run opens from its own directory (run/opened.py): moved elsewhere, with the scheme file it was
assessed by deleted, it is still analysed, reported and opened for outcomes — by the scheme.yaml
it kept; a kept scheme edited after the run, or an older run's vanished scheme, is refused."""

from __future__ import annotations

import json
import shutil

import pytest
from tests.support.sensitivity import assess_case, run_cli

from kaohe.errors import DataError
from kaohe.run.opened import open_run
from kaohe.workflow.platform_results import facts_of

PROVINCES = [
    # code, name, output, quality, wrong, checked
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 5, 50),  # wrong-exit rate over 2%: a finding
]


@pytest.fixture
def moved(tmp_path):
    """A run copied to another folder; the original run and its scheme file deleted."""
    run = assess_case(tmp_path / "case", PROVINCES)
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.copytree(run, moved)
    shutil.rmtree(run)
    (tmp_path / "case" / "scheme.yaml").unlink()
    return moved


def test_a_moved_run_is_analysed_reported_and_opened(moved, tmp_path):
    code, output = run_cli("sensitivity", str(moved), "--draws", "50")
    assert code == 0, output
    report = tmp_path / "report.html"
    code, output = run_cli("report", str(moved), "--lang", "en", "--out", str(report))
    assert code == 0, output
    assert "Wrong-exit rate" in report.read_text(encoding="utf-8")  # the kept scheme's label
    ledger = tmp_path / "ledger"
    code, output = run_cli(
        "outcomes", "open", "--run", str(moved), "--ledger", str(ledger), "--date", "2020-03-01"
    )
    assert code == 0, output
    events = (ledger / "events.jsonl").read_text(encoding="utf-8")
    assert "错退率超标" in events  # the flag's label, from the kept scheme


def test_open_run_gives_the_kept_scheme_and_the_results(moved):
    run = open_run(moved)
    assert run.scheme.file == str(moved / "scheme.yaml")
    assert run.scheme.model.id == run.manifest["scheme"]["id"] == "sensitivity-test"
    assert [row["unit"] for row in run.results] and "score" in run.columns
    assert set(run.explanation["units"]) == {row["unit"] for row in run.results}
    # the measures an indicator reads, from its parsed expression
    assert facts_of(run.scheme)["indicator_measures"]["wrong_rate"] == ["checked", "wrong"]


def test_a_kept_scheme_edited_after_the_run_is_refused(moved, tmp_path):
    kept = moved / "scheme.yaml"
    kept.write_text(
        kept.read_text(encoding="utf-8").replace("points: 50", "points: 40"), encoding="utf-8"
    )
    ledger = str(tmp_path / "ledger")
    for args in (
        ("sensitivity", str(moved), "--draws", "50"),
        ("report", str(moved), "--out", str(tmp_path / "report.html")),
        ("outcomes", "open", "--run", str(moved), "--ledger", ledger, "--date", "2020-03-01"),
    ):
        code, output = run_cli(*args)
        assert code == 2, output
        assert "scheme.yaml: changed after the run" in output.replace("\n", "")
    assert not (tmp_path / "report.html").exists()
    assert not (moved / "sensitivity").exists()


def _as_older_run(run):
    """``run`` as kaohe wrote it before runs kept their scheme."""
    (run / "scheme.yaml").unlink()
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    del manifest["outputs"]["scheme.yaml"]
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_an_older_run_opens_by_its_recorded_scheme_only_while_unchanged(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    _as_older_run(run)
    assert open_run(run).scheme.file == str(tmp_path / "scheme.yaml")
    assert run_cli("sensitivity", str(run), "--draws", "50")[0] == 0
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(scheme.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(DataError, match="put the original scheme file back"):
        open_run(run)
    code, output = run_cli("report", str(run))
    assert code == 2 and "older kaohe" in output.replace("\n", " ")
    scheme.unlink()
    code, output = run_cli("outcomes", "open", "--run", str(run), "--ledger", str(tmp_path / "l"))
    assert code == 2 and "run kaohe assess again" in output.replace("\n", " ")
