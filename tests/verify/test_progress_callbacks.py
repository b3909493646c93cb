"""The verification counts its tables (and the report its quality checks and its writing) as it
goes, for the command line's progress bar; the bar changes nothing it writes."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

import kaohe.cli.data
import kaohe.cli.verify  # noqa: F401  (registers the commands)
from kaohe.cli import app
from kaohe.derived.verification import STEPS, run_verification
from kaohe.quality.registry import DETECTORS
from kaohe.verify.unit_tables import TABLES, open_for_rules, verify_directory
from kaohe.verify.verification_rules import load_eligibility_rules, load_verification_rules


def _counted(calls: list[tuple[int, int, str]], steps) -> None:
    """Counts that only rise, one total throughout, the last call (total, total, ""); every
    other call names a step the display knows."""
    done = [d for d, _, _ in calls]
    totals = {t for _, t, _ in calls}
    assert done == sorted(set(done)), calls  # strictly increasing
    assert len(totals) == 1, calls
    total = totals.pop()
    assert calls[0][0] == 0 and calls[-1] == (total, total, ""), calls
    assert all(name in steps for _, _, name in calls[:-1]), calls


def test_verify_directory_counts_its_tables(demo_dir):
    loaded = load_verification_rules(None)
    calls: list[tuple[int, int, str]] = []
    with open_for_rules(demo_dir, None, loaded) as inputs:
        judged = verify_directory(
            inputs, loaded, ["province"], progress=lambda *call: calls.append(call)
        )
        # with the eligibility rules, one table more
        more: list[tuple[int, int, str]] = []
        verify_directory(
            inputs,
            loaded,
            ["province"],
            load_eligibility_rules(None),
            progress=lambda *call: more.append(call),
        )
    assert judged.estimates and judged.reconciliation
    _counted(calls, TABLES)
    assert [name for _, _, name in calls] == ["estimates", "ratios", "reconciliation", ""]
    _counted(more, TABLES)
    assert [name for _, _, name in more][-2:] == ["eligibility", ""]


@pytest.mark.parametrize("quality", [True, False])
def test_the_report_counts_tables_quality_checks_and_writing(demo_dir, tmp_path, quality):
    calls: list[tuple[int, int, str]] = []
    run_verification(
        demo_dir,
        tmp_path / "report",
        levels=["province"],
        quality=quality,
        progress=lambda *call: calls.append(call),
    )
    _counted(calls, STEPS)
    names = [name for _, _, name in calls]
    checks = len(DETECTORS) if quality else 0
    assert calls[-1][1] == len(TABLES) + checks + 1  # the tables, each check, the writing
    assert names.count("quality") == checks
    assert names[-2:] == ["write", ""]


def _terminal(monkeypatch) -> io.StringIO:
    """Standard error as a terminal (a real rich console writing to a buffer)."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, soft_wrap=True)
    monkeypatch.setattr(kaohe.cli.data, "errors", console)
    return screen


def _without_time(manifest: bytes) -> dict:
    record = json.loads(manifest)
    record.pop("created")
    return record


def test_a_counting_bar_on_a_terminal_and_the_same_files(demo_dir, tmp_path, monkeypatch):
    runner = CliRunner()
    args = ["verify", "estimates", "--data", str(demo_dir), "--level", "province"]
    plain = runner.invoke(app, [*args, "--out", str(tmp_path / "plain.csv")])
    assert plain.exit_code == 0, plain.output
    report = ["verify", "report", "--data", str(demo_dir), "--level", "province", "--no-quality"]
    assert runner.invoke(app, [*report, "--out", str(tmp_path / "plain")]).exit_code == 0

    screen = _terminal(monkeypatch)
    shown = runner.invoke(app, [*args, "--out", str(tmp_path / "shown.csv")])
    assert shown.exit_code == 0, shown.output
    # a bar that counted to the end (a pulsing one stays at 0 %), then the report's
    bar = screen.getvalue()
    assert "100%" in bar and "reconciliation" in bar
    assert runner.invoke(app, [*report, "--out", str(tmp_path / "shown")]).exit_code == 0
    assert screen.getvalue().count("100%") > bar.count("100%")

    assert (tmp_path / "shown.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    files = sorted(p.name for p in (tmp_path / "plain").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "shown").iterdir())
    for name in files:
        plain_bytes = (tmp_path / "plain" / name).read_bytes()
        shown_bytes = (tmp_path / "shown" / name).read_bytes()
        if name == "manifest.json":  # written with the time of the run
            assert _without_time(shown_bytes) == _without_time(plain_bytes)
        else:
            assert shown_bytes == plain_bytes, name
