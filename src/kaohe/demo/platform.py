"""``kaohe serve --demo``: the synthetic national data set loaded into the platform, the
provincial campaign over four years and the banks' cycle, and one account per role (passwords
generated and printed at start).

The provinces, counties and households are one panel (the same seed, each year generated as that
year: ``demo.years``), so a province's path over the years is its own:

- 2016 and 2017 provincial effectiveness: results published; the cycle closed (2016: every
  rectification item verified and closed) or in outcomes (2017: half closed, half overdue);
- 2018 provincial effectiveness (last year): results published, feedback window open, findings
  (with their origins) and rectification items; the provinces' self-evaluations, every fourth
  overstated (自评虚高, a finding at the import);
- 2019 provincial effectiveness: self-assessment and data submission open; sampled households
  assigned to two verification teams; last year's figures held, so templates come prefilled;
- 2019 financial institutions: results computed and waiting for review and approval.

Each year's run carries last year's grade (``--previous``), as ``kaohe demo`` does.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import UsageError
from ..i18n import text
from ..run import assess
from ..run.previous import open_previous
from ..scheme import bundled_schemes, load_scheme
from ..store import Database
from ..store.accounts import hash_password
from ..store.models import Cycle, Figure, Team, Unit, User
from ..store.units import import_units
from ..workflow import cycles, findings, rectification, self_evaluation, verification
from ..workflow import platform_results as results
from ..workflow.accounts import generated_password
from ..workflow.roles import ROLES, Actor
from ..workflow.sessions import end_user_sessions
from .years import demo_year

PROVINCIAL = "provincial-effectiveness-2016"
BANKS = "financial-institutions-2021"
DEMO_PERSONS = 40_000
# Written into a year's data directory once its generation is complete.
COMPLETE = ".complete"


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


def campaign_cycle(year: int, deadlines: dict[str, int] | None = None) -> DemoCycle:
    return DemoCycle(
        PROVINCIAL,
        str(year),
        f"省级党委和政府扶贫开发工作成效考核（{year}年度）",
        deadlines or {},
    )


# Past years: published. How far each got after publication, and what became of its items.
PAST = {
    2016: ("closed", "closed"),  # every item verified and closed
    2017: ("outcomes", "half"),  # half closed, half left overdue
    2018: ("feedback", "open"),  # last year: the feedback window open, items due in 60 days
}
LAST_YEAR = campaign_cycle(2018, {"feedback": 14, "outcomes": 90})
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
class LoadStep:
    key: str
    zh: str
    en: str
    share: float  # of a first load's time (measured on 2 cores, 2026-12-04; they add up to 1)


# The steps of a first load, in order; their shares move the progress bar at the pace of the load.
LOAD_STEPS = (
    *(
        LoadStep(f"data-{y}", f"生成{y}年度演示数据", f"generating the {y} demo data", 0.09)
        for y in (*PAST, 2019)
    ),
    LoadStep("units", "导入考核对象", "importing the units", 0.01),
    LoadStep("accounts", "创建演示账号", "creating the demo accounts", 0.02),
    *(
        LoadStep(f"run-{y}", f"计算{y}年度省级考核", f"assessing the {y} provinces", 0.09)
        for y in PAST
    ),
    LoadStep("run-banks", "计算2019年度金融机构考核", "assessing the 2019 banks", 0.06),
    *(
        LoadStep(f"cycle-{y}", f"导入{y}年度结果与问题", f"importing the {y} results", 0.05)
        for y in PAST
    ),
    LoadStep("figures", "导入往年数据", "importing last year's figures", 0.01),
    LoadStep("cycle-2019", "开启2019年度考核", "opening the 2019 cycle", 0.02),
    LoadStep("cycle-banks", "导入金融机构考核结果", "importing the banks' results", 0.02),
)

Progress = Callable[[float, str], None]


class _Steps:
    """Reports each step of the load to ``progress`` as (fraction done, step key)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        total = sum(step.share for step in LOAD_STEPS)
        self.begin, done = {}, 0.0
        for step in LOAD_STEPS:
            self.begin[step.key] = (done / total, step.share / total)
            done += step.share

    def start(self, key: str) -> Callable[[float], None]:
        """The step ``key`` begins; the callback returned reports the part of it done (0–1)."""
        begin, share = self.begin[key]

        def part(done: float) -> None:
            if self.progress is not None:
                self.progress(min(1.0, begin + share * min(done, 1.0)), key)

        part(0.0)
        return part


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str


def _generate(
    directory: Path, seed: int, year: int, persons: int, part: Callable[[float], None]
) -> None:
    """``year``'s data of the panel (the same seed every year) into ``directory``; a directory
    whose generation was stopped half-way (no ``COMPLETE`` marker) is made again."""
    marker = directory / COMPLETE
    if marker.exists():
        return
    if directory.exists():
        shutil.rmtree(directory)
    # Imported here: the generator pulls in statsmodels (about 3.5 s), which a start whose demo
    # is loaded never needs and a first start needs only once its page answers.
    from .generate import generate_demo

    written = 0

    def counted(count: int) -> None:
        nonlocal written
        written += count
        part(0.7 * written / persons)  # the files of the whole country are written last

    with demo_year(year):
        generate_demo(directory, seed, persons, progress=counted)
    marker.write_text(json.dumps({"seed": seed, "year": year, "persons": persons}) + "\n")


def _run(scheme: str, data: Path, out: Path, year: int, previous: Path | None = None) -> Path:
    """``scheme`` on ``year``'s data; with last year's run, its grades carried (``--previous``)."""
    if not (out / "explain.json").exists():
        with demo_year(year):
            last = None
            if previous is not None:
                last = open_previous(previous, load_scheme(str(bundled_schemes()[scheme])))
            assess(scheme, data, out, period=str(year), previous=last)
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


