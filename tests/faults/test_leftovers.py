"""What a killed command leaves is cleared by the next one on the same store or OUT — only what a
gone process left, never a running one's — and writers of one OUT take turns (issue 14)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from tests.faults.conftest import leftovers
from tests.faults.test_kills import complete_run

from kaohe import staging
from kaohe.data import source_files
from kaohe.data.snapshots import SCRATCH, Store
from kaohe.run import record
from kaohe.run.assess import _spill_folder
from kaohe.run.record import recover_output, staged_directory, write_manifest


def gone_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def running():
    """A process that is still running while the test looks at its staging."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def marked(pid: int, host: str | None = None) -> str:
    return f"p{pid}h{host or staging._HOST}"


def write_run(out, content: str) -> None:
    with staged_directory(out) as folder:
        (folder / "results.csv").write_text(content, encoding="utf-8")
        write_manifest(folder, dt.datetime(2020, 1, 1))


def test_a_run_moved_aside_with_no_out_is_moved_back_first(tmp_path):
    """Killed between the two renames of a replacement (where no atomic swap exists)."""
    out = tmp_path / "out"
    write_run(out, "earlier\n")
    earlier = complete_run(out)
    out.rename(tmp_path / f".out.old-{marked(gone_pid())}-0a1b2c3d")
    recover_output(out)  # what `assess`, `check_output_directory` … do first
    assert complete_run(out) == earlier
    assert leftovers(tmp_path) == []


def test_without_an_atomic_swap_out_is_replaced_by_two_renames(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "exchange", lambda first, second: False)
    out = tmp_path / "out"
    write_run(out, "earlier\n")
    write_run(out, "later\n")
    assert (out / "results.csv").read_text(encoding="utf-8") == "later\n"
    assert leftovers(tmp_path) == []


def test_a_running_processs_staging_is_kept_a_gone_ones_deleted(tmp_path, running):
    out = tmp_path / "out"
    write_run(out, "earlier\n")
    alive = tmp_path / f".out.tmp-{marked(running)}-00000001"
    dead = tmp_path / f".out.tmp-{marked(gone_pid())}-00000002"
    elsewhere = tmp_path / f".out.tmp-{marked(1, 'abcdef')}-00000003"  # another machine's
    for folder in (alive, dead, elsewhere):
        folder.mkdir()
    write_run(out, "later\n")
    assert alive.is_dir() and elsewhere.is_dir() and not dead.exists()
    hours_ago = time.time() - staging.GRACE - 3600
    os.utime(elsewhere, (hours_ago, hours_ago))
    write_run(out, "later still\n")
    assert alive.is_dir() and not elsewhere.exists()


def test_two_runs_racing_on_one_out_end_one_after_the_other(tmp_path):
    out = tmp_path / "out"
    first_inside = threading.Event()
    errors = []

    def slow() -> None:
        try:
            with staged_directory(out) as folder:
                first_inside.set()
                time.sleep(0.3)  # the other run arrives now and must wait
                (folder / "results.csv").write_text("slow\n", encoding="utf-8")
                write_manifest(folder, dt.datetime(2020, 1, 1))
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    thread = threading.Thread(target=slow)
    thread.start()
    first_inside.wait(10)
    write_run(out, "fast\n")  # waits for the slow run's turn to end, then replaces it
    thread.join(10)
    assert errors == []  # both succeeded
    complete_run(out)
    # had the second not waited, its run would have been replaced by the slow one's
    assert (out / "results.csv").read_text(encoding="utf-8") == "fast\n"
    assert leftovers(tmp_path) == []


def test_an_imports_scratch_is_cleared_only_when_its_process_is_gone(tmp_path, running):
    store = Store(tmp_path / "store")
    base = store.root / SCRATCH
    alive, dead = base / f"import-{marked(running)}-x1", base / f"import-{marked(gone_pid())}-x2"
    old_style = base / "tmpab12cd34"  # an import before issue 14: no owner in its name
    for folder in (alive, dead, old_style):
        folder.mkdir(parents=True)
        (folder / "snapshot.parquet").write_bytes(b"0" * 1000)
    assert store.snapshots() == []  # any command that opens the store
    assert alive.is_dir() and old_style.is_dir() and not dead.exists()
    with store.scratch() as scratch:
        assert scratch.name.startswith(f"import-{staging.owner()}-")


def test_reading_and_spill_folders_of_killed_processes_are_cleared(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(source_files, "_SCRATCH", None)
    dead = marked(gone_pid())
    read, spill = tmp_path / f"kaohe-read-{dead}-ab", tmp_path / f"kaohe-spill-{dead}-cd"
    read.mkdir()
    spill.mkdir()
    scratch = source_files._scratch()  # the first copy a process makes
    assert scratch.name.startswith(f"kaohe-read-{staging.owner()}-") and not read.exists()
    with _spill_folder() as folder:
        assert folder.startswith(str(tmp_path / f"kaohe-spill-{staging.owner()}-"))
    assert not spill.exists()
