"""Real test databases for the platform's tests: SQLite in a temporary file and PostgreSQL in a
schema of its own, both migrated with the shipped Alembic scripts (a test helper, not shipped).

``backends()`` lists the backends to parametrize over; PostgreSQL is skipped (with the reason)
only when it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import create_engine, delete, text, update

from kaohe.run import assess
from kaohe.store.database import Database
from kaohe.store.migrate import upgrade
from kaohe.store.models import AuditHead, Base, Role, Team, User
from kaohe.store.units import import_units

POSTGRES = os.environ.get(
    "KAOHE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure means: not available here
        return f"PostgreSQL at {POSTGRES} unreachable: {type(error).__name__}: {error}"
    return None


@contextmanager
def migrated_database(backend: str, directory: Path) -> Iterator[Database]:
    """A freshly migrated database; a PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        db = Database.connect(f"sqlite:///{directory / 'kaohe-test.db'}")
        upgrade(db.write_engine)
        try:
            yield db
        finally:
            db.dispose()
        return
    schema = f"kaohe_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database.connect(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(db.write_engine)
        db.schema = schema  # type: ignore[attr-defined]
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty(db: Database) -> None:
    """Delete every row but the seeded ones (roles, a reset audit head): a clean slate per test."""
    with db.write_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in (Role.__tablename__, AuditHead.__tablename__):
                continue
            connection.execute(delete(table))
        connection.execute(update(AuditHead).values(last_id=0, last_hash="0" * 64))


# --- a small world: two provinces with two counties each, a bank, one user per role -------

WORLD_UNITS = """unit,name,parent,level,kind,region,peer_group,reduction_plan
000000,全国,,nation,region,,,
130000,河北省,000000,province,region,中部,,0.3
130102,长安区,130000,county,region,中部,,
130104,桥西区,130000,county,region,中部,,
140000,山西省,000000,province,region,中部,,0.25
140105,小店区,140000,county,region,中部,,
140106,迎泽区,140000,county,region,中部,,
B001,中国农业银行,,bank,bank,,全国性银行,
"""

# username -> (role, unit, team); one per role, plus a second province and a second team
WORLD_USERS = {
    "admin": ("admin", None, None),
    "assessor": ("assessor", None, None),
    "hebei": ("province", "130000", None),
    "shanxi": ("province", "140000", None),
    "changan": ("county", "130102", None),
    "team_a": ("verifier", None, "第一评估组"),
    "team_b": ("verifier", None, "第二评估组"),
    "reviewer": ("reviewer", None, None),
    "approver": ("approver", None, None),
    "finance": ("finance", None, None),
    "regulator": ("regulator", None, None),
    "auditor": ("auditor", None, None),
}
WORLD_PASSWORD = "kaohe-test-password"
# The world's users log in hundreds of times a session. Their hash is a real argon2id hash, which
# the login checks like any other, made with the cheapest parameters argon2 allows instead of the
# shipped ones (64 MiB and 3 passes: slow on purpose, at every login). Accounts that tests create
# through the platform get the shipped parameters.
WORLD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(WORLD_PASSWORD)


def build_world(db: Database, directory: Path) -> dict[str, int]:
    """Units, teams and users (password ``WORLD_PASSWORD``); returns username -> user id."""

    file = directory / "units.csv"
    file.write_text(WORLD_UNITS, encoding="utf-8")
    ids = {}
    with db.write("setup", "world") as session:
        import_units(session, file)
        teams = {}
        for _role, _unit, team in WORLD_USERS.values():
            if team and team not in teams:
                teams[team] = Team(name=team)
                session.add(teams[team])
        session.flush()
        for username, (role, unit, team) in WORLD_USERS.items():
            user = User(
                username=username,
                display_name=username,
                password_hash=WORLD_HASH,
                role=role,
                unit_code=unit,
                team_id=teams[team].id if team else None,
                active=True,
            )
            session.add(user)
            session.flush()
            ids[username] = user.id
    return ids


WORLD_SCHEME = """\
id: world-test
title: 测试考核办法
version: "1"
policy_source: tests
assesses: {kind: region, level: province}
unit_attributes:
  region: {type: text, label: 区域}
sources:
  monitoring_survey:
    label: 农村贫困监测调查
    columns: {rural_population: number, income_per_capita: number, income_per_capita_last: number}
measures:
  income: {source: monitoring_survey, expr: "sum(income_per_capita * rural_population)", label: 收入}
  income_last: {source: monitoring_survey, expr: "sum(income_per_capita_last * rural_population)", label: 上年收入}
  population: {source: monitoring_survey, expr: "sum(rural_population)", label: 农村人口}
indicators:
  income_growth:
    label: 收入增长
    expr: "income / nullif(income_last, 0) - 1"
    target: 0.1
    score: {method: target, cap: 1.0}
  population_size:
    label: 农村人口规模
    expr: population
    score: {method: goalposts, min: 0, max: 100000}
tree:
  - {id: growth, label: 增长, points: 60, children: [income_growth]}
  - {id: scale, label: 规模, points: 40, children: [population_size]}
grading:
  method: bands
  bands: [[80, 好], [60, 较好], [null, 一般]]
"""

# The headers of the platform's monitoring-survey template (collection.yaml's labels), as an
# office's upload carries them.
SURVEY_HEADER = [
    "单位代码",
    "单位名称",
    "农村人口（人）",
    "农村居民人均可支配收入（元）",
    "上年农村居民人均可支配收入（元）",
    "是否贫困县",
    "是否计划本年退出",
    "是否已退出",
]

WORLD_SURVEY = """unit,rural_population,income_per_capita,income_per_capita_last,period
130102,30000,9000,8000,2019
130104,20000,8000,7600,2019
140105,50000,10000,9500,2019
140106,40000,9000,8900,2019
"""


def world_run(directory: Path) -> Path:
    """Run the world's scheme with the real engine; returns the run directory."""

    data = directory / "world-data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "units.csv").write_text(WORLD_UNITS, encoding="utf-8")
    (data / "monitoring_survey.csv").write_text(WORLD_SURVEY, encoding="utf-8")
    scheme = directory / "world-scheme.yaml"
    scheme.write_text(WORLD_SCHEME, encoding="utf-8")
    out = directory / "world-run"
    assess(str(scheme), data, out, period="2019")
    return out
