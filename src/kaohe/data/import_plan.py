"""The SQL of one import (数据导入): the typed layers over the files, and every per-row rule of the
source's schema (required, type, allowed values, range, pattern, resident ID, references, the unit
link) as a condition that is true on the rows that break it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..errors import DataError, UsageError
from ..expr import quote
from ..i18n import text
from . import idnumbers
from .casts import DUCKDB_TYPES, cast_sql, type_name
from .headers import some_columns
from .readers import InputFile
from .schemas import UNITS_SOURCE, Column, LoadedSchema
from .snapshots import Store

STORE_UNITS = "kaohe_store_units"


@dataclass(frozen=True)
class Rule:
    """A per-row rule: ``condition`` (SQL) is true on the rows that break it."""

    name: str  # the SQL alias of its count
    column: str | None
    description: str
    condition: str
    value: str  # SQL of the value to show

    @property
    def label(self) -> str:
        """What a rejects file says of a row that breaks it."""
        return f"{self.column}：{self.description}" if self.column else self.description


def sql_literal(value) -> str:
    return str(value).replace("'", "''")


class ImportPlan:
    """The SQL of one import: the typed layers over the files and the rules on them."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        schema: LoadedSchema,
        files: list[InputFile],
        store: Store,
        examples: int,
    ):
        self.schema = schema.model
        self.files = files
        self.examples = examples
        self.present: dict[str, str] = {}  # column → DuckDB type in the union of the files
        per_file = []
        for index, item in enumerate(files):
            described = con.execute(f"DESCRIBE SELECT * FROM {item.relation()}").fetchall()
            types = {name: kind for name, kind, *_ in described if name != "__row"}
            self._check_columns(item, list(types))
            per_file.append(f"SELECT {index} AS __file, * FROM {item.relation()}")
            for name, kind in types.items():
                previous = self.present.get(name)
                self.present[name] = kind if previous in (None, kind) else "VARCHAR"
        self.union = " UNION ALL BY NAME ".join(per_file)
        declared = self.schema.columns
        self.extra = [c for c in self.present if c not in declared]
        self.kept = self.extra if self.schema.extra_columns == "keep" else []
        self.ignored = [] if self.schema.extra_columns == "keep" else self.extra
        self.index = {name: i for i, name in enumerate(declared)}
        self.units_snapshot = None
        if self.schema.unit is not None:
            self.units_snapshot = store.latest(UNITS_SOURCE)
            if self.units_snapshot is None:
                raise UsageError(
                    text(
                        f"数据仓 {store.root} 中还没有考核对象（units）：数据源 {self.schema.source} "
                        f"的每一行都要对应一个考核对象。请先运行 kaohe import units units.csv --store {store.root}",
                        f"the store {store.root} has no units yet, and every row of source "
                        f"{self.schema.source} must name one. Run "
                        f"kaohe import units units.csv --store {store.root} first",
                    )
                )
            literal = sql_literal(self.units_snapshot.path)
            con.execute(
                f"CREATE TEMP TABLE {STORE_UNITS} AS SELECT unit, level, "
                f"coalesce(kind, 'region') AS kind FROM read_parquet('{literal}')"
            )
        if any(c.check == "resident_id" for c in declared.values()):
            idnumbers.register_regions(con)
        self.unit_key = self.schema.unit_key()
        self.keys = [list(key) for key in self.schema.unique]
        if self.unit_key and self.unit_key not in self.keys:
            self.keys.append(self.unit_key)
        self.rules = self._rules()

    def _check_columns(self, item: InputFile, present: list[str]) -> None:
        missing = [
            name
            for name, column in self.schema.columns.items()
            if not column.optional and name not in present
        ]
        if missing:
            columns = self.schema.columns
            named = [f"{m}（{columns[m].label}）" if columns[m].label else m for m in missing]
            named_en = [f"{m} ({columns[m].label})" if columns[m].label else m for m in missing]
            source = self.schema.source
            raise DataError(
                text(
                    f"{item.path}：缺少列 {', '.join(named)}；文件中的列：{some_columns(present)}。"
                    f"表头可以是列名、中文名称或别名；其他表头可用 kaohe data map {item.path.name} "
                    f"--source {source} 生成映射文件（--mapping）",
                    f"{item.path}: missing columns {', '.join(named_en)}; the file has "
                    f"{some_columns(present)}. A header may be the column's id, label or alias; "
                    f"for others, kaohe data map {item.path.name} --source {source} writes a "
                    "mapping (--mapping)",
                )
            )

    # -- the typed layers ----------------------------------------------------------------------

    def typed(self, name: str) -> str:
        return f"__t_{self.index[name]}"

    def _typed_sql(self, name: str, column: Column) -> str:
        if name not in self.present:
            return f"CAST(NULL AS {DUCKDB_TYPES[column.type]})"
        ref = quote(name)
        if column.type == "text":
            value = ref if self.present[name] == "VARCHAR" else f"CAST({ref} AS VARCHAR)"
            # trim() copies every string; only values with a space at either end need it
            return (
                f"CASE WHEN prefix({value}, ' ') OR suffix({value}, ' ') "
                f"THEN nullif(trim({value}), '') ELSE nullif({value}, '') END"
            )
        if not self.needs_cast(name, column):
            return ref
        return cast_sql(
            name,
            column.type,
            self.present[name],
            date_format=column.format,
            exponent=column.exponent,
            percent=column.unit_of_measure == "%",
        )

    def needs_cast(self, name: str, column: Column) -> bool:
        """True unless the file holds the declared type already (a stored double must still be
        finite: NaN and infinity are no numbers a rule can score)."""
        if name not in self.present or column.type == "text":
            return False
        present = self.present[name]
        return present != DUCKDB_TYPES[column.type] or present in ("DOUBLE", "FLOAT")

    def resident_ids(self) -> list[str]:
        return [
            name
            for name, column in self.schema.columns.items()
            if column.check == "resident_id" and name in self.present
        ]

    def layers(self, checks: bool = True) -> str:
        """A table expression: the files with ``__file``, ``__row``, original and typed columns,
        and (with ``checks``) the reasons resident ID numbers fail (``__t_<i>__reason``)."""
        ids = self.resident_ids()
        typed = ", ".join(
            f"{self._typed_sql(name, column)} AS {self.typed(name)}"
            for name, column in self.schema.columns.items()
            if name not in ids
        )
        relation = f"(SELECT *, {typed} FROM ({self.union}))"
        for name in ids:
            add = idnumbers.with_checks if checks else idnumbers.with_compact
            relation = add(relation, quote(name), self.typed(name))
        return relation

    def output_types(self) -> dict[str, str]:
        types = {name: column.type for name, column in self.schema.columns.items()}
        types.update({name: "as read" for name in self.kept})
        return types

    def output_select(self) -> str:
        columns = [f"{self.typed(name)} AS {quote(name)}" for name in self.schema.columns]
        columns += [quote(name) for name in self.kept]
        return ", ".join(columns)

    # -- the rules -----------------------------------------------------------------------------

    def _rules(self) -> list[Rule]:
        rules: list[Rule] = []

        def add(column: str | None, description: str, condition: str, value: str) -> None:
            rules.append(Rule(f"r{len(rules)}", column, description, condition, value))

        for name, column in self.schema.columns.items():
            if name not in self.present:
                continue
            raw = f"CAST({quote(name)} AS VARCHAR)"
            t = self.typed(name)
            # Empty: no typed value, and (where the text had to be cast) nothing but spaces.
            # The typed value is tested first: trim() then runs only on the rare NULLs.
            if self.needs_cast(name, column):
                blank = f"({t} IS NULL AND ({quote(name)} IS NULL OR trim({raw}) = ''))"
            else:
                blank = f"({t} IS NULL)"
            if column.required:
                add(name, text("不能为空", "must not be empty"), blank, raw)
            if self.needs_cast(name, column):
                zh_type, en_type = type_name(column.type, column.format)
                add(
                    name,
                    text(f"不是{zh_type}", f"is not {en_type}"),
                    f"({t} IS NULL AND {quote(name)} IS NOT NULL AND trim({raw}) <> '')",
                    raw,
                )
            if column.allowed:
                values = ", ".join(f"'{sql_literal(v)}'" for v in column.allowed)
                add(
                    name,
                    text(
                        f"不是允许的取值（{'、'.join(column.allowed)}）",
                        f"is not one of {', '.join(column.allowed)}",
                    ),
                    f"({t} IS NOT NULL AND {t} NOT IN ({values}))",
                    raw,
                )
            if column.min is not None:
                add(
                    name,
                    text(f"小于下限 {column.min:g}", f"is below the minimum {column.min:g}"),
                    f"({t} < {column.min!r})",
                    raw,
                )
            if column.max is not None:
                add(
                    name,
                    text(f"大于上限 {column.max:g}", f"is above the maximum {column.max:g}"),
                    f"({t} > {column.max!r})",
                    raw,
                )
            if column.pattern:
                add(
                    name,
                    text(f"不符合格式 {column.pattern}", f"does not match {column.pattern}"),
                    f"({t} IS NOT NULL AND NOT regexp_full_match({t}, '{sql_literal(column.pattern)}'))",
                    raw,
                )
            if column.check == "resident_id":
                for key in idnumbers.REASONS:
                    add(
                        name,
                        idnumbers.reason_text(key),
                        f"({self.typed(name)}__reason = '{key}')",
                        raw,
                    )
            if column.references:
                add(
                    name,
                    text(
                        f"不是本表 {column.references} 列中的值",
                        f"is not a value of column {column.references} of this table",
                    ),
                    f"({t} IS NOT NULL AND {t} NOT IN "
                    f"(SELECT {self.typed(column.references)} FROM layers "
                    f"WHERE {self.typed(column.references)} IS NOT NULL))",
                    raw,
                )
        if self.schema.source == UNITS_SOURCE and {"parent", "level"} <= set(self.present):
            parent, level = self.typed("parent"), self.typed("level")
            kind = (
                f"coalesce({self.typed('kind')}, 'region')"
                if "kind" in self.present
                else "'region'"
            )
            group = f"({kind} || chr(31) || {level})"
            add(
                "parent",
                text(
                    "为空，但同一类型、同一层级的其他考核对象有上级：只有最高一级的考核对象可以没有上级"
                    "（否则它不会计入上级的合计）",
                    "is empty, but other units of the same kind and level have a parent: only "
                    "units at the top level may have none (it would be left out of its "
                    "parent's totals)",
                ),
                f"({parent} IS NULL AND {level} IS NOT NULL AND {group} IN "
                f"(SELECT {group} FROM layers WHERE {parent} IS NOT NULL))",
                "CAST(parent AS VARCHAR)",
            )
        link = self.schema.unit
        if link is not None and link.column in self.present:
            t = self.typed(link.column)
            raw = f"CAST({quote(link.column)} AS VARCHAR)"
            short = self.units_snapshot.short if self.units_snapshot else ""
            add(
                link.column,
                text(
                    f"不是数据仓中的考核对象（units 快照 {short}）",
                    f"is not a unit in the store (units snapshot {short})",
                ),
                f"({t} IS NOT NULL AND {t} NOT IN (SELECT unit FROM {STORE_UNITS}))",
                raw,
            )
            wanted = []
            if link.levels:
                wanted.append(f"level IN ({', '.join(repr(v) for v in link.levels)})")
            if link.kinds:
                wanted.append(f"kind IN ({', '.join(repr(v) for v in link.kinds)})")
            if wanted:
                allowed = "、".join([*(link.kinds or []), *(link.levels or [])])
                allowed_en = ", ".join([*(link.kinds or []), *(link.levels or [])])
                add(
                    link.column,
                    text(
                        f"不是{allowed}级（类）考核对象",
                        f"is not a unit of the kind and level {allowed_en}",
                    ),
                    f"({t} IN (SELECT unit FROM {STORE_UNITS}) AND {t} NOT IN "
                    f"(SELECT unit FROM {STORE_UNITS} WHERE {' AND '.join(wanted)}))",
                    raw,
                )
        return rules

    def with_layers(self, body: str, checks: bool = True) -> str:
        # The layers are read once per rule that refers back to the table: inline them.
        return f"WITH layers AS NOT MATERIALIZED (SELECT * FROM {self.layers(checks)}) {body}"

    def key_hash(self, key: list[str]) -> str:
        return f"hash({', '.join(self.typed(c) for c in key)})"

    def key_present(self, key: list[str]) -> str:
        return " AND ".join(f"{self.typed(c)} IS NOT NULL" for c in key)
