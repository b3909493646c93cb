"""A full file system (a small tmpfs, filled): every write that fails says so in one line naming
the path and the space, exits 2, and leaves nothing half-written — the ledger, the store and OUT
as they were, no staging behind (issue 14)."""

from __future__ import annotations

import errno
import tempfile

import pytest
import typer
from tests.faults.conftest import HDI, SCHEME, UNITS, leftovers
from tests.faults.test_kills import complete_run
from tests.support.cli import Kaohe
from typer.testing import CliRunner

from kaohe.cli.app import user_errors
from kaohe.data import source_files
from kaohe.data.snapshots import Store
from kaohe.disk_space import writing
from kaohe.errors import WriteError
from kaohe.outcomes.ledger import Ledger

kaohe = Kaohe()


def one_line(run) -> str:
    return " ".join(run.stderr.split())


def test_a_full_disk_leaves_the_ledger_unchanged(small_disk):
    ledger = Ledger(small_disk.root / "ledger")
    ledger.append(
        [
            ("item_opened", {"id": f"f-{i}", "kind": "finding", "unit": "130000",
                             "title": "问题" * 30, "deadline": "2020-05-30"})
            for i in range(6)
        ],
        actor="a",
    )  # fmt: skip
    before = ledger.path.read_bytes()
    small_disk.fill(leave=0)  # the ledger's last page has room for part of the batch, no more
    swept = kaohe("outcomes", "sweep", "--ledger", ledger.directory, "--as-of", "2021-01-01")
    assert swept.exit_code == 2
    assert "disk full: writing" in one_line(swept) and "events.jsonl" in one_line(swept)
    assert ledger.path.read_bytes() == before
    assert not (ledger.directory / ".append").exists()
    assert kaohe("outcomes", "check", "--ledger", ledger.directory).exit_code == 0
    small_disk.free()
    swept = kaohe("outcomes", "sweep", "--ledger", ledger.directory, "--as-of", "2021-01-01")
    assert swept.exit_code == 0, swept.stderr
    assert Ledger(ledger.directory).verify() == 12


def _gb18030_units(path, rows: int) -> None:
    lines = ["unit,name,parent,level,kind"]
    lines += [
        f"U{i:06d},第{i}个考核对象名称较长一些以便转码需要空间,,country,country"
        for i in range(rows)
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))


def test_transcoding_into_a_full_store_says_how_much_room_it_needs(tmp_path, small_disk):
    source = tmp_path / "units.csv"
    _gb18030_units(source, 6000)
    store = small_disk.root / "store"
    small_disk.fill(leave=64 * 1024)
    done = kaohe("import", "units", source, "--store", store)
    assert done.exit_code == 2, done.stdout
    said = one_line(done)
    assert said.startswith("error: disk full: writing") and ".utf8.csv" in said
    assert "it needs about" in said and "MB are free" in said
    assert "Traceback" not in said and "cannot be read" not in said
    assert Store(store).snapshots() == [] and leftovers(store) == []


def test_a_snapshot_that_does_not_fit_is_not_called_unreadable(tmp_path, small_disk):
    source = tmp_path / "units.csv"
    source.write_text(UNITS, encoding="utf-8")
    store = small_disk.root / "store"
    small_disk.fill(leave=0)
    done = kaohe("import", "units", source, "--store", store)
    assert done.exit_code == 2
    said = one_line(done)
    assert "disk full: writing" in said and str(store) in said
    assert "cannot be read" not in said
    assert Store(store).snapshots() == [] and leftovers(store) == []


def test_a_sidecar_that_does_not_fit_leaves_no_snapshot(tmp_path, small_disk):
    store = Store(small_disk.root / "store")
    with store.scratch() as scratch:
        parquet = scratch / "snapshot.parquet"
        parquet.write_bytes(b"PAR1" * 10)
        small_disk.fill(leave=0)
        with pytest.raises(WriteError) as caught:
            store.add("units", "ab" * 32, parquet, {"source": "units", "rows": 1, "created": "x"})
    assert "disk full: writing" in str(caught.value) and str(store.root) in str(caught.value)
    assert store.snapshots() == []


@pytest.fixture
def earlier_out(small_disk, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text(UNITS, encoding="utf-8")
    (data / "hdi.csv").write_text(HDI, encoding="utf-8")
    out = small_disk.root / "out"
    args = ("assess", "--scheme", SCHEME, "--data", data, "--out", out, "--period", "2021")
    assert kaohe(*args).exit_code == 0
    return data, out, args


def test_a_run_that_does_not_fit_keeps_the_earlier_one(small_disk, earlier_out):
    data, out, args = earlier_out
    earlier = complete_run(out)
    small_disk.fill(leave=0)
    done = kaohe(*args)
    assert done.exit_code == 2
    said = one_line(done)
    assert f"disk full: writing {out}" in said and "it needs about" in said
    assert complete_run(out) == earlier
    assert leftovers(small_disk.root) == []
    small_disk.free()
    assert kaohe(*args).exit_code == 0


def test_a_full_temporary_folder_while_reading_gb18030_data(tmp_path, small_disk, monkeypatch):
    """``assess --data`` converts a GB18030 file into a scratch copy in the temporary folder."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "hdi.csv").write_text(HDI, encoding="utf-8")
    # big enough for its UTF-8 copy not to fit: many other units (not assessed) with long names
    others = [
        f"P{n:05d},第{n}个不参加本次考核的单位名称写得长一些,,province,region" for n in range(6000)
    ]
    (data / "units.csv").write_bytes(
        "\n".join([*UNITS.splitlines(), *others, ""]).encode("gb18030")
    )
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk.root))
    monkeypatch.setattr(source_files, "_SCRATCH", None)  # this process's copies: made anew
    monkeypatch.setattr(source_files, "_COPIES", {})
    small_disk.fill(leave=32 * 1024)
    out = tmp_path / "out"
    done = kaohe("assess", "--scheme", SCHEME, "--data", data, "--out", out, "--period", "2021")
    assert done.exit_code == 2, done.stdout
    said = one_line(done)
    assert "disk full: writing" in said and str(small_disk.root) in said
    assert not out.exists()


def test_a_full_disk_anywhere_in_a_command_is_one_line():
    """The last resort of every command: an ENOSPC no part of Kaohe expected."""
    app = typer.Typer()

    @app.command()
    @user_errors
    def write() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/kaohe/somewhere.bin")

    done = CliRunner().invoke(app, [])
    assert done.exit_code == 2
    assert "disk full: writing /srv/kaohe/somewhere.bin failed" in " ".join(done.output.split())


def test_a_read_only_place_is_named(tmp_path):
    target = tmp_path / "folder" / "file.json"
    with pytest.raises(WriteError) as caught, writing(target):
        raise PermissionError(errno.EACCES, "Permission denied", str(target))
    assert str(target) in str(caught.value) and "permission" in str(caught.value)
    with pytest.raises(PermissionError), writing(target):  # a file read elsewhere: not ours
        raise PermissionError(errno.EACCES, "Permission denied", "/etc/shadow")
