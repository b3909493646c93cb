"""Resident ID numbers (居民身份证号码, GB 11643), checked the way python-stdnum checks them.

``stdnum.cn.ric`` is the reference: length 18, seventeen digits then a digit or X, the check
digit, a real birth date, and a birth place that is a GB/T 2260 code valid in the birth year.
It costs about 35 µs a number in Python — an hour for a 10^8-person registry — so imports run
the same checks as one SQL expression inside DuckDB's scan. The SQL is written by hand because no
library offers it; its region table is read from stdnum's own GB/T 2260 data, and the tests hold
the SQL's verdict to stdnum's on generated numbers.
"""

from __future__ import annotations

import functools
import re

import pyarrow as pa
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from ..i18n import text

REGIONS_TABLE = "kaohe_ric_regions"  # (code, first_year, last_year): where a code was valid

# GB 11643 weights 2^(17-i) mod 11; remainder r of the weighted sum gives check digit _CHECK[r].
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\]")
_OPEN_START, _OPEN_END = -1, 99_999

# Why a number fails, in stdnum's order of checks; SQL returns the key, messages are for users.
REASONS = {
    "length": ("长度不是 18 位", "is not 18 characters long"),
    "format": ("前 17 位须为数字", "must start with 17 digits"),
    "checksum": ("校验码错误", "has a wrong check digit"),
    "birth_date": ("出生日期不存在", "has a birth date that does not exist"),
    "region": (
        "地址码不是出生年份有效的行政区划代码（GB/T 2260）",
        "has a region code that was not a valid GB/T 2260 code in the birth year",
    ),
}


def reason_text(key: str) -> str:
    zh, en = REASONS[key]
    return text(f"身份证号{zh}", f"resident ID number {en}")


def stdnum_reason(number: str) -> str | None:
    """stdnum's verdict as a reason key (None when valid): the reference the SQL is tested against."""
    try:
        ric.validate(number)
    except ValidationError as error:
        name = type(error).__name__
        if name == "InvalidLength":
            return "length"
        if name == "InvalidFormat":
            return "format"
        if name == "InvalidChecksum":
            return "checksum"
        compact = ric.compact(number)
        try:
            ric.get_birth_date(compact)
        except ValidationError:
            return "birth_date"
        return "region"
    except (KeyError, ValueError):
        # stdnum raises KeyError for a known province with an unknown county (e.g. 119999).
        return "region"
    return None


@functools.cache
def region_spans() -> tuple[tuple[str, int, int], ...]:
    """Every six-digit GB/T 2260 code with the years it was valid (open ends as -1 / 99999)."""
    spans: list[tuple[str, int, int]] = []
    for _, low, high, _props, children in numdb.get("cn/loc").prefixes:
        for province in range(int(low), int(high) + 1):
            for _, c_low, c_high, c_props, _ in children:
                names = c_props.get("county")
                if not names:
                    continue
                for county in range(int(c_low), int(c_high) + 1):
                    code = f"{province:02d}{county:04d}"
                    for part in names.split(","):
                        spans.append((code, *_span_years(part)))
    return tuple(sorted(set(spans)))


def _span_years(part: str) -> tuple[int, int]:
    # stdnum accepts a code when any comma-separated entry is unbracketed or spans the year.
    match = _SPAN.match(part)
    if match is None:
        return _OPEN_START, _OPEN_END
    start, end = match.groups()
    return int(start) if start else _OPEN_START, int(end) if end else _OPEN_END


def _merged_spans() -> dict[int, list[tuple[int, int]]]:
    """Each code's years of validity as disjoint spans (overlapping entries merged)."""
    merged: dict[int, list[tuple[int, int]]] = {}
    for code, first, last in region_spans():
        spans = merged.setdefault(int(code), [])
        spans.append((first, last))
    for code, spans in merged.items():
        spans.sort()
        out = [spans[0]]
        for first, last in spans[1:]:
            if first <= out[-1][1] + 1:
                out[-1] = (out[-1][0], max(out[-1][1], last))
            else:
                out.append((first, last))
        merged[code] = out
    return merged


def span_count() -> int:
    return max(len(spans) for spans in _merged_spans().values())


def regions_table() -> pa.Table:
    """One row per code, its spans as columns first_1, last_1, … (NULL where it has fewer)."""
    merged = _merged_spans()
    codes = sorted(merged)
    columns: dict[str, pa.Array] = {"code": pa.array(codes, pa.int64())}
    for k in range(span_count()):
        for side, at in (("first", 0), ("last", 1)):
            values = [merged[c][k][at] if k < len(merged[c]) else None for c in codes]
            columns[f"{side}_{k + 1}"] = pa.array(values, pa.int32())
    return pa.table(columns)


