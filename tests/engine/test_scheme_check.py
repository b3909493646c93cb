"""Loading and checking schemes: ``kaohe scheme check`` through the real command line.

Each bad scheme is the valid one below with one edit; the expected line is found in the edited
text (the line holding a marker), so the test checks that the message points at the right line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.support.engine import HDI_SCHEME, kaohe_subprocess

from kaohe.errors import SchemeError
from kaohe.scheme import load_scheme
from kaohe.scheme.load import bundled_schemes

VALID = """\
id: county-test
title: 县级测试考核
version: "1"
policy_source: tests
assesses: {kind: region, level: county}
unit_attributes:
  region: {type: text}
  reduction_plan: {type: number}
parameters:
  incidence_line: {value: 0.02, status: confirmed}
  reward_yuan: {value: 1000, status: open}
sources:
  persons:
    columns:
      poor_at_start: boolean
      poor_at_end: boolean
      income: number
measures:
  poor_start: {source: persons, expr: "count(*) filter (where poor_at_start)"}
  poor_end: {source: persons, expr: "count(*) filter (where poor_at_end)"}
  people: {source: persons, expr: "count(*)"}
  mean_income: {source: persons, expr: "avg(income)"}
indicators:
  reduction:
    expr: "(poor_start - poor_end) / nullif(poor_start, 0)"
    target: {column: reduction_plan}
    score: {method: target, cap: 1.0}
  incidence:
    expr: "poor_end / nullif(people, 0)"
    direction: lower
    score: {method: threshold, value: $incidence_line}
  income_level:
    unit_of_measure: yuan
    expr: mean_income
    score: {method: goalposts, min: 1000, max: 20000, log: true}
flags:
  high_incidence: {when: "incidence >= incidence_line"}
tree:
  - {id: results, points: 60, children: [reduction, income_level]}
  - {id: accuracy, points: 40, children: [incidence]}
adjustments:
  items:
    - {id: innovation, kind: bonus, points: 2, when: "region = 'west'"}
vetoes:
  - {id: fabrication, when: "high_incidence", grade: 较差, reason: 弄虚作假}
grading: {method: bands, bands: [[90, 好], [80, 较好], [70, 一般], [null, 较差]]}
outcomes:
  - {when: "grade = '好'", actions: [{commend: {}}, {fiscal_reward: {amount_yuan: $reward_yuan}}]}
