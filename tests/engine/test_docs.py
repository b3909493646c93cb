"""docs/schemes.md stays true: its complete example runs and gives the table the page shows."""

from __future__ import annotations

import csv
import io
import re

from tests.support.engine import REPO

from kaohe.scheme import load_scheme
from kaohe.scheme.actions import ACTIONS

PAGE = REPO / "docs" / "schemes.md"
BLOCK = re.compile(r"<!-- (file|output): (\S+)(?: \(([^)]*)\))? -->\n```\w*\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str, str]]:
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_complete_example_runs_and_gives_the_documented_results(tmp_path, kaohe):
    found = blocks()
    files = [(name, content) for kind, name, _, content in found if kind == "file"]
    assert [name for name, _ in files] == [
        "scheme.yaml",
        "data/units.csv",
        "data/persons.csv",
        "data/field_checks.csv",
    ]
    for name, content in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    check = kaohe("scheme", "check", tmp_path / "scheme.yaml")
    assert check.exit_code == 0, check.stderr
    run = kaohe(
        "assess", "--scheme", tmp_path / "scheme.yaml", "--data", tmp_path / "data",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    ((_, name, columns, shown),) = [b for b in found if b[0] == "output"]
    assert name == "out/results.csv"
    wanted = columns.split(",")
    with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(wanted)
    for row in rows:
        writer.writerow([row[c] for c in wanted])
    assert buffer.getvalue() == shown


def test_every_action_kind_is_documented():
    page = PAGE.read_text(encoding="utf-8")
    for kind, names in ACTIONS.items():
        assert f"| `{kind}` | {names.zh} |" in page, kind


def test_the_hdi_excerpt_matches_the_example_file():
    # the page's excerpt leaves out labels; its rules must be those of the real file
    page = PAGE.read_text(encoding="utf-8")
    real = load_scheme(str(REPO / "examples" / "hdi" / "scheme.yaml")).model
    for name, indicator in real.indicators.items():
        rule = indicator.score
        if rule.method == "goalposts":
            log = ", log: true" if rule.log else ""
            assert f"min: {rule.min:g}, max: {rule.max:g}{log}}}" in page, name
    assert "aggregate: geometric" in page and "scale: 1" in page
