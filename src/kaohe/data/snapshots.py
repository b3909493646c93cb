"""The snapshot store (数据快照): immutable Parquet files named by their sha256, each with a sidecar.

Layout: ``STORE/<source>/<sha256>.parquet`` (the accepted rows, typed), ``<sha256>.json`` (the
sidecar: source, schema version and hash, rows, creation time, the original files and their
hashes, periods and units present) and, after a quarantined import, ``<sha256>.rejects.csv``.

Nothing in the store is ever overwritten or deleted: files are linked into place with
``os.link``, which refuses an existing name, and made read-only. A snapshot exists once its
sidecar does; a Parquet file without one (an import stopped half-way) is invisible and harmless,
and the same import run again completes it.

An import works in a scratch folder inside the store (``STORE/.tmp/import-p<pid>h<host>-…``);
one killed there leaves it behind, so every command that opens the store first deletes the
scratch of processes that are gone (``staging``). A full disk is one clear line naming the store
(``disk_space``), never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..disk_space import writing
from ..errors import UsageError
from ..faults import fault_point
from ..i18n import text
from ..staging import clear_abandoned, owner, staging_name
from .sources import SourceFacts

SCRATCH = ".tmp"
_SCRATCH_PREFIX = "import-"
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_FULL = {errno.ENOSPC, errno.EDQUOT}  # a link that fails for want of room: copying won't help


@dataclass(frozen=True)
class Snapshot:
    source: str
    sha256: str
    path: Path  # the Parquet file
    sidecar: dict[str, Any]

    @property
    def rows(self) -> int:
        return int(self.sidecar["rows"])

    @property
    def created(self) -> str:
        return str(self.sidecar["created"])

    @property
    def short(self) -> str:
        return self.sha256[:12]

    def facts(self) -> SourceFacts:
        """What the import recorded, so that a run need not scan the data for it."""
        return SourceFacts(
            periods=self.sidecar.get("periods"),
            units=self.sidecar.get("units"),
            rows=self.rows,
            columns=self.sidecar.get("columns"),
            one_row_per_unit=bool(self.sidecar.get("one_row_per_unit", False)),
        )


class Store:
    """A folder of snapshots; any path DuckDB and Spark can read would do at scale."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def clear_leftovers(self) -> None:
        """Delete the scratch folders of imports whose process is gone (killed, or the machine
        stopped): they hold up to a whole file each, and nothing else would ever remove them."""
        clear_abandoned(self.root / SCRATCH, "")

    def snapshots(self, source: str | None = None) -> list[Snapshot]:
        """Snapshots, oldest first (by creation time, then hash)."""
        if not self.root.is_dir():
            return []
        self.clear_leftovers()
        found = []
        folders = [self.root / source] if source else sorted(self.root.iterdir())
        for folder in folders:
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            for sidecar in folder.glob("*.json"):
                parquet = sidecar.with_suffix(".parquet")
                if not parquet.is_file():
                    continue
                data = json.loads(sidecar.read_text(encoding="utf-8"))
                found.append(Snapshot(folder.name, sidecar.stem, parquet, data))
        return sorted(found, key=lambda s: (s.source, s.created, s.sha256))

    def latest(self, source: str) -> Snapshot | None:
        found = self.snapshots(source)
        return found[-1] if found else None

    def find(self, source: str, reference: str | None = None) -> Snapshot:
        """The snapshot named by a hash (or a unique prefix of one), else the latest."""
        found = self.snapshots(source)
        if not found:
            raise UsageError(
                text(
                    f"数据仓 {self.root} 中没有数据源 {source} 的快照；"
                    f"请先运行 kaohe import {source} 文件 --store {self.root}",
                    f"the store {self.root} has no snapshot of source {source}; "
                    f"run kaohe import {source} FILE --store {self.root} first",
                )
            )
        if not reference:
            return found[-1]
        matches = [s for s in found if s.sha256.startswith(reference.lower())]
        if len(matches) != 1:
            known = ", ".join(s.short for s in found[-5:])
            raise UsageError(
                text(
                    f"数据源 {source} 中{'没有' if not matches else '有多个'}以 {reference} 开头的快照"
                    f"（最近的：{known}）",
                    f"{'no' if not matches else 'more than one'} snapshot of source {source} "
                    f"starts with {reference} (recent: {known})",
                )
            )
        return matches[0]

    def same_inputs(self, source: str, key: dict[str, Any]) -> Snapshot | None:
        """An existing snapshot imported from the same files under the same schema and options."""
        for snapshot in self.snapshots(source):
            if snapshot.sidecar.get("import_key") == key:
                return snapshot
        return None

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private scratch folder inside the store (same file system: links are atomic)."""
        base = self.root / SCRATCH
        with writing(self.root):
            base.mkdir(parents=True, exist_ok=True)
            self.clear_leftovers()
            folder = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{owner()}-", dir=base))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def add(
        self,
        source: str,
        sha256: str,
        parquet: Path,
        sidecar: dict[str, Any],
        rejects: Path | None = None,
    ) -> tuple[Snapshot, bool]:
        """Link a finished snapshot into place; (snapshot, False) if that content exists already."""
        folder = self.root / source
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha256}.parquet"
        sidecar_path = folder / f"{sha256}.json"
        if sidecar_path.is_file():
            existing = json.loads(sidecar_path.read_text(encoding="utf-8"))
            return Snapshot(source, sha256, target, existing), False
        content = json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        with writing(self.root, needed=len(content.encode("utf-8"))):
            _link_read_only(parquet, target)
            if rejects is not None:
                _link_read_only(rejects, folder / f"{sha256}.rejects.csv")
            fault_point("import.parquet-linked")
            staged = parquet.with_suffix(".json")
            staged.write_text(content, encoding="utf-8")
            _link_read_only(staged, sidecar_path)  # last: the snapshot exists from here on
        return Snapshot(source, sha256, target, sidecar), True


def _link_read_only(source: Path, target: Path) -> None:
    os.chmod(source, _READ_ONLY)
    try:
        os.link(source, target)
    except FileExistsError:
        pass  # same name means same content (names are hashes): keep what is there
    except OSError as error:
        if error.errno in _FULL:
            raise
        _copy_read_only(source, target)


def _copy_read_only(source: Path, target: Path) -> None:
    """For a file system without hard links: a whole copy under a staging name, then moved into
    place unless the name exists (same name, same content) — a killed or failed copy never
    leaves half a file under a snapshot's name."""
    staged = target.with_name(staging_name(f".{target.name}.tmp"))
    try:
        with source.open("rb") as reader, staged.open("xb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
        os.chmod(staged, _READ_ONLY)
        if not target.exists():
            os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
