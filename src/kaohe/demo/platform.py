"""``kaohe serve --demo``: the synthetic national data set loaded into the platform, three cycles
in different states, and one account per role (passwords generated and printed at start).

- 2018 provincial effectiveness (last year, from a second synthetic data set, seed + 1): results
  published, feedback window open, findings (with their origins) and rectification items; the
  provinces' self-evaluations, every fourth overstated (自评虚高, a finding at the import).
- 2019 provincial effectiveness: self-assessment and data submission open; sampled households
  assigned to two verification teams; last year's figures held, so templates come prefilled.
- 2019 financial institutions: results computed and waiting for review and approval.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import text
from ..run import assess
from ..store import Database
from ..store.accounts import hash_password
from ..store.models import Cycle, Figure, Team, Unit, User
from ..store.units import import_units
from ..workflow import cycles, findings, rectification, self_evaluation, verification
from ..workflow import platform_results as results
from ..workflow.accounts import generated_password
from ..workflow.roles import ROLES, Actor
from ..workflow.sessions import end_user_sessions
from .generate import generate_demo
from .years import period

PROVINCIAL = "provincial-effectiveness-2016"
BANKS = "financial-institutions-2021"
DEMO_PERSONS = 40_000


@dataclass(frozen=True)
class DemoCycle:
    scheme: str
    period: str
    title: str
    deadlines: dict[str, int]  # state → days after the day the demo is loaded

    def create(self, session: Session, admin: Actor, today: dt.date) -> Cycle:
        due = {
            state: (today + dt.timedelta(days=days)).isoformat()
            for state, days in self.deadlines.items()
        }
        return cycles.create_cycle(session, admin, self.scheme, self.period, self.title, due)


# last year's: published, feedback open; this year's: submissions open; banks: in review
LAST_YEAR = DemoCycle(
    PROVINCIAL,
    "2018",
    "省级党委和政府扶贫开发工作成效考核（2018年度）",
    {"feedback": 14, "outcomes": 90},
)
THIS_YEAR = DemoCycle(
    PROVINCIAL,
    "2019",
    "省级党委和政府扶贫开发工作成效考核（2019年度）",
    {"submission": 30, "verification": 60},
)
BANKS_CYCLE = DemoCycle(
    BANKS, "2019", "金融机构服务乡村振兴考核评估（2019年度）", {"review": 7, "approval": 14}
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str


def _generate(directory: Path, seed: int) -> None:
    if not (directory / "units.csv").exists():
        generate_demo(directory, seed, DEMO_PERSONS)


def _run(scheme: str, data: Path, out: Path) -> Path:
    if not (out / "explain.json").exists():
        assess(scheme, data, out, period=period())
    return out


def _self_evaluations(
    session: Session, admin: Actor, cycle: Cycle, run_dir: Path, today: dt.date
) -> None:
    """Each province's self-evaluation, entered by the administrator: the assessed points raised
    by 5 % (within the threshold), or by 40 % for every fourth province (overstated)."""
    cycle.state = "submission"
    session.flush()
    outline = self_evaluation.scheme_outline(cycle.scheme)
    explained = json.loads((run_dir / "explain.json").read_text(encoding="utf-8"))["units"]
    for index, (unit, explain) in enumerate(sorted(explained.items())):
        raise_by = 1.4 if index % 4 == 3 else 1.05
        scores = {}
        for line in outline.indicators:
            points = (explain.get("indicators", {}).get(line.id) or {}).get("points")
            if points is not None:
                scores[line.id] = str(min(line.points, round(points * raise_by, 1)))
        self_evaluation.submit(
            session,
            admin,
            cycle.id,
            unit,
            outline,
            scores,
            {},
            text("全年目标任务基本完成，详见自评报告", "targets broadly met; see the report"),
            {},
            today,
        )


def _computed_cycle(
    session: Session,
    admin: Actor,
    assessor: Actor,
    cycle: DemoCycle,
    today: dt.date,
    run_dir: Path,
    self_evaluated: bool = False,
) -> Cycle:
    """The cycle moved straight to computation, with the run in ``run_dir`` imported (after the
    provinces' self-evaluations when ``self_evaluated``)."""
    created = cycle.create(session, admin, today)
    if self_evaluated:
        _self_evaluations(session, admin, created, run_dir, today)
    created.state = "computation"
    session.flush()
    results.import_run(session, assessor, created.id, run_dir)
    return created


def _accounts(db: Database) -> list[DemoAccount]:
    """One account per role; passwords are new at every start and printed once."""
    with db.read() as session:
        province = session.scalar(select(Unit).where(Unit.level == "province").order_by(Unit.code))
        county = session.scalar(
            select(Unit)
            .where(Unit.level == "county", Unit.parent == province.code)
            .order_by(Unit.code)
        )
    scopes = {"province": province, "county": county}
    accounts = []
    with db.write("demo", "demo.accounts") as session:
        teams = []
        for name in ("第三方评估一组", "第三方评估二组"):
            team = session.scalar(select(Team).where(Team.name == name))
            if team is None:
                team = Team(name=name)
                session.add(team)
                session.flush()
            teams.append(team)
        for role in ROLES:
            username = f"demo_{role}"
            password = generated_password()  # meets the password rule
            unit = scopes.get(role)
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(
                    username=username,
                    display_name=username,
                    role=role,
                    password_hash="",
                    active=True,
                )
                session.add(user)
            user.password_hash = hash_password(password)
            user.unit_code = unit.code if unit else None
            user.team_id = teams[0].id if role == "verifier" else None
            session.flush()
            end_user_sessions(session, user.id)  # a new password: yesterday's logins end
            scope = (
                unit.name
                if unit
                else (teams[0].name if role == "verifier" else text("全国", "nationwide"))
            )
            accounts.append(DemoAccount(username, password, role, scope))
    return accounts


def _rows(file: Path) -> list[dict]:
    with open(file, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_demo(db: Database, directory: Path, seed: int = 2016) -> list[DemoAccount]:
    """Load (once) the demo into ``db``; returns fresh demo accounts."""
    directory = Path(directory)
    data, last_year = directory / "data", directory / "data-2018"
    with db.read() as session:
        loaded = session.scalar(select(Cycle.id).where(Cycle.scheme == PROVINCIAL))
    if loaded is None:
        _generate(data, seed)
        _generate(last_year, seed + 1)
        with db.write("demo", "demo.units") as session:
            # last year's sample of counties differs: the platform holds both
            import_units(session, last_year / "units.csv")
            import_units(session, data / "units.csv")
    accounts = _accounts(db)
    if loaded is not None:
        return accounts
    with db.read() as session:
        users = {
            u.role: Actor.of(u)
            for u in session.scalars(select(User).where(User.username.like("demo_%")))
        }
        teams = list(session.scalars(select(Team.id).order_by(Team.id)))
    admin, assessor = users["admin"], users["assessor"]
    today = dt.date.today()
    # the runs are computed before their cycle's transaction opens (no write lock held meanwhile)
    last_run = _run(PROVINCIAL, last_year, directory / "runs-2018" / PROVINCIAL)
    banks_run = _run(BANKS, data, directory / "runs" / BANKS)
    with db.write("demo", "demo.cycle-2018") as session:
        cycle = _computed_cycle(session, admin, assessor, LAST_YEAR, today, last_run, True)
        for row in _rows(last_year / "findings.csv"):
            finding = findings.create_finding(
                session,
                assessor,
                cycle.id,
                row["unit"],
                row["kind"],
                int(row["cases"]),
                origin=row.get("origin") or findings.ASSESSMENT,  # files from before origins
            )
            rectification.create(
                session,
                assessor,
                cycle.id,
                row["unit"],
                text(f"整改：{row['kind']}", f"rectify: {row['kind']}"),
                today + dt.timedelta(days=60),
                finding_id=finding.id,
                team_id=teams[0],
            )
        cycle.state = "feedback"
    # Figures Kaohe already holds: last year's survey (the 2019 file's "last year" column).
    with db.write("demo", "demo.figures") as session:
        for row in _rows(data / "monitoring_survey.csv"):
            session.add(
                Figure(
                    unit_code=row["unit"],
                    period="2018",
                    name="income_per_capita",
                    value=float(row["income_per_capita_last"]),
                    origin="demo: monitoring survey 2018",
                )
            )
    # 2019: submissions open, households assigned
    with db.write("demo", "demo.cycle-2019") as session:
        cycle = THIS_YEAR.create(session, admin, today)
        cycles.move(session, admin, cycle.id, "submission")
        checks = _rows(data / "field_checks.csv")
        for index, team in enumerate(teams):
            chunk = checks[index * 30 : (index + 1) * 30]
            verification.assign(
                session,
                assessor,
                cycle.id,
                team,
                [
                    {
                        "unit": r["unit"],
                        "household_id": r["household_id"],
                        "registered": r["registered"] == "true",
                        "exited": r["exited"] == "true",
                        "stratum": r["stratum"],
                        "weight": float(r["weight"]),
                    }
                    for r in chunk
                ],
            )
    # 2019 banks: computed, waiting for review
    with db.write("demo", "demo.cycle-banks") as session:
        cycle = _computed_cycle(session, admin, assessor, BANKS_CYCLE, today, banks_run)
        cycles.move(session, assessor, cycle.id, "review")
    return accounts
