"""Small real schemes and data directories for the sensitivity and report tests.

Each case writes a scheme YAML, ``units.csv`` and source CSVs under a temporary directory and
runs the real ``kaohe assess`` over them; nothing is mocked.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner

from kaohe.cli import app

# An assessment of provinces with two figures and one field-checked rate: the rate is estimated
# from a sample (k wrong of n checked), scored by a table and capped by a veto at 2 %.
RATE_SCHEME = """\
id: sensitivity-test
title: 敏感性测试办法
title_en: Sensitivity test scheme
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
sources:
  checks:
    columns: {wrong: boolean}
  figures:
    columns: {output: number, quality: number}
measures:
  checked: {source: checks, expr: "count(*)"}
  wrong: {source: checks, expr: "count(*) filter (where wrong)"}
  output: {source: figures, expr: "max(output)"}
  quality: {source: figures, expr: "max(quality)"}
indicators:
  output_index:
    label: 产出
    label_en: Output
    expr: output
    score: {method: goalposts, min: 0, max: 100}
    points: 50
  quality_index:
    label: 质量
    label_en: Quality
    expr: quality
    score: {method: goalposts, min: 0, max: 100}
    points: 30
  wrong_rate:
    label: 错退率
    label_en: Wrong-exit rate
    expr: "wrong / nullif(checked, 0)"
    direction: lower
    estimated: true
    score: {method: table, rows: [[null, 0.02, 1.0], [0.02, null, 0.0]]}
    points: 20
flags:
  wrong_over: {label: 错退率超标, when: "wrong_rate >= 0.02"}
tree:
  - {id: results, label: 成效, label_en: Results, points: 80, children: [output_index, quality_index]}
  - {id: accuracy, label: 精准, label_en: Accuracy, points: 20, children: [wrong_rate]}
vetoes:
  - {id: wrong_exit, when: "wrong_over", grade_at_most: 一般, reason: 错退率超过 2%}
grading:
  method: bands
  bands: [[85, 好], [60, 一般], [null, 差]]
  labels_en: {好: good, 一般: average, 差: poor}
outcomes:
  - when: "grade = '差'"
    actions:
      - rectify: {days: 60}
"""


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["true" if v is True else "false" if v is False else v for v in row])


def write_rate_case(
    root: Path,
    provinces: Sequence[tuple[str, str, float, float, int, int]],
    scheme: str = RATE_SCHEME,
) -> tuple[Path, Path]:
    """``provinces``: (code, name, output, quality, wrong, checked). Returns (scheme, data dir)."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    scheme_path = root / "scheme.yaml"
    scheme_path.write_text(scheme, encoding="utf-8")
    units = [("000000", "全国", "", "nation", "region")]
    units += [(code, name, "000000", "province", "region") for code, name, *_ in provinces]
    write_csv(data / "units.csv", ["unit", "name", "parent", "level", "kind"], units)
    write_csv(
        data / "figures.csv",
        ["unit", "output", "quality"],
        [(code, output, quality) for code, _, output, quality, _, _ in provinces],
    )
    checks = []
    for code, _, _, _, wrong, checked in provinces:
        checks += [(code, i < wrong) for i in range(checked)]
    write_csv(data / "checks.csv", ["unit", "wrong"], checks)
    return scheme_path, data


def run_cli(*args: str) -> tuple[int, str]:
    """The real command line in-process; output and errors together (language: KAOHE_LANG)."""
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def assess_case(root: Path, provinces, scheme: str = RATE_SCHEME) -> Path:
    scheme_path, data = write_rate_case(root, provinces, scheme)
    out = root / "run"
    code, output = run_cli(
        "assess", "--scheme", str(scheme_path), "--data", str(data), "--out", str(out)
    )
    assert code == 0, output
    return out
