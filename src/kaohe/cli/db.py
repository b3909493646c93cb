"""``kaohe db``: the platform database (SQLite under the working directory, or $KAOHE_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import text
from .app import app, console, user_errors
from .data import progress_display

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.

db_app = typer.Typer(
    help="平台数据库 The platform database: upgrade, status.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

URL = typer.Option("--url", help="Database URL (default: $KAOHE_DATABASE_URL or ./kaohe.db).")


@db_app.command()
@user_errors
def upgrade(url: Annotated[str, URL] = "") -> None:
    """Create or migrate the schema to this version of Kaohe."""
    from ..store import Database, migrate

    db = Database.connect(url or None)
    try:
        migrate.upgrade(db.write_engine)
        console.print(
            text(
                f"数据库已升级到 {migrate.head()}：{_safe(db.url)}",
                f"database upgraded to {migrate.head()}: {_safe(db.url)}",
            )
        )
    finally:
        db.dispose()


@db_app.command()
@user_errors
def status(url: Annotated[str, URL] = "") -> None:
    """Show the schema version; exit 2 when it is not current."""
    from ..store import Database, migrate

    db = Database.connect(url or None)
    try:
        console.print(
            text(
                f"{_safe(db.url)}：当前 {migrate.current(db.engine) or '（空）'}，最新 {migrate.head()}",
                f"{_safe(db.url)}: at {migrate.current(db.engine) or '(empty)'}, "
                f"latest {migrate.head()}",
            )
        )
        migrate.require_current(db.engine)
    finally:
        db.dispose()


def _safe(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _admin_session(url: str, action: str):
    """A writing session acting as the command-line administrator (audited as ``cli``)."""
    from ..store import Database, require_current

    db = Database.connect(url or None)
    require_current(db.engine)
    return db, db.write("cli", action)


def _cli_actor():
    from ..workflow.roles import Actor

    return Actor(user_id=0, username="cli", role="admin")


@db_app.command("import-units")
@user_errors
def import_units_command(
    file: Annotated[Path, typer.Argument(help="units.csv (unit, name, parent, level, kind, …)")],
    url: Annotated[str, URL] = "",
) -> None:
    """Insert or update the units (考核对象) of a units.csv."""
    from ..store.units import import_units

    db, transaction = _admin_session(url, "units.import")
    with transaction as session:
        count = import_units(session, file)
    db.dispose()
    console.print(text(f"已导入 {count} 个单位", f"{count} units imported"))


@db_app.command("create-user")
@user_errors
def create_user_command(
    username: Annotated[str, typer.Argument()],
    role: Annotated[
        str,
        typer.Option(
            help="admin, assessor, province, county, verifier, "
            "reviewer, approver, finance, regulator, auditor"
        ),
    ],
    unit: Annotated[str, typer.Option(help="Unit code (province and county officers).")] = "",
    team: Annotated[str, typer.Option(help="Verification team name (verifiers).")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    url: Annotated[str, URL] = "",
) -> None:
    """Create an account (the password is asked for, and stored as an argon2 hash)."""
    from ..errors import UsageError
    from ..workflow.accounts import create_account
    from ..workflow.roles import ROLES

    if role not in ROLES:
        raise UsageError(
            text(
                f"未知角色 {role}；可选：{', '.join(ROLES)}",
                f"unknown role {role}; use one of {', '.join(ROLES)}",
            )
        )
    if role in ("province", "county") and not unit:
        raise UsageError(text("省级、县级填报员需要 --unit", "province and county need --unit"))
    if role == "verifier" and not team:
        raise UsageError(text("第三方评估人员需要 --team", "a verifier needs --team"))
    db, transaction = _admin_session(url, "user.create")
    with transaction as session:
        create_account(session, _cli_actor(), username, role, password, unit, team)
    db.dispose()
    console.print(text(f"已创建用户 {username}", f"user {username} created"))


@db_app.command("issue-token")
@user_errors
def issue_token_command(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    url: Annotated[str, URL] = "",
) -> None:
    """Issue an API token for a user; it is printed once and stored only as its sha256."""
    from ..workflow.accounts import find_account, issue_api_token

    db, transaction = _admin_session(url, "token.issue")
    with transaction as session:
        issued = issue_api_token(session, _cli_actor(), find_account(session, username).id, name)
    db.dispose()
    console.print(issued.token, highlight=False)


@db_app.command("revoke-token")
@user_errors
def revoke_token_command(
    token_id: Annotated[int, typer.Argument(help="The token's number (see the web page).")],
    url: Annotated[str, URL] = "",
) -> None:
    """Revoke an API token: it stops working at once."""
    from ..workflow.accounts import revoke_api_token

    db, transaction = _admin_session(url, "token.revoke")
    with transaction as session:
        revoke_api_token(session, _cli_actor(), token_id)
    db.dispose()
    console.print(text(f"令牌 {token_id} 已吊销", f"token {token_id} revoked"))


@db_app.command("disable-user")
@user_errors
def disable_user_command(
    username: Annotated[str, typer.Argument()],
    enable: Annotated[bool, typer.Option("--enable", help="Enable again instead.")] = False,
    url: Annotated[str, URL] = "",
) -> None:
    """Disable an account (its sessions and tokens stop working at once), or --enable it."""
    from ..workflow.accounts import find_account, set_active

    db, transaction = _admin_session(url, "user.enable" if enable else "user.disable")
    with transaction as session:
        set_active(session, _cli_actor(), find_account(session, username).id, enable)
    db.dispose()
    console.print(
        text(
            f"用户 {username} 已{'启用' if enable else '停用'}",
            f"user {username} {'enabled' if enable else 'disabled'}",
        )
    )


@db_app.command("reset-password")
@user_errors
def reset_password_command(
    username: Annotated[str, typer.Argument()],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    url: Annotated[str, URL] = "",
) -> None:
    """Set a new password (asked for); the user's open sessions end."""
    from ..workflow.accounts import find_account, reset_password

    db, transaction = _admin_session(url, "user.password")
    with transaction as session:
        reset_password(session, _cli_actor(), find_account(session, username).id, password)
    db.dispose()
    console.print(text(f"用户 {username} 的密码已重置", f"password of {username} reset"))


