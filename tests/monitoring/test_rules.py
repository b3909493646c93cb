"""Monitoring rules (monitoring/monitoring_rules.py): thresholds per province and year, checks at lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe.errors import SchemeError
from kaohe.monitoring.monitoring_rules import bundled_rules, load_rules

BUNDLED = bundled_rules()["national-2021"]


def test_thresholds_default_then_every_province_then_the_province():
    rules = load_rules()
    values = rules.thresholds(2021, ["130000", "520000", "630000"])
    assert values["130000"]["monitoring_line"] == 6000  # 1.5 × 4,000
    assert values["520000"]["monitoring_line"] == 6300  # the provincial row
    assert values["630000"]["monitoring_line"] == 6500
    assert rules.thresholds(2019, ["520000"])["520000"]["monitoring_line"] == 1.5 * 3747
    assert rules.thresholds(2030, ["130000"])["130000"]["national_line"] == 4000  # the default


def variant(tmp_path: Path, old: str, new: str) -> Path:
    content = BUNDLED.read_text(encoding="utf-8")
    assert old in content
    path = tmp_path / "rules.yaml"
    path.write_text(content.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def problems(path: Path):
    with pytest.raises(SchemeError) as caught:
        load_rules(str(path))
    return [(p.line, p.message) for p in caught.value.problems]


def test_a_monitoring_line_below_one_and_a_half_times_the_national_line_is_refused(tmp_path):
    path = variant(tmp_path, "monitoring_line: 6300", "monitoring_line: 5900")
    ((line, message),) = problems(path)
    assert line == line_of(path, "monitoring_line: 5900")
    assert "5900 is below 1.5 × the national line 4000 (6000)" in message


def test_unknown_names_are_reported_at_their_lines(tmp_path):
    path = variant(
        tmp_path,
        'when: "months_above_line >= stable_months"',
        'when: "months_above >= stable_months"',
    )
    ((line, message),) = problems(path)
    assert line == line_of(path, "months_above >= stable_months")
    assert "unknown name months_above (did you mean months_above_line?)" in message
    path = variant(tmp_path, "year: 2020, national_line: 4000}", "year: 2020, national_lin: 4000}")
    ((line, message),) = problems(path)
    assert line == line_of(path, "national_lin: 4000") and "did you mean national_line" in message


def test_aggregates_are_not_allowed_in_a_condition(tmp_path):
    path = variant(tmp_path, 'when: "guarantees_ok"', 'when: "count(*) > 0"')
    ((line, message),) = problems(path)
    assert line == line_of(path, 'when: "count(*) > 0"') and "may not aggregate" in message


def test_check_command_prints_the_thresholds_of_a_year():
    from typer.testing import CliRunner

    from kaohe.cli import app

    result = CliRunner().invoke(app, ["--lang", "en", "monitor", "check", "--year", "2021"])
    assert result.exit_code == 0, result.output
    assert "520000" in result.output and "6300" in result.output
