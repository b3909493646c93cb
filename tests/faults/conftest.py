"""Fixtures of the fault-injection suite: the real ``kaohe`` as a process to kill, a tiny
assessment (the HDI example cut to three countries), and a small full file system."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KAOHE = Path(sys.executable).with_name("kaohe")
SCHEME = ROOT / "examples" / "hdi" / "scheme.yaml"

UNITS = """unit,name,parent,level,kind
AFG,阿富汗,,country,country
NOR,挪威,,country,country
CHN,中国,,country,country
"""
HDI = """unit,period,life_expectancy,expected_years_schooling,mean_years_schooling,gni_per_capita_ppp,hdi_published
AFG,2021,61.98,10.26,2.99,1824.19,0.478
NOR,2021,83.23,18.19,13.00,64660.11,0.961
CHN,2021,78.21,14.21,7.60,17504.40,0.768
"""


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "en")


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL

    @property
    def said(self) -> str:
        return " ".join((self.stdout + self.stderr).split())


def kaohe(*args, fault: str | None = None, env: dict | None = None, cwd=None) -> Ran:
    """The installed ``kaohe`` command as a process (English messages, wide lines), stopped with
    SIGKILL at the named ``fault`` point (kaohe/faults.py)."""
    environment = {**os.environ, "KAOHE_LANG": "en", "COLUMNS": "1000", **(env or {})}
    environment.pop("KAOHE_FAULT_AT", None)
    if fault:
        environment["KAOHE_FAULT_AT"] = fault
    done = subprocess.run(
        [str(KAOHE), *map(str, args)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def hdi_data(tmp_path) -> Path:
    """Three countries of the HDI example: a run takes well under a second."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "hdi.csv").write_text(HDI, encoding="utf-8")
    return folder


def _mount(where: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` at ``where``; the reason it cannot be, else None."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})"
    return None


@dataclass
class SmallDisk:
    """A small file system that tests fill up."""

    root: Path

    def fill(self, leave: int = 0) -> None:
        """Take all the free space but ``leave`` bytes (tmpfs counts whole 4 KiB pages)."""
        filler = self.root / "filler"
        with contextlib.suppress(OSError), filler.open("ab") as handle:
            while True:
                free = shutil.disk_usage(self.root).free
                if free <= leave:
                    break
                handle.write(b"\0" * min(free - leave, 1 << 16))
                handle.flush()

    def free(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs, unmounted afterwards; skipped (with the reason) where it cannot be mounted."""
    root = tmp_path / "disk"
    reason = _mount(root, "4m")
    if reason:
        pytest.skip(reason)
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def leftovers(folder: Path) -> list[str]:
    """Hidden staging names and scratch folders that a command left in ``folder``."""
    found = [p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    scratch = folder / ".tmp"
    if scratch.is_dir():
        found += [f".tmp/{p.name}" for p in scratch.iterdir()]
    return sorted(found)
