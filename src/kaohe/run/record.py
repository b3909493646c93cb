"""The run record: how every result directory and result file is written, and its manifest.

A result — an assessment run, a verification report, a sensitivity analysis, a funds command's
tables, a derived source file, a report — is written whole or not at all: a directory is built in
a staging directory beside OUT and renamed into place, an existing OUT swapped out only once the
new one is whole; a file is written beside its path and renamed over it. A failed command never
leaves half a result and never destroys the previous one; a full disk is one clear line
(``disk_space``).

A killed command cannot clean up after itself, so the next one on the same OUT does, first thing:
writers of one OUT take turns on a lock file beside it (``.OUT.lock``: two racing runs end one
after the other, OUT holding one of them whole), a previous run moved aside with no OUT in its
place is moved back, and staging that a dead process left is deleted (``staging``). Where the
system can, OUT is swapped with its replacement in one step, so it never goes missing.

Every ``manifest.json`` starts from the same part: kaohe's version, the creation time, what the
kind of result adds (period, language, inputs with their sha256 …) and each output's sha256.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import __version__
from ..data.files import sha256_of
from ..disk_space import writing
from ..errors import UsageError
from ..faults import fault_point
from ..i18n import text
from ..staging import abandoned, clear_abandoned, exchange, remove, staging_name

MANIFEST = "manifest.json"


def jsonable(value: Any) -> Any:
    """Plain JSON: NaN/inf become null, tuples lists, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def write_json(path: Path, payload: Any) -> None:
    content = json.dumps(jsonable(payload), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    with writing(path, needed=len(content.encode("utf-8"))):
        path.write_text(content, encoding="utf-8")


def check_output_directory(out: Path) -> None:
    """Refuse an OUT that a run must not replace: a file, or a directory that is not a run.

    A run replaces its output directory whole, so ``--out`` pointing at the data directory or a
    home folder by mistake would delete it; only a new or empty directory, or an earlier run's
    (it has manifest.json), is replaced.
    """
    out = Path(out)
    recover_output(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(
            text(
                f"{out} 已存在且不是目录；请为结果另选一个目录",
                f"{out} exists and is not a directory; choose a directory for the results",
            )
        )
    if any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UsageError(
            text(
                f"{out} 不是空目录，也不是以前的考核结果（没有 manifest.json）。考核会整体替换输出"
                "目录，请选择新的或空的目录",
                f"{out} is not empty and holds no earlier run (no manifest.json). A run replaces "
                "its output directory whole: choose a new or empty directory",
            )
        )


def _beside(path: Path, kind: str) -> Path:
    """A hidden name beside ``path``, unique to this process and call (threads of the web
    server may write results at the same time), marked with the process that made it."""
    return path.with_name(staging_name(f".{path.name}.{kind}"))


@contextmanager
def _output_lock(out: Path) -> Iterator[None]:
    """Writers of one OUT one at a time, on a lock file beside it (``.OUT.lock``; threads too:
    each opens its own). The holder deletes the file before letting go, so none is left behind;
    a writer that waited on a deleted file takes the next one instead."""
    path = out.with_name(f".{out.name}.lock")
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
    while True:
        with writing(out):
            lock = path.open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _same_file(lock, path):
                break
        except BaseException:
            lock.close()
            raise
        lock.close()  # deleted by the writer before us: lock the one now there
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _same_file(handle, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), path.stat())
    except FileNotFoundError:
        return False


def recover_output(out: Path) -> None:
    """Undo what a command killed while writing ``out`` left: the previous run moved aside with
    no OUT in its place is moved back (the last complete run), and staging whose process is gone
    is deleted. Call before anything else reads or replaces ``out``."""
    out = Path(out).absolute()
    if not out.parent.is_dir() or not _left_over(out):
        return  # nothing to do: no lock, no write
    with _output_lock(out):
        _recover(out)


def _left_over(out: Path) -> list[Path]:
    prefixes = (f".{out.name}.tmp-", f".{out.name}.old-")
    return [p for p in out.parent.iterdir() if p.name.startswith(prefixes)]


def _recover(out: Path) -> None:
    """``recover_output`` with the OUT lock held."""
    moved = [p for p in _left_over(out) if ".old-" in p.name[len(out.name) + 1 :]]
    if not out.exists():
        aside = sorted((p for p in moved if abandoned(p)), key=lambda p: p.stat().st_mtime)
        if aside:
            aside[-1].rename(out)
    clear_abandoned(out.parent, f".{out.name}.tmp-")
    clear_abandoned(out.parent, f".{out.name}.old-")


def _directory_size(folder: Path) -> int | None:
    """Bytes in ``folder`` (the previous run: about what the next one needs)."""
    if not folder.is_dir():
        return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextmanager
def staged_directory(out: Path) -> Iterator[Path]:
    """Yield an empty staging directory beside ``out``; when the block ends without error it
    becomes ``out`` (an existing ``out`` is swapped out only once the new one is whole), and
    when it fails nothing is left of it. Writers of one ``out`` take turns.

    Callers that must not replace just anything check ``out`` first (``check_output_directory``).
    """
    out = Path(out).resolve()
    with _output_lock(out):
        _recover(out)
        staging = _beside(out, "tmp")
        try:
            with writing(out, needed=_directory_size(out)):
                staging.mkdir()
                yield staging
            fault_point("output.staged")
            _replace(staging, out)
        except BaseException:
            remove(staging)
            raise


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; an existing ``out`` is swapped out only once the new one is whole."""
    if not out.exists():
        staging.rename(out)
        return
    if exchange(staging, out):  # one step: OUT is never missing
        fault_point("output.swapped")
        remove(staging)  # now the previous run
        return
    old = _beside(out, "old")
    out.rename(old)
    fault_point("output.old-moved")  # killed here, the next command moves the old one back
    staging.rename(out)
    remove(old)


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """Yield a staging path beside ``path`` to write; when the block ends without error it
    replaces ``path`` at once, so a reader never sees half a file. Staging that a killed
    process left beside ``path`` is deleted first."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    clear_abandoned(path.parent, f".{path.name}.tmp-")
    staging = _beside(path, "tmp")
    try:
        with writing(path):
            yield staging
            staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)


def output_hashes(folder: Path) -> dict[str, str]:
    """The sha256 of each file written so far in ``folder``, by name."""
    return {p.name: sha256_of(p) for p in sorted(Path(folder).iterdir())}


def input_entry(file: Path | str, sha256: str, **facts: Any) -> dict[str, Any]:
    """An input of a result as its manifest lists it: the file, its sha256, then ``facts``."""
    return {"file": str(file), "sha256": sha256, **facts}


def manifest(created: dt.datetime, outputs: dict[str, str], **facts: Any) -> dict[str, Any]:
    """A manifest: kaohe's version and the creation time, ``facts`` (period, language, inputs …
    — what this kind of result records), and the outputs with their sha256."""
    return {
        "kaohe_version": __version__,
        "created": created.isoformat(timespec="seconds"),
        **facts,
        "outputs": outputs,
    }


def write_manifest(folder: Path, created: dt.datetime, **facts: Any) -> dict[str, Any]:
    """Write ``folder``/manifest.json listing every file already in ``folder``; return it."""
    record = manifest(created, output_hashes(folder), **facts)
    write_json(Path(folder) / MANIFEST, record)
    return record
