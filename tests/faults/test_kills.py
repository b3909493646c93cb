"""kill -9 at each step of import, assess and outcomes (issue 14): what was accepted before stays
whole, the next command clears what the killed one left, and succeeds.

Each case runs the real ``kaohe`` as a process and stops it with SIGKILL at a named point
(kaohe/faults.py) — a timer could not hit a step of a sub-second command."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from tests.faults.conftest import HDI, SCHEME, UNITS, kaohe, leftovers
from tests.support.cli import Kaohe

from kaohe.data.snapshots import Store
from kaohe.outcomes.ledger import Ledger

# Only the command to kill runs as a process of its own; what comes before and after runs
# in-process (the same command line, without a second's start-up each time).
in_process = Kaohe()


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def complete_run(out) -> dict:
    """OUT's manifest, after checking that it lists every file with its hash."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    assert sorted(manifest["outputs"]) == files
    for name, digest in manifest["outputs"].items():
        assert sha256(out / name) == digest, name
    return manifest


# ------------------------------------------------------------------------------ import


def store_contents(store) -> dict[str, str]:
    return {
        str(p.relative_to(store)): sha256(p)
        for p in sorted(store.rglob("*"))
        if p.is_file() and ".tmp" not in p.parts and not p.name.startswith(".")
    }


@pytest.mark.parametrize("point", ["import.scratch-written", "import.parquet-linked"])
def test_a_killed_import_keeps_the_store_and_the_next_command_clears_its_scratch(
    tmp_path, hdi_data, point
):
    store = tmp_path / "store"
    assert in_process("import", "units", hdi_data / "units.csv", "--store", store).exit_code == 0
    before = store_contents(store)
    changed = tmp_path / "units.csv"
    changed.write_text(
        (hdi_data / "units.csv").read_text(encoding="utf-8") + "USA,美国,,country,country\n",
        encoding="utf-8",
    )
    killed = kaohe("import", "units", changed, "--store", store, fault=point)
    assert killed.killed
    assert leftovers(store)  # the scratch folder of the killed import
    listed = in_process("snapshots", "list", "--store", store)
    assert listed.exit_code == 0, listed.stdout
    assert len(Store(store).snapshots()) == 1  # only the snapshot accepted before
    assert leftovers(store) == []
    assert {k: v for k, v in store_contents(store).items() if k in before} == before
    again = in_process("import", "units", changed, "--store", store)
    assert again.exit_code == 0, again.stderr
    assert "imported 4 rows" in " ".join(again.stdout.split())
    assert leftovers(store) == []


# ------------------------------------------------------------------------------ assess


def assess(hdi_data, out, fault=None):
    args = ("assess", "--scheme", SCHEME, "--data", hdi_data, "--out", out, "--period", "2021")
    if fault:
        return kaohe(*args, fault=fault)
    done = in_process(*args)
    assert done.exit_code == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    """One run of the tiny assessment, copied into each test as OUT's earlier content."""
    folder = tmp_path_factory.mktemp("earlier")
    data = folder / "data"
    data.mkdir()
    (data / "units.csv").write_text(UNITS, encoding="utf-8")
    (data / "hdi.csv").write_text(HDI, encoding="utf-8")
    assess(data, folder / "out")
    return folder / "out"


@pytest.mark.parametrize("point", ["output.staged", "output.swapped"])
def test_a_killed_assess_leaves_a_whole_run_in_out(tmp_path, hdi_data, earlier_run, point):
    out = tmp_path / "out"
    shutil.copytree(earlier_run, out)
    earlier = complete_run(out)
    (hdi_data / "hdi.csv").write_text(
        (hdi_data / "hdi.csv").read_text(encoding="utf-8").replace("61.98", "62.5"),
        encoding="utf-8",
    )
    killed = assess(hdi_data, out, fault=point)
    assert killed.killed
    assert leftovers(tmp_path)  # its staging (or, swapped, the earlier run under that name)
    now = complete_run(out)  # OUT is always one whole run: the earlier, or the new one once swapped
    assert (now == earlier) == (point == "output.staged")
    assess(hdi_data, out)
    assert leftovers(tmp_path) == []
    complete_run(out)


# ------------------------------------------------------------------------------ outcomes


@pytest.mark.parametrize(
    "point", ["ledger.journal-written", "ledger.half-appended", "ledger.appended"]
)
def test_a_killed_ledger_command_loses_nothing_accepted(tmp_path, point):
    ledger = Ledger(tmp_path / "ledger")
    ledger.append(
        [
            ("item_opened", {"id": f"f-{i}", "kind": "finding", "unit": "130000",
                             "title": "问题" * 30, "deadline": "2020-05-30"})
            for i in range(6)
        ],
        actor="a",
    )  # fmt: skip
    before = ledger.path.read_bytes()
    killed = kaohe("outcomes", "sweep", "--ledger", ledger.directory, "--as-of", "2021-01-01",
                   fault=point)  # fmt: skip
    assert killed.killed
    checked = in_process("outcomes", "check", "--ledger", ledger.directory)
    assert checked.exit_code == 0, checked.stderr
    assert "the ledger is intact: 6 events" in checked.stdout
    assert ledger.path.read_bytes() == before  # the half batch is gone, the rest untouched
    assert not (ledger.directory / ".append").exists()
    swept = in_process("outcomes", "sweep", "--ledger", ledger.directory, "--as-of", "2021-01-01")
    assert swept.exit_code == 0 and "6 items marked overdue" in swept.stdout
    assert Ledger(ledger.directory).verify() == 12
