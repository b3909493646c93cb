"""Invalid resident ID numbers (GB 11643-1999), per unit.

python-stdnum's ``stdnum.cn.ric`` is the reference: it checks length, digits, the birth date, the
ISO 7064 MOD 11-2 check digit and the region code. Calling it once per person does not scale to
10^8 rows, so the per-row parts (length, digits, date, check digit) are the same rules written as
DuckDB SQL and streamed; the region code is checked by stdnum's GB/T 2260 table once per distinct
code; and the evidence for each flagged example is stdnum's own verdict. Tests hold the SQL and
stdnum to the same answers.
"""

from __future__ import annotations

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from ..data.sources import UNIT_KEY
from ..i18n import text
from .context import QualityContext, mask_id
from .findings import Finding

RULE = "invalid_resident_id"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_number(relation: str, column: str = "id") -> str:
    """``relation`` plus ``__n17``, the first 17 characters as an integer (null unless digits).

    The check digit is computed from this integer with integer arithmetic, which DuckDB runs
    several times faster than 17 string slices; it is a column of a subquery so that it is
    computed once per row, not once per use.
    """
    return f"(SELECT *, TRY_CAST(substr({column}, 1, 17) AS BIGINT) AS __n17 FROM {relation})"


def structure_ok_sql(column: str = "id", number: str = "__n17") -> str:
    """SQL: length 18, 17 digits then a digit or X, a real date, and the right check digit.

    ``number`` is the column ``with_number`` adds. DuckDB does not promise to short-circuit AND,
    so every part must be safe on any text.
    """
    weighted = " + ".join(
        f"(({number} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(_WEIGHTS)
    )
    return (
        f"coalesce(length({column}) = 18 AND regexp_full_match({column}, '[0-9]{{17}}[0-9X]') "
        f"AND try_strptime(substr({column}, 7, 8), '%Y%m%d') IS NOT NULL "
        f"AND substr('10X98765432', CAST(({weighted}) % 11 AS INTEGER) + 1, 1) "
        f"= substr({column}, 18, 1), false)"
    )


def place_known(prefix: str, year: int | None, mode: str) -> bool:
    """Whether a region code is valid: listed in GB/T 2260 at all, or at the birth year (stdnum)."""
    if mode == "off":
        return True
    if mode == "at_birth_year":
        try:
            ric.get_birth_place(f"{prefix}{year:04d}0101" + "0000")
            return True
        except (ValidationError, KeyError):  # stdnum 2.2 raises KeyError for an unknown county
            return False
    info = {k: v for _, props in numdb.get("cn/loc").info(prefix) for k, v in props.items()}
    return "county" in info


def reason(value: str) -> str:
    """stdnum's verdict on one ID, in the user's language."""
    try:
        ric.validate(value)
    except InvalidLength:
        return text("长度不是 18 位", "not 18 characters long")
    except InvalidFormat:
        return text("含有非数字字符", "contains characters other than digits")
    except InvalidChecksum:
        return text("校验码错误", "wrong check digit")
    except InvalidComponent:
        return text("出生日期或地区码无效", "invalid birth date or region code")
    except KeyError:  # stdnum 2.2: a known province with an unknown county code
        return text("地区码无效", "invalid region code")
    except ValidationError as error:  # pragma: no cover - stdnum's other errors
        return str(error)
    return text("地区码在出生年份尚未设立", "region code not in use in the birth year")


def detect(ctx: QualityContext) -> list[Finding]:
    config = ctx.rules.model.resident_ids
    inputs = ctx.inputs
    if not inputs.has("persons"):
        ctx.note(RULE, text("没有 persons 数据源，跳过", "no persons source; skipped"))
        return []
    view = inputs.view("persons")
    con = inputs.con
    ids = with_number(f"(SELECT {UNIT_KEY} AS unit, upper(trim(person_id)) AS id FROM {view})")
    ok = structure_ok_sql()
    con.execute("CREATE OR REPLACE TEMP TABLE ric_bad_places (prefix VARCHAR, year INTEGER)")
    if config.birth_place != "off":
        year = (
            "TRY_CAST(substr(id, 7, 4) AS INTEGER)"
            if config.birth_place == "at_birth_year"
            else "0"
        )
        # Every distinct code (a few thousand), valid IDs or not: cheaper than filtering first.
        pairs = con.execute(f"SELECT DISTINCT substr(id, 1, 6), {year} FROM {ids}").fetchall()
        bad = [
            (p, y)
            for p, y in pairs
            if p
            and (y is not None or config.birth_place == "known")
            and not place_known(p, y, config.birth_place)
        ]
        if bad:
            con.executemany("INSERT INTO ric_bad_places VALUES (?, ?)", bad)
    year = "TRY_CAST(substr(id, 7, 4) AS INTEGER)" if config.birth_place == "at_birth_year" else "0"
    rows = con.execute(
        f"SELECT unit, count(*), list(id ORDER BY id)[1:{max(config.examples, 1)}] FROM {ids} "
        f"WHERE id IS NULL OR NOT {ok} OR (substr(id, 1, 6), {year}) IN "
        f"(SELECT (prefix, year) FROM ric_bad_places) GROUP BY unit ORDER BY unit"
    ).fetchall()
    findings = []
    for unit, count, examples in rows:
        shown = text("；", "; ").join(
            text(f"{mask_id(v)}（{reason(v)}）", f"{mask_id(v)} ({reason(v)})")
            if v
            else text("（空）", "(empty)")
            for v in examples[: config.examples]
        )
        findings.append(
            Finding(
                unit=unit,
                rule=RULE,
                label=config.label,
                severity=config.severity,
                count=int(count),
                evidence=text(
                    f"{count} 个身份证号码无效，例如：{shown}",
                    f"{count} invalid resident ID numbers, e.g. {shown}",
                ),
            )
        )
    return findings
