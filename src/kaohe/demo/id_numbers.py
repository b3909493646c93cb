"""Resident ID numbers (GB 11643) for the demo registry: valid ones, derived from each person's
index, and the few errors injected on purpose for the quality checks."""

from __future__ import annotations

import numpy as np

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = np.array(list("10X98765432"))
# the registry's persons were born before the campaign's first year: the same persons, with the
# same ID numbers, in every demo year (ages count from each year)
BORN_BY = "2015-12-31"


def _birth_span(first_year: int) -> int:
    return int((np.datetime64(BORN_BY) - np.datetime64(f"{first_year}-01-01")).astype(int))


def birth_dates(index: np.ndarray, first_year: int = 1920) -> np.ndarray:
    """Birth dates spread from ``first_year`` to ``BORN_BY`` by a bijection on the person's index.

    ``first_year`` is at least the year the county's code was assigned: an ID number whose region
    code did not exist at the birth date is invalid (python-stdnum checks this).
    """
    days = _birth_span(first_year)
    step = next(p for p in (7919, 7927, 7933, 7937) if np.gcd(p, days) == 1)
    offset = (index * step) % days
    return np.datetime64(f"{first_year}-01-01") + offset.astype("timedelta64[D]")


def resident_ids(
    county: str, index: np.ndarray, births: np.ndarray, first_year: int = 1920
) -> np.ndarray:
    """Valid 18-digit resident ID numbers (GB 11643), unique per county.

    Region code, birth date, a sequence number from the index, and the standard's check digit.
    """
    ymd = np.char.replace(np.datetime_as_string(births, unit="D"), "-", "")
    sequence = np.char.zfill(((index // _birth_span(first_year)) % 1000).astype(str), 3)
    body = np.char.add(np.char.add(county, ymd), sequence)
    digits = np.frombuffer("".join(body.tolist()).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = _CHECK[(digits.astype(np.int64) @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check)


def inject_id_errors(
    persons_table: dict, rng: np.random.Generator, previous: np.ndarray | None
) -> None:
    """A few invalid check digits and IDs duplicated from another county: for the quality checks."""
    ids = persons_table["person_id"].astype(object)
    n = len(ids)
    for i in rng.choice(n, size=max(1, n // 20_000), replace=False):
        last = ids[i][-1]
        ids[i] = ids[i][:-1] + ("0" if last != "0" else "1")
    if previous is not None and len(previous):
        for i in rng.choice(n, size=max(1, n // 50_000), replace=False):
            ids[i] = previous[rng.integers(len(previous))]
    persons_table["person_id"] = ids.astype(str)
