"""Writing the funds commands' result files: CSV + JSON, the whole directory at once.

Files are written to a staging directory beside OUT and moved into place only when all are
written, so an interrupted command never leaves half a result (the run outputs do the same).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..run.outputs import jsonable


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
def staged(out: Path):
    """Yield a staging directory; on success it replaces ``out`` (a previous ``out`` is removed
    only after the new one is complete)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old.{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
