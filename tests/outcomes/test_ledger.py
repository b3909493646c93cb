"""The append-only ledger (outcomes/ledger.py): chained lines, refused events, concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kaohe.errors import DataError, UsageError
from kaohe.outcomes.ledger import Ledger


def open_item(ident: str, deadline: str = "2020-05-30") -> tuple[str, dict]:
    return (
        "item_opened",
        {"id": ident, "kind": "finding", "unit": "130000", "title": "问题", "deadline": deadline},
    )


def test_events_are_chained_and_the_state_is_their_fold(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-1"), open_item("f-2")], actor="a", at="2020-03-01T09:00:00+08:00")
    ledger.append([("evidence_submitted", {"item": "f-1", "evidence": ["x"]})], actor="b")
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev"] == "" and events[1]["prev"] != events[2]["prev"]
    assert ledger.verify() == 3
    assert ledger.state().items["f-1"].status == "submitted"


def test_a_refused_event_writes_nothing(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-1")], actor="a")
    before = (tmp_path / "events.jsonl").read_bytes()
    with pytest.raises(UsageError) as caught:
        ledger.append(
            [("evidence_submitted", {"item": "f-1"}), ("marked_overdue", {"item": "f-1"})],
            actor="a",
        )  # the second is not allowed after the first: neither is written
    assert "cannot take marked_overdue" in str(caught.value)
    assert (tmp_path / "events.jsonl").read_bytes() == before


def test_an_edited_line_is_detected(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-1"), open_item("f-2"), open_item("f-3")], actor="a")
    path = tmp_path / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2020-05-30", "2021-05-30")  # someone moves a deadline
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        ledger.verify()
    assert "events.jsonl:3" in str(caught.value)  # the line after the edit no longer chains


def test_a_broken_line_is_reported_with_its_number(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-1")], actor="a")
    with (tmp_path / "events.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(DataError) as caught:
        ledger.state()
    assert "events.jsonl:2" in str(caught.value)


WRITER = """
import sys
from kaohe.outcomes.ledger import Ledger
directory, start = sys.argv[1], int(sys.argv[2])
ledger = Ledger(directory)
for i in range(start, start + 15):
    ledger.append([("item_opened", {"id": f"f-{i}", "kind": "finding", "unit": "130000",
                                    "title": "问题", "deadline": "2020-05-30"})], actor=f"p{start}")
"""


def test_concurrent_writers_keep_the_chain(tmp_path):
    """Three processes append at once (as the command line and the web platform may)."""
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(start)])
        for start in (0, 100, 200)
    ]
    assert [worker.wait(120) for worker in workers] == [0, 0, 0]
    ledger = Ledger(tmp_path)
    assert ledger.verify() == 45
    assert len(ledger.state().items) == 45
