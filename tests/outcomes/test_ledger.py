"""The append-only ledger (outcomes/ledger.py): chained lines, refused events, concurrent writers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kaohe.cli import app
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


# ---------------------------------------------------------------- crashes and full disks (issue 14)


def _two_events(tmp_path) -> tuple[Ledger, bytes]:
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-1"), open_item("f-2")], actor="a")
    return ledger, (tmp_path / "events.jsonl").read_bytes()


def test_a_torn_tail_is_cut_back_to_the_last_good_line_with_a_notice(tmp_path):
    """A write stopped half-way (a crash, 0 bytes free) leaves a line without its newline, here
    cut in the middle of a character; the next command cuts it away and says so."""
    ledger, before = _two_events(tmp_path)
    path = tmp_path / "events.jsonl"
    with path.open("ab") as handle:
        handle.write('{"seq":3,"title":"问'.encode()[:-1])
    assert ledger.verify() == 2  # readers never take the torn tail for an event
    notices = Ledger(tmp_path).recover()
    assert len(notices) == 1 and "events.jsonl" in notices[0] and "cut" in notices[0]
    assert path.read_bytes() == before
    assert Ledger(tmp_path).recover() == []  # nothing left to recover
    ledger.append([open_item("f-3")], actor="a")
    assert ledger.verify() == 3


def test_a_broken_line_in_the_middle_stays_an_integrity_error(tmp_path):
    ledger, _ = _two_events(tmp_path)
    path = tmp_path / "events.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[0] = lines[0][:20] + b"\xe9\x97"  # cut mid-character, then the next line follows
    path.write_bytes(b"\n".join(lines))
    assert ledger.recover() == []  # only an incomplete last line is a crash's remains
    with pytest.raises(DataError) as caught:
        ledger.verify()
    assert "events.jsonl:1" in str(caught.value)
    with pytest.raises(DataError):
        ledger.append([open_item("f-3")], actor="a")


KILLED_APPEND = """
import sys
from kaohe.outcomes.ledger import Ledger
ledger = Ledger(sys.argv[1])
ledger.append([("item_opened", {"id": f"g-{i}", "kind": "finding", "unit": "130000",
                                "title": "问题" * 40, "deadline": "2020-05-30"})
               for i in range(20)], actor="killed")
"""


@pytest.mark.parametrize(
    "point", ["ledger.journal-written", "ledger.half-appended", "ledger.appended"]
)
def test_a_batch_killed_half_way_is_rolled_back_whole(tmp_path, point):
    """kill -9 at each step of an append: the next command finds the ledger as it was before
    the batch — never half of it, even when the half ends on a complete line."""
    _, before = _two_events(tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_APPEND, str(tmp_path)],
        env={**os.environ, "KAOHE_FAULT_AT": point},
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL
    assert Ledger(tmp_path).verify() == 2  # readers see the ledger as it was, before recovery
    notices = Ledger(tmp_path).recover()
    assert (tmp_path / "events.jsonl").read_bytes() == before
    assert bool(notices) == (point != "ledger.journal-written")  # nothing written: nothing to say
    ledger = Ledger(tmp_path)
    ledger.append([open_item("f-3")], actor="a")
    assert ledger.verify() == 3


def test_check_on_a_missing_ledger_is_an_error(tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["outcomes", "check", "--ledger", str(tmp_path / "none")])
    assert result.exit_code == 2, result.output
    assert "does not exist" in " ".join(result.output.split())


def test_the_command_line_recovers_a_torn_tail_and_says_so(tmp_path):
    _, before = _two_events(tmp_path)
    with (tmp_path / "events.jsonl").open("ab") as handle:
        handle.write(b'{"seq":3,"at":"20')
    result = CliRunner().invoke(app, ["outcomes", "check", "--ledger", str(tmp_path)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "cut" in flat and "the ledger is intact: 2 events" in flat
    assert (tmp_path / "events.jsonl").read_bytes() == before
