"""Real provinces and counties for the demo: the 22 assessed provinces and their GB/T 2260 counties.

The county table comes from python-stdnum, which ships GB/T 2260 with each name's years of
validity; the demo keeps counties (县, codes xx xx 21–80) valid during the campaign (2016–2020).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

from stdnum import numdb

CAMPAIGN_YEARS = (2016, 2020)
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    region: str
    western: bool


@dataclass(frozen=True)
class County:
    code: str
    name: str
    province: str
    since: int | None = (
        None  # first year the code was assigned (IDs of people born before are invalid)
    )


def provinces() -> list[Province]:
    with resources.files("kaohe.demo").joinpath("provinces.csv").open(encoding="utf-8") as handle:
        return [
            Province(row["code"], row["name"], row["region"], row["western"] == "true")
            for row in csv.DictReader(handle)
        ]


def _name_in_campaign(raw: str) -> tuple[str, int | None] | None:
    """The county's name valid through the campaign years and the year it was assigned, or None.

    Entries read like '[1986-]正定县' or '[1983-1994]获鹿县,[1995-]古冶区'.
    """
    for part in reversed(raw.split(",")):
        match = _SPAN.match(part)
        if match is None:
            return part, None
        start, end, name = match.groups()
        if (start is None or int(start) <= CAMPAIGN_YEARS[0]) and (
            end is None or int(end) >= CAMPAIGN_YEARS[1]
        ):
            return name, int(start) if start else None
    return None


@functools.cache
def counties(province: Province) -> tuple[County, ...]:
    """The province's counties (县) valid through the campaign, in code order.

    GB/T 2260 in python-stdnum is a tree of two levels: provinces (2 digits), each with its
    county-level codes (4 digits). The province's entries are read off its node in one pass;
    asking ``numdb.info`` code by code scanned the province's whole list for each of the 5,940
    candidate codes (about 0.4 s a province, in every process that generates a demo)."""
    entries: dict[str, dict[str, str]] = {}
    for _length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if low <= province.code[:2] <= high:
            for length, part, last, props, _ in children:
                if length == 4 and part == last:  # the table holds single codes only
                    entries.setdefault(part, {}).update(props)
    found = []
    for part in sorted(entries):
        if part[:2] == "00" or not 21 <= int(part[2:]) <= 80 or "county" not in entries[part]:
            continue
        named = _name_in_campaign(entries[part]["county"])
        if named and named[0].endswith("县"):
            found.append(County(province.code[:2] + part, named[0], province.code, named[1]))
    return tuple(found)
