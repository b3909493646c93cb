"""Progress of long jobs (imports, measures over big registries) on a rich progress display.

The library reports steps to a ``Tracker``; the command line gives it a ``rich.progress.Progress``
and the web or the tests give it nothing, in which case it is silent. DuckDB's own estimate of a
running query's progress is polled from a second thread, which DuckDB supports for this purpose.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import duckdb
from rich.progress import Progress

_POLL_SECONDS = 0.2


class Tracker:
    def __init__(self, progress: Progress | None = None):
        self.progress = progress

    @contextlib.contextmanager
    def step(
        self, description: str, total: float | None = None
    ) -> Iterator[Callable[[float], None]]:
        """A step of the job; the caller advances it (bytes, rows …) if it knows its total."""
        if self.progress is None:
            yield lambda amount: None
            return
        task = self.progress.add_task(description, total=total)
        try:
            yield lambda amount: self.progress.advance(task, amount)
        finally:
            self.progress.update(task, total=total or 1, completed=total or 1)

    def query(self, con: duckdb.DuckDBPyConnection, sql: str, description: str) -> list[tuple]:
        """Run ``sql`` to completion (``fetchall``), showing DuckDB's progress estimate."""
        return self.query_with_names(con, sql, description)[1]

    def query_with_names(
        self, con: duckdb.DuckDBPyConnection, sql: str, description: str
    ) -> tuple[list[str], list[tuple]]:
        """The column names and every row of ``sql``, showing DuckDB's progress estimate."""
        if self.progress is None:
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description or ()], cursor.fetchall()
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        task = self.progress.add_task(description, total=100)
        done = threading.Event()

        def poll() -> None:
            while not done.wait(_POLL_SECONDS):
                percent = con.query_progress()
                if percent >= 0:
                    self.progress.update(task, completed=percent)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description or ()], cursor.fetchall()
        finally:
            done.set()
            poller.join()
            self.progress.update(task, completed=100)
