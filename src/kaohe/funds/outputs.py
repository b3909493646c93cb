"""Writing the funds commands' result files: CSV + JSON, the whole directory at once.

Files are written to a staging directory beside OUT and moved into place only when all are
written, so an interrupted command never leaves half a result (the run record, ``run/record.py``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..run.record import jsonable, staged_directory


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


# Yield a staging directory; on success it replaces OUT (a previous OUT is removed only after the
# new one is complete). The funds commands write no manifest, so OUT is replaced as it is.
staged = staged_directory
