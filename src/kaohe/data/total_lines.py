"""合计 rows of a CSV found while its bytes stream past (hashing or transcoding), not in a pass
of their own: on a 10^7-line registry export a second read would cost more than the first.

Every total word (合计, 小计, 总计) has 计, so only lines holding its UTF-8 bytes are candidates;
each candidate is read again by its offset and judged by ``header_rows.is_total_row``. A file
where a record may span lines (quoted newlines, blank lines) is left to the SQL pass, which
counts records as DuckDB does. Written by hand: no CSV library reports the lines it matched.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .header_rows import is_total_row

_MARK = "计".encode()


class TotalLines:
    """Fed a UTF-8 file's blocks in order; remembers where the lines holding 计 start."""

    def __init__(self) -> None:
        self.offset = 0  # bytes fed so far
        self.lines = 0  # newlines fed so far
        self.line_start = 0  # offset of the current line
        self.tail = b""  # the last bytes fed: a 计 may be cut by a block's end
        self.candidates: list[tuple[int, int]] = []  # (1-based line, its offset)

    def feed(self, block: bytes) -> None:
        joined = self.tail + block
        base = self.offset - len(self.tail)
        at = joined.find(_MARK)
        while at >= 0:
            if at + len(_MARK) > len(self.tail):  # a mark wholly in the tail was seen before
                self._mark(joined, base, at)
            at = joined.find(_MARK, at + len(_MARK))
        last = block.rfind(b"\n")
        if last >= 0:
            self.lines += block.count(b"\n")
            self.line_start = self.offset + last + 1
        self.offset += len(block)
        self.tail = joined[-(len(_MARK) - 1) :]

    def _mark(self, joined: bytes, base: int, at: int) -> None:
        lines = self.lines - self.tail.count(b"\n") + joined.count(b"\n", 0, at)
        newline = joined.rfind(b"\n", 0, at)
        start = base + newline + 1 if newline >= 0 else self.line_start
        if not self.candidates or self.candidates[-1][0] != lines + 1:
            self.candidates.append((lines + 1, start))

    def totals(self, readable: Path, delimiter: str) -> list[int]:
        """The lines (1-based) of ``readable`` that are totals rows."""
        found = []
        with readable.open("rb") as handle:
            for line, start in self.candidates:
                handle.seek(start)
                text = handle.readline().decode("utf-8", errors="replace")
                cells = next(csv.reader([text], delimiter=delimiter), [])
                if is_total_row(cells):
                    found.append(line)
        return found
