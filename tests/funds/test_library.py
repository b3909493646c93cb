"""The project library: append-only, hash-chained, batches all or nothing, no silent overwrite."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.funds import (
    project,
    submission,
    targets,
    write_csv,
)

from kaohe.errors import DataError, UsageError
from kaohe.funds.gate import check_submission, load_gate_rules, read_submission
from kaohe.funds.library import ADJUST_COLUMNS, ADJUST_REQUIRED, Library, adjust, admit
from kaohe.funds.tables import read_table


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


def admit_files(library, root, projects, target_rows):
    files = submission(root, projects, target_rows)
    checked = check_submission(*read_submission(*files), load_gate_rules().model)
    return admit(library, checked, at="2019-01-10T00:00:00+08:00")


def test_admitted_projects_are_in_the_state_and_rejections_are_logged(tmp_path):
    library = Library.open(tmp_path / "lib", create=True)
    result = admit_files(
        library, tmp_path, [project("P1"), project("P2")], targets("P1") + targets("P2", ["C1"])
    )
    assert result.admitted == ["P1"] and list(result.rejected) == ["P2"]
    state = library.state()
    assert list(state.projects) == ["P1"]
    assert state.rejections["P2"][0].endswith(
        "too few quantified cost indicator: at least 1 needed (cost), found 0"
    )
    kinds = [e.kind for e in library.events()]
    assert kinds == ["project_admitted", "project_rejected"]


def test_the_same_file_twice_changes_nothing_and_a_changed_project_is_not_overwritten(tmp_path):
    library = Library.open(tmp_path / "lib", create=True)
    admit_files(library, tmp_path, [project("P1")], targets("P1"))
    again = admit_files(library, tmp_path, [project("P1")], targets("P1"))
    assert again.unchanged == ["P1"] and not again.admitted and not again.rejected
    changed = admit_files(library, tmp_path, [project("P1", budget=250)], targets("P1"))
    assert "already in the library with other content" in changed.rejected["P1"][0]
    assert library.state().projects["P1"].budget == 100.0


def test_an_edited_line_breaks_the_chain_and_is_reported_with_its_line(tmp_path):
    library = Library.open(tmp_path / "lib", create=True)
    admit_files(library, tmp_path, [project("P1"), project("P2")], targets("P1") + targets("P2"))
    lines = library.path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["data"]["project"]["budget"] = 999.0
    lines[0] = json.dumps(record, ensure_ascii=False, sort_keys=True)
    library.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"events.jsonl:line 2: the hash chain is broken"):
        Library.open(tmp_path / "lib").state()


def test_a_torn_batch_never_counts_and_is_trimmed_before_the_next_append(tmp_path):
    library = Library.open(tmp_path / "lib", create=True)
    admit_files(library, tmp_path, [project("P1")], targets("P1"))
    intact = library.path.read_bytes()
    other = Library.open(tmp_path / "other", create=True)
    admit_files(other, tmp_path, [project("P2"), project("P3")], targets("P2") + targets("P3"))
    # a crash after the first line of a two-event batch, and half of the second
    second_batch = [
        json.loads(line) for line in other.path.read_text(encoding="utf-8").splitlines()
    ]
    fresh = Library.open(tmp_path / "lib")
    fresh.append(
        [
            ("project_admitted", second_batch[0]["data"]),
            ("project_admitted", second_batch[1]["data"]),
        ]
    )
    full = fresh.path.read_bytes()
    first_line_end = full.index(b"\n", len(intact)) + 1
    fresh.path.write_bytes(full[: first_line_end + 40])
    reread = Library.open(tmp_path / "lib")
    assert list(reread.state().projects) == ["P1"]
    admit_files(reread, tmp_path / "again", [project("P4")], targets("P4"))
    assert list(Library.open(tmp_path / "lib").state().projects) == ["P1", "P4"]
    assert reread.path.read_bytes().startswith(intact)


def test_adjustments_are_all_or_nothing_and_keep_the_original(tmp_path):
    library = Library.open(tmp_path / "lib", create=True)
    admit_files(library, tmp_path, [project("P1")], targets("P1"))
    bad = write_csv(
        tmp_path / "adjust.csv",
        ["project_id", "indicator_id", "target", "reason"],
        [["P1", "C1", 1.4, "变更批复"], ["P1", "X9", 2, "变更批复"], ["P7", "C1", 1, "x"]],
    )
    with pytest.raises(DataError) as error:
        adjust(library, read_table(bad, ADJUST_COLUMNS, ADJUST_REQUIRED))
    assert str(error.value).splitlines() == [
        "adjust.csv:line 3, column indicator_id: project P1 has no indicator 'X9' "
        "(it has Q1, C1, B1, S1)",
        "adjust.csv:line 4, column project_id: project 'P7' is not in the library",
    ]
    assert library.state().adjustments == {}
    good = write_csv(
        tmp_path / "adjust.csv",
        ["project_id", "indicator_id", "target", "reason"],
        [["P1", "C1", 1.4, "实施方案调整，县领导小组批复"]],
    )
    assert adjust(library, read_table(good, ADJUST_COLUMNS, ADJUST_REQUIRED)) == [("P1", "C1")]
    state = library.state()
    assert state.projects["P1"].target("C1").value == 1.4
    assert state.original["P1"].target("C1").value == 1.0
    (record,) = state.adjustments["P1"]
    assert (record.old["value"], record.new["value"]) == (1.0, 1.4)


def test_opening_a_directory_that_is_not_a_library(tmp_path):
    with pytest.raises(UsageError, match="is not a project library"):
        Library.open(tmp_path / "nowhere")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6))
def test_the_incremental_state_equals_a_fresh_fold(tmp_path_factory, batches):
    """However the log grows, the state one library object builds step by step equals the state
    read from scratch, and states handed out earlier do not change."""
    root = tmp_path_factory.mktemp("lib")
    library = Library.open(root, create=True)
    seen = []
    n = 0
    for size in batches:
        items = []
        for _ in range(size):
            n += 1
            items.append(
                (
                    "progress_reported",
                    {"project_id": "P1", "as_of": f"2019-01-{1 + n % 28:02d}", "values": {"x": n}},
                )
            )
        library.append(items)
        state = library.state()
        seen.append((state, n, len(state.reports["P1"])))
    fresh = Library.open(root).state()
    assert fresh.reports == library.state().reports
    for state, count, dates in seen:
        assert state.events == count
        assert len(state.reports["P1"]) == dates
