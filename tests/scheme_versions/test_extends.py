"""Local schemes (scheme/extends.py): merge rules, the effective scheme, errors at their lines."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.scheme_versions import BUNDLED, EXAMPLE, kaohe, line_of_text, write

from kaohe.errors import SchemeError
from kaohe.scheme import load_scheme
from kaohe.scheme.load import show_scheme

PROVINCIAL = BUNDLED / "provincial-effectiveness-2016.yaml"


def problems_of(path: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(SchemeError) as caught:
        load_scheme(str(path))
    return [(Path(p.file).name, p.line, p.message) for p in caught.value.problems]


# --------------------------------------------------------------------------- the example


def test_example_local_scheme_overrides_only_what_it_writes():
    base = load_scheme("provincial-effectiveness-2016")
    local = load_scheme(str(EXAMPLE))
    model = local.model
    assert model.id == "county-effectiveness-example"
    assert model.assesses.level == "county"
    # parameters: shorthand values, full mappings, a removed one
    assert local.parameters["cut_good"] == 92
    assert model.parameters["cut_good"].status == "open"  # kept from the base
    assert model.parameters["cut_good"].label == base.model.parameters["cut_good"].label
    assert "points_funds" not in model.parameters
    assert model.grading.bands == [(92, "好"), (85, "较好"), (75, "一般"), (None, "较差")]
    # the funds node and its indicator, source and measure are gone; points moved; 政策落实
    # (issue 15) is inherited with its 15 points, and 精准帮扶 with the base's 20
    assert [node.id for node in local.tree.dimensions] == [
        "reduction",
        "identification",
        "assistance",
        "implementation",
    ]
    assert [round(node.points, 6) for node in local.tree.dimensions] == [35, 30, 20, 15]
    assert "fund_performance" not in model.indicators
    assert "fund_evaluation" not in model.sources
    # an indicator field replaced, another merged, the rest untouched
    assert model.indicators["poverty_reduction"].target == 0.30
    assert model.indicators["recognition"].weight == 14
    assert model.indicators["recognition"].expr == base.model.indicators["recognition"].expr
    # vetoes merge by id: the base's two kept, one appended
    assert [v.id for v in model.vetoes] == ["fabrication", "three_rates", "prohibition"]
    # outcomes are inherited whole; their amounts follow the overridden parameters
    rewards = [a for o in model.outcomes for a in o.actions if "fiscal_reward" in a]
    assert rewards == [{"fiscal_reward": {"amount_yuan": 5000000}}]


def test_show_prints_an_effective_scheme_that_loads_on_its_own(tmp_path):
    result = kaohe("scheme", "show", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "extends" not in [line.split(":")[0] for line in result.output.splitlines()]
    assert f"← {EXAMPLE}:" in result.output  # overridden values name their line
    standalone = write(tmp_path / "effective.yaml", result.output)
    again = load_scheme(str(standalone))
    assert again.model == load_scheme(str(EXAMPLE)).model
    assert again.sha256 == load_scheme(str(EXAMPLE)).sha256  # the sha is the effective text's


def test_show_of_a_scheme_without_extends_is_the_file_itself():
    assert show_scheme("provincial-effectiveness-2016") == PROVINCIAL.read_text(encoding="utf-8")


def test_the_manifest_names_the_local_file_and_the_effective_scheme_hash():
    local = load_scheme(str(EXAMPLE))
    assert local.file == str(EXAMPLE)
    assert local.sha256 != load_scheme("provincial-effectiveness-2016").sha256


# --------------------------------------------------------------------------- merge rules


def local(tmp_path: Path, body: str, name: str = "local.yaml") -> Path:
    return write(
        tmp_path / name,
        f"""
        extends: provincial-effectiveness-2016
        id: local-test
        {body}
        """,
    )


def test_null_removes_a_key_and_is_ignored_for_a_key_the_base_lacks(tmp_path):
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        flags:
          incidence_over: null
          no_such_flag: null
        """,
    )
    loaded = load_scheme(str(path))
    assert "incidence_over" not in loaded.model.flags
    assert set(loaded.model.flags) == {
        "wrong_exit_over",
        "omission_over",
        "recognition_low",
        "three_rates_failed_by_interval",
        "suspected_paper_exits",
    }


def test_lists_without_ids_are_replaced_whole(tmp_path):
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        indicators:
          wrong_exit_rate:
            score: {method: table, rows: [[null, 0.02, 1.0], [0.02, null, 0.0]]}
        outcomes:
          - when: "grade = '好'"
            actions: [{commend: {}}]
        """,
    )
    model = load_scheme(str(path)).model
    assert model.indicators["wrong_exit_rate"].score.rows == [(None, 0.02, 1.0), (0.02, None, 0.0)]
    assert len(model.outcomes) == 1


def test_tree_nodes_merge_by_id_and_new_nodes_are_appended(tmp_path):
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        parameters: {points_reduction: 20}
        indicators:
          county_exit: null
          consolidation:
            label: 巩固成效
            expr: "1 - poor_end / nullif(poor_start, 0)"
            score: {method: goalposts, min: 0, max: 1}
        tree:
          - {id: reduction, children: [poverty_reduction, income_growth]}
          - {id: consolidation_node, label: 巩固, points: 10, children: [consolidation]}
        """,
    )
    loaded = load_scheme(str(path))
    ids = [node.id for node in loaded.tree.dimensions]
    assert ids == [
        "reduction",
        "identification",
        "assistance",
        "implementation",
        "funds",
        "consolidation_node",
    ]
    reduction = loaded.tree.dimensions[0]
    assert [child.id for child in reduction.children] == ["poverty_reduction", "income_growth"]
    assert reduction.points == 20  # the base's $points_reduction, with the local value
    assert loaded.tree.points == 105  # 20 + 20 + 20 + 15 + 20 + 10 (政策落实 since issue 15)