def register_regions(con) -> None:
    """Create the region table the SQL check joins against (once per connection)."""
    # list parameters, not an Arrow table: DuckDB imports pandas (0.3 s) for Arrow
    table = regions_table()
    names = table.column_names
    columns = ", ".join(
        f"unnest(${i + 1}::{'BIGINT' if name == 'code' else 'INTEGER'}[]) AS {name}"
        for i, name in enumerate(names)
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REGIONS_TABLE} AS SELECT {columns}",
        [table.column(name).to_pylist() for name in names],
    )


# Full-width digits are what Chinese input methods often produce; stdnum maps them to ASCII.
_FULLWIDTH = "０１２３４５６７８９"


def compact_sql(value: str) -> str:
    """SQL for stdnum's compact form: trimmed, upper-cased, full-width digits to ASCII."""
    v = f"upper(trim(CAST({value} AS VARCHAR)))"
    return (
        f"CASE WHEN strlen({v}) = length({v}) THEN {v} "
        f"ELSE translate({v}, '{_FULLWIDTH}', '0123456789') END"
    )


def _layer(relation: str, columns: dict[str, str]) -> str:
    extra = ", ".join(f"{sql} AS {alias}" for alias, sql in columns.items())
    return f"(SELECT *, {extra} FROM {relation})"


def with_compact(relation: str, raw: str, out: str) -> str:
    """``relation`` plus column ``out``: the number in compact form (NULL if empty), and
    ``out__digits``: its first 17 characters as a BIGINT when they are digits.

    Most numbers are written correctly already: seventeen digits and a digit or X. One regular
    expression recognizes them and they are taken as they are; only the others go through
    trimming, upper-casing and the full-width mapping, which cost several times more per row.
    (The expression costs half of an integer cast with its round trip, the test it replaced: a
    cast alone also accepts '1e16' or hexadecimal.)
    """
    text_value = f"CAST({raw} AS VARCHAR)"
    fast = f"{out}__fast"
    relation = _layer(
        relation, {fast: f"coalesce(regexp_full_match({text_value}, '[0-9]{{17}}[0-9X]'), false)"}
    )
    relation = _layer(
        relation,
        {out: f"CASE WHEN {fast} THEN {text_value} ELSE nullif({compact_sql(raw)}, '') END"},
    )
    return _layer(
        relation,
        {
            f"{out}__digits": f"CASE WHEN {fast} THEN CAST(substr({text_value}, 1, 17) AS BIGINT) "
            f"WHEN regexp_full_match(substr({out}, 1, 17), '[0-9]{{17}}') "
            f"THEN CAST(substr({out}, 1, 17) AS BIGINT) END"
        },
    )


def with_checks(relation: str, raw: str, out: str) -> str:
    """``relation`` plus ``out`` (as ``with_compact``) and ``out__reason``: why the number is not
    valid (a key of ``REASONS``), or NULL when it is valid or empty ("required" is another rule).

    Needs the table from ``register_regions``. The region and birth year become columns, and the
    region's spans of validity come from one equality join on the code (a few thousand rows).
    """
    relation = with_compact(relation, raw, out)
    n = f"{out}__digits"
    region, year = f"{out}__region", f"{out}__year"
    relation = _layer(
        relation,
        {region: f"{n} // 100000000000", year: f"CAST(({n} // 10000000) % 10000 AS INTEGER)"},
    )
    spans = range(1, span_count() + 1)
    picked = ", ".join(
        f"r.first_{k} AS {out}__first_{k}, r.last_{k} AS {out}__last_{k}" for k in spans
    )
    relation = (
        f"(SELECT p.*, r.code IS NOT NULL AS {out}__known, {picked} FROM {relation} AS p "
        f"LEFT JOIN {REGIONS_TABLE} AS r ON r.code = p.{region})"
    )
    return _layer(relation, {f"{out}__reason": _reason_sql(out)})


def _reason_sql(v: str) -> str:
    n, year = f"{v}__digits", f"{v}__year"
    weighted = " + ".join(f"(({n} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(_WEIGHTS))
    month = f"CAST(({n} // 100000) % 100 AS INTEGER)"
    day = f"CAST(({n} // 1000) % 100 AS INTEGER)"
    # The day is checked against the month's last day; year 0 does not exist (stdnum: year >= 1).
    # make_date's arguments are clamped because SQL may evaluate it for rows that fail earlier.
    last_day = f"day(last_day(make_date(greatest({year}, 1), least(greatest({month}, 1), 12), 1)))"
    real_date = f"({year} >= 1 AND {month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND {last_day})"
    in_span = " OR ".join(
        f"{year} BETWEEN {v}__first_{k} AND {v}__last_{k}" for k in range(1, span_count() + 1)
    )
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN length({v}) <> 18 THEN 'length' "
        f"WHEN {n} IS NULL THEN 'format' "
        f"WHEN substr({v}, 18, 1) <> substr('{_CHECK}', (({weighted}) % 11) + 1, 1) "
        f"THEN 'checksum' "
        f"WHEN NOT {real_date} THEN 'birth_date' "
        f"WHEN NOT ({v}__known AND coalesce({in_span}, false)) THEN 'region' "
        f"END"
    )
