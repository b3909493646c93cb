"""The demo year being generated (2016–2023): every generator reads it from here.

The demo lays out one data set per assessment year (``OUT/data/<year>/``). Which year a file
belongs to is a setting of the whole generation, read by some twenty functions in a dozen
modules; a context variable carries it there instead of an argument threaded through each of
them. Outside ``demo_year`` the year is ``DEFAULT_YEAR``, the single year the demo had before it
covered the campaign.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..i18n import text

FIRST_YEAR, LAST_YEAR = 2016, 2023  # the campaign's assessments (2016–2020) and the transition's
TRANSITION_YEAR = 2021  # the first year of consolidation and rural revitalization
DEFAULT_YEAR = 2019
DEMO_YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

_year: ContextVar[int] = ContextVar("kaohe_demo_year", default=DEFAULT_YEAR)


def year() -> int:
    """The demo year being generated."""
    return _year.get()


def period() -> str:
    """The demo year as the period of every row and run (``"2019"``)."""
    return str(_year.get())


@contextmanager
def demo_year(value: int) -> Iterator[int]:
    """Generate (or assess) within ``value``'s year."""
    token = _year.set(int(value))
    try:
        yield int(value)
    finally:
        _year.reset(token)


def parse_years(spec: str | None) -> tuple[int, ...]:
    """``"2016-2023"``, ``"2020-2021"`` or ``"2019"`` → the years; ``None`` → every demo year.
    A year outside 2016–2023 or a reversed range is a user error (ValueError with the fix)."""
    if spec is None or not spec.strip():
        return DEMO_YEARS
    first, _, last = spec.strip().partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise ValueError(_bad(spec)) from None
    if not FIRST_YEAR <= start <= end <= LAST_YEAR:
        raise ValueError(_bad(spec))
    return tuple(range(start, end + 1))


def _bad(spec: str) -> str:
    return text(
        f"--years {spec}：请写 {FIRST_YEAR}–{LAST_YEAR} 之间的一年或一个区间，如 2016-2023、"
        "2020-2021 或 2019",
        f"--years {spec}: give one year or a range within {FIRST_YEAR}–{LAST_YEAR}, such as "
        "2016-2023, 2020-2021 or 2019",
    )
