"""Writing the funds commands' result files: CSV + JSON and a manifest, the whole directory at once.

Files are written to a staging directory beside OUT and moved into place only when all are
written, so an interrupted command never leaves half a result; ``manifest.json`` has the common
part of every result's manifest (the run record, ``run/record.py``) with the command, its rules
file and the input files with their sha256.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..run.record import input_entry, jsonable, staged_directory, write_manifest
from .fund_rules import LoadedRules


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6)) if value == value else ""
    return str(value)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_value(row.get(c)) for c in columns])


def write_json(path: Path, payload: Any) -> None:
    # No indentation: the evaluation's detail runs to megabytes, and only the unindented form
    # uses the json module's fast C encoder.
    path.write_text(
        json.dumps(jsonable(payload), ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )


@contextmanager
def result_directory(
    out: Path, command: str, rules: LoadedRules, inputs: dict[str, Path | None]
) -> Iterator[Path]:
    """Yield a staging directory to write ``command``'s files into; when the block ends, add the
    manifest and replace OUT (a previous OUT is removed only after the new one is complete).
    ``inputs``: the files read, by role (None: not given)."""
    with staged_directory(out) as folder:
        yield folder
        write_manifest(
            folder,
            dt.datetime.now(dt.UTC),
            command=command,
            rules=rules.describe(),
            inputs=[
                input_entry(file, sha256_of(file), role=role)
                for role, path in inputs.items()
                if path is not None
                for file in _files(Path(path))
            ],
        )


def _files(path: Path) -> list[Path]:
    """A file, or the data files of a directory (not hidden ones: no staging leftovers)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    return [path] if path.is_file() else []