"""


def edited(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def line_with(content: str, marker: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(content.splitlines(), start=1) if marker in line]
    return lines[occurrence - 1]


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "scheme.yaml"
    path.write_text(content, encoding="utf-8")
    return path


def test_the_valid_scheme_passes(tmp_path, kaohe):
    run = kaohe("scheme", "check", write(tmp_path, VALID))
    assert run.exit_code == 0, run.stderr
    assert "valid" in run.stdout
    assert "3 indicators, 4 measures, grades 好/较好/一般/较差" in run.stdout


def test_the_hdi_scheme_passes(kaohe):
    run = kaohe("scheme", "check", HDI_SCHEME)
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("name", sorted(bundled_schemes()))
def test_every_bundled_scheme_passes(name, kaohe):
    run = kaohe("scheme", "check", name)
    assert run.exit_code == 0, run.stderr
    by_path = kaohe("scheme", "check", bundled_schemes()[name])
    assert by_path.exit_code == 0, by_path.stderr


def test_bundled_schemes_cite_their_policy_source_and_mark_parameters():
    for name, path in bundled_schemes().items():
        model = load_scheme(str(path)).model
        assert model.id == name, f"{path}: the id should match the file name"
        assert model.policy_source.strip()
        for parameter in model.parameters.values():
            assert parameter.status in {"confirmed", "seed", "open"}


# Each case: the edit (old → new), the marker on the line the message must point at, and what
# the message must say.
CASES = {
    "yaml syntax error": (
        '  people: {source: persons, expr: "count(*)"}',
        "  people: source: persons",
        "people: source",
        "invalid YAML: mapping values are not allowed here",
    ),
    "unknown field": (
        "    direction: lower\n",
        "    direction: lower\n    weigth: 2\n",
        "weigth",
        "unknown field weigth",
    ),
    "unknown field in a tree node": (
        "- {id: accuracy, points: 40",
        "- {id: accuracy, pionts: 40",
        "pionts",
        "unknown field pionts",
    ),
    "missing required field": (
        "    expr: mean_income\n",
        "",
        "  income_level:",
        "missing required field indicators.income_level.expr",
    ),
    "missing required field at the top": (
        "title: 县级测试考核\n",
        "",
        "id: county-test",
        "missing required field title",
    ),
    "unknown name with a suggestion": (
        "(poor_start - poor_end)",
        "(poor_strat - poor_end)",
        "poor_strat",
        "unknown name poor_strat (did you mean poor_start",
    ),
    "unknown function": (
        "avg(income)",
        "averag(income)",
        "averag",
        "unknown function averag (did you mean",
    ),
    "aggregate in an indicator": (
        "expr: mean_income",
        'expr: "sum(mean_income)"',
        "sum(mean_income)",
        "may not aggregate; define a measure",
    ),
    "measure that does not aggregate": (
        'expr: "count(*)"}',
        'expr: "income * 2"}',
        "income * 2",
        "a measure must be an aggregate expression",
    ),
    "nested aggregates": (
        "avg(income)",
        "avg(sum(income))",
        "avg(sum",
        "aggregate functions may not be nested",
    ),
    "expression that does not parse": (
        "avg(income)",
        "avg(income",
        "avg(income",
        "cannot parse the expression",
    ),
    "unknown indicator in the tree": (
        "children: [incidence]",
        "children: [incidense]",
        "incidense",
        "unknown indicator incidense (did you mean incidence",
    ),
    "an indicator twice in the tree": (
        "children: [incidence]",
        "children: [incidence, reduction]",
        "incidence, reduction",
        "indicator reduction appears twice in the tree",
    ),
    "a node named like an indicator": (
        "- {id: accuracy,",
        "- {id: income_level,",
        "- {id: income_level,",
        "the node id income_level is already used in indicators",
    ),
    "a node id used twice": (
        "- {id: accuracy,",
        "- {id: results,",
        "points: 40",
        "the node id results appears twice in the tree",
    ),
    "a node named like a results column": (
        "- {id: accuracy,",
        "- {id: score,",
        "id: score",
        "the node id score is a reserved name",
    ),
    "a node named like the root": (
        "- {id: accuracy,",
        "- {id: total,",
        "id: total",
        "the node id total is reserved for the root of the tree",
    ),
    "children's points not adding up to the node's": (
        "- {id: results, points: 60, children: [reduction, income_level]}",
        "- {id: results, points: 60, children: [{id: r1, points: 30, children: [reduction]},"
        "\n      {id: r2, points: 20, children: [income_level]}]}",
        "id: results",
        "the children's points add up to 50, but the node has 60 points",
    ),
    "veto naming a grade not in the bands": (
        "grade: 较差, reason",
        "grade: 很差, reason",
        "很差",
        "grade 很差 is not one of the bands",
    ),
    "unknown outcome action": (
        "{commend: {}}",
        "{comend: {}}",
        "comend",
        "unknown outcome action comend (did you mean commend?)",
    ),
    "undeclared parameter": (
        "value: $incidence_line}",
        "value: $incidence_lin}",
        "$incidence_lin}",
        "undeclared parameter $incidence_lin (did you mean incidence_line?)",
    ),
    "a $parameter written inside an expression": (
        '"incidence >= incidence_line"',
        '"incidence >= $incidence_line"',
        "high_incidence",
        "inside an expression write the parameter as incidence_line, without $",
    ),
    "unknown field in an indicator's target": (
        "target: {column: reduction_plan}",
        "target: {column: reduction_plan, colum: 1}",
        "colum: 1",
        "unknown field colum",
    ),
    "undeclared source": (
        "mean_income: {source: persons",
        "mean_income: {source: person",
        "mean_income",
        "undeclared source person (did you mean persons?)",
    ),
    "target column not declared": (
        "target: {column: reduction_plan}",
        "target: {column: reduction_pln}",
        "reduction_pln",
        "target column reduction_pln is not declared in unit_attributes",
    ),
    "method target without a target": (
        "    target: {column: reduction_plan}\n",
        "",
        "method: target",
        "method: target needs the indicator to have a target",
    ),
    "a name used twice": (
        "  people: {source",
        "  region: {source",
        "region: {source",
        "the name region is already used in unit_attributes",
    ),
    "goalposts in the wrong order": (
        "min: 1000, max: 20000",
        "min: 30000, max: 20000",
        "min: 30000",
        "goalposts need max > min",
    ),
    "a number that is not a number": (
        "points: 60, children",
        "points: sixty, children",
        "sixty",
        "points",
    ),
    "unknown scoring method": (
        "method: threshold",
        "method: thresh",
        "thresh",
        "thresh",
    ),
    "peer group not declared": (
        "grading: {method: bands,",
        "grading: {method: bands, peer_group: size,",
        "peer_group: size",
        "peer group column size is not declared in unit_attributes",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_bad_scheme_exits_2_with_file_line_and_message(case, tmp_path, kaohe):
    old, new, marker, message = CASES[case]
    content = edited(old, new)
    path = write(tmp_path, content)
    run = kaohe("scheme", "check", path)
    assert run.exit_code == 2, run.stdout
    line = line_with(content, marker)
    problems = [p for p in run.stderr.splitlines() if message in p]
    assert problems, run.stderr
    assert problems[0].removeprefix("error: ").startswith(f"{path}:{line}: "), run.stderr


def test_every_problem_is_reported_at_once(tmp_path, kaohe):
    content = edited("(poor_start - poor_end)", "(poor_strat - poor_end)")
    content = content.replace("{commend: {}}", "{comend: {}}")
    path = write(tmp_path, content)
    run = kaohe("scheme", "check", path)
    assert run.exit_code == 2
    assert f"{path}:{line_with(content, 'poor_strat')}: unknown name poor_strat" in run.stderr
    assert f"{path}:{line_with(content, 'comend')}: unknown outcome action comend" in run.stderr


def test_an_unclosed_bracket_names_where_it_was_opened(tmp_path, kaohe):
    content = edited("  reduction_plan: {type: number}", "  reduction_plan: {type: number")
    run = kaohe("scheme", "check", write(tmp_path, content))
    assert run.exit_code == 2
    assert f"line {line_with(content, 'reduction_plan: {type')}" in run.stderr


def test_messages_are_chinese_by_default(tmp_path, kaohe):
    content = edited("(poor_start - poor_end)", "(poor_strat - poor_end)")
    path = write(tmp_path, content)
    run = kaohe("scheme", "check", path, lang=None)
    assert run.exit_code == 2
    assert f"错误: {path}:{line_with(content, 'poor_strat')}: 未知名称 poor_strat" in run.stderr
    assert "是否想写：poor_start" in run.stderr


def test_lang_option_switches_to_english(tmp_path):
    content = edited("{commend: {}}", "{comend: {}}")
    path = write(tmp_path, content)
    run = kaohe_subprocess("--lang", "en", "scheme", "check", path, env={"KAOHE_LANG": "zh"})
    assert run.returncode == 2
    assert "unknown outcome action comend" in " ".join(run.stderr.split())


def test_an_error_stays_on_one_line_when_stderr_is_piped(tmp_path):
    folder = tmp_path / ("a-long-folder-name-" * 4)
    folder.mkdir()
    content = edited("{commend: {}}", "{comend: {}}")
    path = write(folder, content)
    run = kaohe_subprocess("scheme", "check", path, env={"KAOHE_LANG": "en", "COLUMNS": ""})
    assert run.returncode == 2
    line = line_with(content, "comend")
    expected = f"{path}:{line}: unknown outcome action comend (did you mean commend?)"
    assert expected in run.stderr.splitlines()[0]


def test_a_missing_scheme_file_is_a_usage_error(tmp_path, kaohe):
    run = kaohe("scheme", "check", tmp_path / "nope.yaml")
    assert run.exit_code == 2
    assert "no scheme" in run.stderr
    assert "nope.yaml" in run.stderr


def test_load_scheme_raises_scheme_error_with_problems(tmp_path):
    content = edited("(poor_start - poor_end)", "(poor_strat - poor_end)")
    path = write(tmp_path, content)
    with pytest.raises(SchemeError) as caught:
        load_scheme(str(path))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), line_with(content, "poor_strat"))
    assert re.match(r"unknown name poor_strat", problem.message)


# --------------------------------------------------------------------------- parameters


def test_parameters_are_substituted_and_usable_by_name(tmp_path):
    scheme = load_scheme(str(write(tmp_path, VALID)))
    assert scheme.parameters == {"incidence_line": 0.02, "reward_yuan": 1000}
    assert scheme.model.indicators["incidence"].score.value == 0.02
    assert scheme.model.outcomes[0].actions[1] == {"fiscal_reward": {"amount_yuan": 1000}}
    # in an expression the parameter's name becomes its value
    assert scheme.flags["high_incidence"].sql() == "incidence >= 0.02"
    assert scheme.model.parameters["reward_yuan"].status == "open"


def test_a_parameter_override_changes_every_use(tmp_path):
    scheme = load_scheme(str(write(tmp_path, VALID)), {"incidence_line": 0.03})
    assert scheme.model.indicators["incidence"].score.value == 0.03
    assert scheme.flags["high_incidence"].sql() == "incidence >= 0.03"
    assert scheme.parameters["incidence_line"] == 0.03


def test_an_unknown_parameter_override_is_reported(tmp_path):
    with pytest.raises(SchemeError, match="--param incidence_lin: no such parameter"):
        load_scheme(str(write(tmp_path, VALID)), {"incidence_lin": 0.03})


def test_the_scheme_sha256_is_of_the_file_bytes(tmp_path):
    import hashlib

    path = write(tmp_path, VALID)
    assert load_scheme(str(path)).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
