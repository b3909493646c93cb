"""``--memory-limit``: a text that is no amount of memory is refused before any work starts, and
DuckDB running out of memory under a limit is one line that names the option, not a traceback;
a command given a small limit spills to disk and finds the same as without one."""

from __future__ import annotations

import pytest
from tests.support.cli import Kaohe

kaohe = Kaohe()
SCHEME = "provincial-effectiveness-2016"


def _assess(data, out, limit):
    return kaohe(
        "assess", "--scheme", SCHEME, "--data", data, "--out", out, "--memory-limit", limit
    )


def _quality(data, out, *limit):
    return kaohe("quality", "check", "--data", data, "--out", out, *limit)


@pytest.mark.parametrize("limit", ["abc", "12parsecs", "0GB", "-1GB"])
def test_a_limit_that_is_no_amount_of_memory_is_refused_first(demo_data, tmp_path, limit):
    for run, out in (
        (lambda out: _assess(demo_data, out, limit), tmp_path / "run"),
        (lambda out: _quality(demo_data, out, "--memory-limit", limit), tmp_path / "f.csv"),
    ):
        result = run(out)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert f"'{limit}' is no amount of memory" in result.stderr
        assert "4GB" in result.stderr and "Traceback" not in result.stderr
        assert not out.exists()


def test_out_of_memory_under_the_limit_is_one_clear_line(demo_data, tmp_path):
    result = _assess(demo_data, tmp_path / "run", "1MB")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "out of memory" in result.stderr and "--memory-limit" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()  # nothing half-written


@pytest.mark.parametrize(
    "command",
    [
        ("quality", "check"),
        ("verify", "estimates"),
        ("verify", "reconcile"),
        ("verify", "eligibility"),
    ],
    ids=" ".join,
)
def test_a_command_within_a_small_limit_finds_the_same(demo_data, tmp_path, command):
    roomy = kaohe(*command, "--data", demo_data, "--out", tmp_path / "roomy.csv")
    small = kaohe(
        *command, "--data", demo_data, "--out", tmp_path / "small.csv", "--memory-limit", "64MB"
    )
    assert roomy.exit_code == small.exit_code == 0, small.stderr
    assert (tmp_path / "small.csv").read_bytes() == (tmp_path / "roomy.csv").read_bytes()
    refused = kaohe(
        *command, "--data", demo_data, "--out", tmp_path / "x.csv", "--memory-limit", "x"
    )
    assert refused.exit_code == 2 and "'x' is no amount of memory" in refused.stderr


def test_the_verification_report_within_a_small_limit_finds_the_same(demo_data, tmp_path):
    for name, limit in (("roomy", ()), ("small", ("--memory-limit", "64MB"))):
        result = kaohe("verify", "report", "--data", demo_data, "--out", tmp_path / name, *limit)
        assert result.exit_code == 0, result.stderr
    for table in sorted((tmp_path / "roomy").glob("*.csv")):
        assert table.read_bytes() == (tmp_path / "small" / table.name).read_bytes(), table.name
