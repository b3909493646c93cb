"""The run record: how every result directory and result file is written, and its manifest.

A result — an assessment run, a verification report, a sensitivity analysis, a funds command's
tables, a derived source file, a report — is written whole or not at all: a directory is built in
a staging directory beside OUT and renamed into place, an existing OUT swapped out only once the
new one is whole; a file is written beside its path and renamed over it. A failed command never
leaves half a result and never destroys the previous one.

Every ``manifest.json`` starts from the same part: kaohe's version, the creation time, what the
kind of result adds (period, language, inputs with their sha256 …) and each output's sha256.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import __version__
from ..data.files import sha256_of
from ..errors import UsageError
from ..i18n import text

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
    path.write_text(
        json.dumps(jsonable(payload), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def check_output_directory(out: Path) -> None:
    """Refuse an OUT that a run must not replace: a file, or a directory that is not a run.

    A run replaces its output directory whole, so ``--out`` pointing at the data directory or a
    home folder by mistake would delete it; only a new or empty directory, or an earlier run's
    (it has manifest.json), is replaced.
    """
    out = Path(out)
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
    server may write results at the same time)."""
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


@contextmanager
def staged_directory(out: Path) -> Iterator[Path]:
    """Yield an empty staging directory beside ``out``; when the block ends without error it
    becomes ``out`` (an existing ``out`` is swapped out only once the new one is whole), and
    when it fails nothing is left of it.

    Callers that must not replace just anything check ``out`` first (``check_output_directory``).
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _beside(out, "tmp")
    staging.mkdir()
    try:
        yield staging
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; an existing ``out`` is swapped out only once the new one is whole."""
    if out.exists():
        old = _beside(out, "old")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """Yield a staging path beside ``path`` to write; when the block ends without error it
    replaces ``path`` at once, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _beside(path, "tmp")
    try:
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