def test_a_local_scheme_may_extend_another_local_scheme(tmp_path):
    write(
        tmp_path / "city.yaml",
        """
        extends: provincial-effectiveness-2016
        id: city
        parameters: {cut_good: 85, cut_average: 65}
        """,
    )
    county = write(
        tmp_path / "sub" / "county.yaml",
        """
        extends: ../city.yaml
        id: county
        parameters: {cut_good: 88}
        """,
    )
    loaded = load_scheme(str(county))
    assert (loaded.parameters["cut_good"], loaded.parameters["cut_average"]) == (88, 65)
    shown = show_scheme(str(county))
    assert str(county) in shown.splitlines()[1] and "city.yaml" in shown.splitlines()[1]


# --------------------------------------------------------------------------- errors


def test_an_error_in_the_local_file_is_reported_at_its_line(tmp_path):
    invalid = write(
        tmp_path / "invalid.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        indicators:
          recognition:
            weight: -3
        """,
    )
    ((file, line, message),) = problems_of(invalid)
    assert (file, line) == ("invalid.yaml", 5) and "must be > 0" in message
    unknown = write(
        tmp_path / "unknown.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        indicators:
          recognition:
            weight: 3
          income_growth:
            expr: "rural_incom / nullif(rural_income_last, 0)"
        """,
    )
    ((file, line, message),) = problems_of(unknown)
    assert (file, line) == ("unknown.yaml", 7) and "unknown name rural_incom" in message


def test_an_error_caused_in_the_base_is_reported_in_the_base_file(tmp_path):
    # removing the indicator breaks the base's tree, which still lists it as a child
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        indicators:
          fund_performance: null
        """,
    )
    ((file, line, message),) = problems_of(path)
    assert file == PROVINCIAL.name
    assert line == line_of_text(PROVINCIAL, "children: [fund_performance, integration_use")
    assert "unknown indicator fund_performance" in message


def test_an_error_in_a_middle_file_is_reported_there(tmp_path):
    city = write(
        tmp_path / "city.yaml",
        """
        extends: provincial-effectiveness-2016
        id: city
        vetoes:
          - {id: fabrication, grade: 很差}
        """,
    )
    county = write(
        tmp_path / "county.yaml",
        """
        extends: city.yaml
        id: county
        parameters: {cut_good: 88}
        """,
    )
    ((file, line, message),) = problems_of(county)
    assert (file, line) == (city.name, 4)
    assert "很差" in message


def test_extends_errors_name_the_line_of_extends(tmp_path):
    missing_id = write(tmp_path / "a.yaml", "title: x\nextends: provincial-effectiveness-2016\n")
    assert problems_of(missing_id)[0][:2] == ("a.yaml", 2)
    assert "its own id" in problems_of(missing_id)[0][2]
    unknown = write(tmp_path / "b.yaml", "id: b\nextends: provincial-effectivenes-2016\n")
    ((_, line, message),) = problems_of(unknown)
    assert line == 2 and "did you mean provincial-effectiveness-2016" in message
    write(tmp_path / "c.yaml", "id: c\nextends: d.yaml\n")
    loop = write(tmp_path / "d.yaml", "id: d\nextends: c.yaml\n")
    assert "circle" in problems_of(loop)[0][2]


def test_removing_an_item_that_does_not_exist_is_an_error(tmp_path):
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        vetoes:
          - {id: fabrication, grade: 一般}
          - {id: nothing_here, remove: true}
        """,
    )
    ((file, line, message),) = problems_of(path)
    assert (file, line) == ("l.yaml", 5)
    assert "no item with id nothing_here" in message


def test_check_command_reports_local_errors_with_exit_code_2(tmp_path):
    path = write(
        tmp_path / "l.yaml",
        """
        extends: provincial-effectiveness-2016
        id: local-test
        grading:
          bands: [[90, 好], [80, 好], [null, 较差]]
        """,
    )
    result = kaohe("scheme", "check", str(path))
    assert result.exit_code == 2
    assert f"{path}:4" in result.output.replace("\n", "")


# --------------------------------------------------------------------------- properties


@functools.cache
def _bundled_base():
    """The base scheme, loaded once for every example (it does not change between them)."""
    return load_scheme("provincial-effectiveness-2016")


PARAMETERS = ["cut_good", "cut_fairly_good", "cut_average", "rectify_days", "misuse_deduction"]
INDICATORS = ["poverty_reduction", "county_exit", "income_growth", "wrong_exit_rate", "recognition"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(st.sampled_from(PARAMETERS), st.integers(1, 200), min_size=1),
    broken=st.sets(st.sampled_from(INDICATORS), max_size=3),
)
def test_overrides_take_effect_and_errors_keep_their_lines(tmp_path_factory, values, broken):
    """Every overridden parameter takes the local value, every other keeps the base's; every
    broken expression is reported at the local line where it was written, and nowhere else."""
    folder = tmp_path_factory.mktemp("prop")
    lines = ["extends: provincial-effectiveness-2016", "id: prop", "parameters:"]
    lines += [f"  {name}: {value}" for name, value in values.items()]
    expected = set()
    if broken:
        lines.append("indicators:")
        for name in sorted(broken):
            lines.append(f"  {name}:")
            lines.append("    expr: no_such_measure + 1")
            expected.add(len(lines))
    path = write(folder / "p.yaml", "\n".join(lines) + "\n")
    if broken:
        found = problems_of(path)
        assert {(f, line) for f, line, _ in found} == {("p.yaml", line) for line in expected}
        return
    loaded = load_scheme(str(path))
    base = _bundled_base()
    for name, value in base.parameters.items():
        assert loaded.parameters[name] == values.get(name, value)