@db_app.command("create-cycle")
@user_errors
def create_cycle_command(
    scheme: Annotated[str, typer.Option(help="Scheme id, e.g. provincial-effectiveness-2016.")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2020.")],
    title: Annotated[str, typer.Option(help="Title shown to users.")],
    deadline: Annotated[list[str], typer.Option(help="state=YYYY-MM-DD, repeatable.")] = [],  # noqa: B006
    url: Annotated[str, URL] = "",
) -> None:
    """Open a new assessment cycle (考核周期) in the state 考核办法发布."""
    from ..workflow.cycles import create_cycle
    from .app import parse_params

    db, transaction = _admin_session(url, "cycle.create")
    with transaction as session:
        cycle = create_cycle(
            session,
            _cli_actor(),
            scheme,
            period,
            title,
            {k: str(v) for k, v in parse_params(deadline).items()},
        )
        cycle_id = cycle.id
    db.dispose()
    console.print(text(f"已创建考核周期 {cycle_id}", f"cycle {cycle_id} created"))


@db_app.command("import-run")
@user_errors
def import_run_command(
    cycle: Annotated[int, typer.Option(help="Cycle id.")],
    run: Annotated[Path, typer.Option(help="Run directory written by kaohe assess.")],
    url: Annotated[str, URL] = "",
) -> None:
    """Import a run's results (results.csv, explain.json, manifest.json) into a cycle."""
    import kaohe.workflow  # noqa: F401  (installs the lock on approved data)

    from ..workflow.platform_results import import_run

    db, transaction = _admin_session(url, "results.import")
    # pulses while the run is read and checked, then counts the result rows written (one a unit)
    with progress_display() as display, transaction as session:
        task = display.add_task(text("导入考核结果", "importing the run"), total=None)
        imported = import_run(
            session,
            _cli_actor(),
            cycle,
            run,
            progress=_counting(display, task, text("写入考核结果", "writing result rows")),
        )
        run_id = imported.id
    db.dispose()
    console.print(text(f"已导入考核结果（run {run_id}）", f"run {run_id} imported"))


def _counting(display, task, description: str):
    """A count (done, total) that moves ``task`` of ``display``, named ``description`` once the
    counting starts."""

    def count(done: int, total: int) -> None:
        display.update(task, completed=done, total=total, description=description)

    return count


class ComputeDisplay:
    """Follows a computation on a progress bar: each step moves it to the step's share of the
    work and names it (``steps``: the computation's ``STEPS``, as on the web's job page)."""

    def __init__(self, display, steps: dict[str, tuple[float, str, str]]):
        self.display, self.steps = display, steps
        self.task = display.add_task(text("计算", "computing"), total=1.0)

    def step(self, name: str) -> None:
        share, zh, en = self.steps[name]
        self.display.update(self.task, completed=share, description=text(zh, en))

    def attempt(self, directory: Path) -> None:
        pass

    def imported(self, session, run_id: int) -> None:
        self.display.update(self.task, completed=1.0)


@db_app.command("compute")
@user_errors
def compute_command(
    cycle: Annotated[int, typer.Option(help="Cycle id (in the computation state).")],
    url: Annotated[str, URL] = "",
) -> None:
    """Compute a cycle's results from its accepted submissions and import them (as the web's
    compute button does; KAOHE_RUNS_DIR, KAOHE_BASE_DATA, KAOHE_SCHEMES_DIR apply)."""
    from ..store import Database, require_current
    from ..workflow.computation import STEPS, ComputeSettings, compute

    db = Database.connect(url or None)
    try:
        require_current(db.engine)
        with progress_display() as display:
            run_id = compute(
                db,
                _cli_actor(),
                cycle,
                ComputeSettings.from_env(),
                progress=ComputeDisplay(display, STEPS),
            )
    finally:
        db.dispose()
    console.print(
        text(f"已计算并导入考核结果（run {run_id}）", f"run {run_id} computed and imported")
    )


@db_app.command("import-ledger")
@user_errors
def import_ledger_command(
    ledger: Annotated[Path, typer.Option(help="The outcomes ledger directory (kaohe outcomes).")],
    cycle: Annotated[
        int | None,
        typer.Option(
            help="Put every item in this cycle (default: the cycle of its scheme and period)."
        ),
    ] = None,
    url: Annotated[str, URL] = "",
) -> None:
    """Bring a ledger's findings and rectification items into the platform's rectification pages
    (again: updates them, never duplicates). The platform then appends its own evidence and
    decisions on those items to the ledger."""
    from ..workflow.ledger_import import import_ledger

    db, transaction = _admin_session(url, "rectification.import-ledger")
    # pulses while the ledger's chain and items are checked, then counts the items written
    with progress_display() as display, transaction as session:
        task = display.add_task(text("导入整改台账", "importing the ledger"), total=None)
        done = import_ledger(
            session,
            _cli_actor(),
            ledger,
            cycle,
            progress=_counting(display, task, text("写入台账事项", "writing ledger items")),
        )
    db.dispose()
    console.print(
        text(
            f"整改台账已导入：新增 {done.added} 项，更新 {done.updated} 项，未变 {done.unchanged} 项",
            f"ledger imported: {done.added} new, {done.updated} updated, {done.unchanged} unchanged",
        )
    )
