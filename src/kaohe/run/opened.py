"""Open a run directory: its manifest, explanation, results and the scheme it was computed with.

Every reader of a run (reports, the platform's import, outcomes, sensitivity) opens it here. The
scheme is the one the run kept, ``RUN_DIR/scheme.yaml``, checked against the sha256 the manifest
lists for it, so a run opens from any directory, wherever it was moved. A run written before runs
kept their scheme (no scheme.yaml) opens with the scheme file its manifest names only while that
file is still what the run read (same sha256); otherwise opening fails and says what to do — a
reader never silently uses another scheme.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..errors import DataError, KaoheError, UsageError
from ..i18n import text
from ..scheme import LoadedScheme, load_scheme
from .as_run import SCHEME_FILE
from .record import MANIFEST, recover_output

EXPLAIN = "explain.json"
RESULTS = "results.csv"


class NotARun(UsageError):
    """``run_dir`` lacks some of a run's files (``missing``, the first of them)."""

    def __init__(self, run_dir: Path, names: list[str]) -> None:
        super().__init__(
            text(
                f"{run_dir} 不是考核结果目录：缺少 {'、'.join(names)}（先运行 kaohe assess）",
                f"{run_dir} is not a run directory: "
                + "; ".join(f"{name} is missing" for name in names)
                + " (run kaohe assess first)",
            )
        )
        self.missing = names[0]


def read_run_json(path: Path) -> dict[str, Any]:
    """A run's JSON file; a missing one means the directory is no (complete) run."""
    path = Path(path)
    if not path.is_file():
        raise NotARun(path.parent, [path.name])
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(
            text(
                f"{path}:{error.lineno}：不是有效的 JSON（{error.msg}）",
                f"{path}:{error.lineno}: not valid JSON ({error.msg})",
            )
        ) from None


@dataclass
class OpenedRun:
    """A run directory opened: what ``kaohe assess`` wrote, and the scheme it ran with."""

    run_dir: Path
    manifest: dict[str, Any]
    explanation: dict[str, Any]
    scheme: LoadedScheme

    @cached_property
    def _table(self) -> tuple[list[str], list[dict[str, str]]]:
        path = self.run_dir / RESULTS
        if not path.is_file():
            raise NotARun(self.run_dir, [RESULTS])
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows

    @property
    def columns(self) -> list[str]:
        """results.csv's header."""
        return self._table[0]

    @property
    def results(self) -> list[dict[str, str]]:
        """results.csv's rows, each by column (read when first asked for)."""
        return self._table[1]


def open_run(run_dir: Path) -> OpenedRun:
    """Open ``run_dir``: explain.json, manifest.json and the scheme as run (see the module)."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        # A command killed while replacing this run may have moved it aside: put it back.
        recover_output(run_dir)
    missing = [name for name in (EXPLAIN, MANIFEST) if not (run_dir / name).is_file()]
    if missing:
        raise NotARun(run_dir, missing)
    explanation = read_run_json(run_dir / EXPLAIN)
    manifest = read_run_json(run_dir / MANIFEST)
    return OpenedRun(run_dir, manifest, explanation, _scheme_of(run_dir, manifest))


def _scheme_of(run_dir: Path, manifest: dict[str, Any]) -> LoadedScheme:
    kept = run_dir / SCHEME_FILE
    if not kept.is_file():
        return _recorded_scheme(run_dir, manifest)
    recorded = (manifest.get("outputs") or {}).get(SCHEME_FILE)
    if recorded is None or sha256_of(kept) != recorded:
        raise DataError(
            text(
                f"{kept}：考核之后被修改（sha256 与 {run_dir / MANIFEST} 不符），已不是本次考核所用"
                "的考核办法；请恢复原文件，或用修改后的办法重新运行 kaohe assess",
                f"{kept}: changed after the run (its sha256 differs from "
                f"{run_dir / MANIFEST}), so it is no longer the scheme the run used; restore it, "
                "or run kaohe assess again with the changed scheme",
            )
        )
    return load_scheme(str(kept))


def recorded_scheme(manifest: dict[str, Any]) -> LoadedScheme | None:
    """The scheme file a manifest names, loaded with its parameters — only while it is still
    what the run read (same sha256); None when it is gone, changed or no longer loads."""
    scheme = manifest.get("scheme") or {}
    file, sha256 = scheme.get("file"), scheme.get("sha256")
    if not file or not sha256 or not Path(file).is_file():
        return None
    try:
        loaded = load_scheme(str(file), scheme.get("parameters") or None)
    except KaoheError:
        return None
    return loaded if loaded.sha256 == sha256 else None


def _recorded_scheme(run_dir: Path, manifest: dict[str, Any]) -> LoadedScheme:
    """An older run's scheme (no scheme.yaml): the recorded file, while it is unchanged."""
    loaded = recorded_scheme(manifest)
    if loaded is not None:
        return loaded
    file = (manifest.get("scheme") or {}).get("file") or "?"
    raise DataError(
        text(
            f"{run_dir}：结果目录中没有 {SCHEME_FILE}（较早版本的考核结果），而 "
            f"{run_dir / MANIFEST} 记录的考核办法文件 {file} 已不存在或在考核之后被修改；"
            "请把原考核办法文件放回该位置，或重新运行 kaohe assess（新的结果目录会保存所用的办法）",
            f"{run_dir}: the run holds no {SCHEME_FILE} (it was written by an older kaohe) and "
            f"the scheme file {file} named in {run_dir / MANIFEST} is gone or changed since the "
            "run; put the original scheme file back there, or run kaohe assess again (a new run "
            "keeps the scheme it used)",
        )
    )