def _findings_and_items(
    session: Session,
    admin: Actor,
    assessor: Actor,
    cycle: Cycle,
    data: Path,
    team: int,
    items: str,
    today: dt.date,
    years_ago: int,
) -> None:
    """The year's findings, each with its rectification item, due 60 days after the year's
    decision (a year earlier per year back); ``items``: "open", "half" (every other one closed)
    or "closed" (each province sent its evidence and the assessor closed the item)."""
    deadline = today + dt.timedelta(days=60 - 365 * years_ago)
    for index, row in enumerate(_rows(data / "findings.csv")):
        finding = findings.create_finding(
            session,
            assessor,
            cycle.id,
            row["unit"],
            row["kind"],
            int(row["cases"]),
            origin=row.get("origin") or findings.ASSESSMENT,  # files from before origins
        )
        item = rectification.create(
            session,
            assessor,
            cycle.id,
            row["unit"],
            text(f"整改：{row['kind']}", f"rectify: {row['kind']}"),
            deadline,
            finding_id=finding.id,
            team_id=team,
        )
        if items == "closed" or (items == "half" and index % 2 == 0):
            unit = session.get(Unit, row["unit"])
            # the province's office sends the evidence (the demo has one account per role, so
            # each province acts here under its own code)
            office = Actor(admin.user_id, f"demo-{unit.code}", "province", unit.code, unit.path)
            note = text("已按期完成整改", "rectified in time")
            rectification.submit_evidence(
                session, office, item.id, "整改报告.pdf", b"%PDF-1.4 demo", note
            )
            rectification.verify(session, assessor, item.id, True, text("销号", "closed"))


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


def demo_state(db: Database) -> str:
    """``"loaded"`` when ``db`` holds the whole demo (the banks' cycle, written last, in the load's
    last transaction); ``"partial"`` when a load was stopped half-way (Ctrl-C, a kill: the
    cycles written before remain); else ``"empty"``."""
    with db.read() as session:
        schemes = set(session.scalars(select(Cycle.scheme).distinct()))
    if BANKS in schemes:
        return "loaded"
    return "partial" if PROVINCIAL in schemes else "empty"


def demo_loaded(db: Database) -> bool:
    """Whether ``db`` already holds the demo: a start then only issues new passwords."""
    return demo_state(db) == "loaded"


def partial_demo_error(db: Database) -> UsageError:
    return UsageError(
        text(
            f"数据库 {db.url} 中的演示数据没有载入完（上次载入被中断）：请删除该数据库或换一个空库后"
            "重新运行 kaohe serve --demo",
            f"the database {db.url} holds a demo whose load was stopped half-way: remove that "
            "database (or give an empty one), then run kaohe serve --demo again",
        )
    )


def load_demo(
    db: Database,
    directory: Path,
    seed: int = 2016,
    progress: Progress | None = None,
    persons: int | None = None,
) -> list[DemoAccount]:
    """Load (once) the demo into ``db``; returns fresh demo accounts. ``progress`` is called with
    the fraction done (0–1) and the key of the step under way (``LOAD_STEPS``); ``persons``: the
    panel's registry size each year (default ``DEMO_PERSONS``)."""
    directory = Path(directory)
    persons = persons or DEMO_PERSONS
    data = directory / "data"  # this year's (2019)
    years = {year: directory / f"data-{year}" for year in PAST}
    state = demo_state(db)
    if state == "loaded":
        return _accounts(db)
    if state == "partial":
        raise partial_demo_error(db)
    steps = _Steps(progress)
    for year, folder in (*years.items(), (2019, data)):
        _generate(folder, seed, year, persons, steps.start(f"data-{year}"))
    steps.start("units")
    with db.write("demo", "demo.units") as session:
        import_units(session, data / "units.csv")  # the panel's units: the same every year
    steps.start("accounts")
    accounts = _accounts(db)
    with db.read() as session:
        users = {
            u.role: Actor.of(u)
            for u in session.scalars(select(User).where(User.username.like("demo_%")))
        }
        teams = list(session.scalars(select(Team.id).order_by(Team.id)))
    admin, assessor = users["admin"], users["assessor"]
    today = dt.date.today()
    # the runs are computed before their cycle's transaction opens (no write lock held meanwhile)
    runs, previous = {}, None
    for year, folder in years.items():
        steps.start(f"run-{year}")
        runs[year] = _run(
            PROVINCIAL, folder, directory / f"runs-{year}" / PROVINCIAL, year, previous
        )
        previous = runs[year]
    steps.start("run-banks")
    banks_run = _run(BANKS, data, directory / "runs" / BANKS, 2019)
    for year, (state, items) in PAST.items():
        steps.start(f"cycle-{year}")
        with db.write("demo", f"demo.cycle-{year}") as session:
            cycle = campaign_cycle(year) if year != 2018 else LAST_YEAR
            created = _computed_cycle(
                session, admin, assessor, cycle, today, runs[year], year == 2018
            )
            _findings_and_items(
                session, admin, assessor, created, years[year], teams[0], items, today, 2018 - year
            )
            created.state = state
    # Figures Kaohe already holds: last year's survey (the 2019 file's "last year" column).
    steps.start("figures")
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
    steps.start("cycle-2019")
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
    last = steps.start("cycle-banks")
    with db.write("demo", "demo.cycle-banks") as session:
        cycle = _computed_cycle(session, admin, assessor, BANKS_CYCLE, today, banks_run)
        cycles.move(session, assessor, cycle.id, "review")
    last(1.0)
    return accounts
