"""``kaohe serve``: the web platform on 127.0.0.1:8000 (SQLite under the working directory)."""

from __future__ import annotations

import contextvars
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..i18n import text
from .app import app, console, errors, user_errors

if TYPE_CHECKING:
    from ..demo.platform import DemoAccount
    from ..store import Database
    from ..web.demo_loading import DemoLoading

# Commands import their area inside the function: `kaohe --help` and every command then start
# without loading what other commands need (DuckDB, SQLAlchemy, FastAPI, WeasyPrint): about
# 1 s instead of 4 s.


def proxy_options(forwarded_allow_ips: str) -> dict[str, object]:
    """uvicorn's options for X-Forwarded-For/-Proto: honoured only from the proxies named.
    uvicorn's own default trusts 127.0.0.1 (and $FORWARDED_ALLOW_IPS), so anything on this host
    could claim any client address and slip past the per-address login delay; name no proxy and
    the headers are ignored."""
    named = forwarded_allow_ips.strip()
    if not named:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": named}


def print_accounts(accounts: list[DemoAccount]) -> None:
    console.print(
        text(
            "演示账号（每次启动重新生成密码）：",
            "demo accounts (passwords are new at every start):",
        )
    )
    for account in accounts:
        console.print(
            f"  {account.role:<10} {account.username:<16} {account.password:<14} {account.scope}",
            highlight=False,
        )


def load_in_background(
    db: Database, directory: Path, seed: int, loading: DemoLoading, persons: int | None = None
) -> threading.Thread:
    """Load the demo in a thread while the platform answers with ``loading``'s progress; print
    the accounts when it is done, or the error if it fails (the page then shows it too)."""
    from ..demo.platform import load_demo
    from ..errors import KaoheError
    from .data import progress_display

    def load() -> None:
        started = time.perf_counter()
        try:
            with progress_display() as display:
                task = display.add_task(text("载入演示数据", "loading the demo data"), total=1.0)

                def report(fraction: float, step: str) -> None:
                    loading.report(fraction, step)
                    display.update(task, completed=fraction, description=loading.step_label())

                accounts = load_demo(db, directory, seed, progress=report, persons=persons)
        # Whatever stops the load must reach the page and the terminal: an exception left to
        # end this thread would leave the page saying "loading" for ever.
        except KaoheError as error:
            loading.fail(str(error))
            errors.print(
                text(f"演示数据载入失败：{error}", f"the demo could not be loaded: {error}"),
                highlight=False,
                markup=False,
            )
            return
        except Exception as error:
            loading.fail(f"{type(error).__name__}: {error}")
            errors.print(text("演示数据载入失败：", "the demo could not be loaded:"))
            errors.print_exception()
            return
        loading.finish()
        elapsed = time.perf_counter() - started
        console.print(
            text(f"演示数据已载入（{elapsed:.0f} 秒）", f"demo data loaded in {elapsed:.0f} s")
        )
        print_accounts(accounts)

    # the command's language (--lang) lives in a context variable the thread must see
    thread = threading.Thread(
        target=contextvars.copy_context().run, args=(load,), name="demo-load", daemon=True
    )
    thread.start()
    return thread


def _start_demo_afresh(db, own_file: Path | None):
    """A demo whose load was stopped half-way: its own SQLite file is removed and made again (it
    holds nothing but the demo); a database the user gave is left alone, with the error."""
    from ..demo.platform import partial_demo_error
    from ..store import Database, migrate

    if own_file is None:
        raise partial_demo_error(db)
    db.dispose()
    for path in (own_file, *(own_file.with_name(own_file.name + e) for e in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)
    console.print(
        text(
            "上次演示数据载入被中断：重新载入",
            "the last load of the demo was stopped half-way: loading it again",
        )
    )
    fresh = Database.connect(f"sqlite:///{own_file}")
    migrate.upgrade(fresh.write_engine)
    return fresh


@app.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    url: Annotated[
        str,
        typer.Option("--url", help="Database URL (default: $KAOHE_DATABASE_URL or ./kaohe.db)."),
    ] = "",
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo data and demo accounts (on a new database in the background: pages show the progress until it is loaded).",
        ),
    ] = False,
    demo_dir: Annotated[
        Path, typer.Option(help="Where the demo data and its database live.")
    ] = Path("kaohe-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the demo data.")] = 2016,
    demo_persons: Annotated[
        int | None,
        typer.Option(
            min=1000,
            help="Registry persons of the demo's panel each year (default 40,000; a new demo "
            "directory only: its data is made once).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes (each a copy of the app; about one per core). With more than "
            "one, sessions are signed with $KAOHE_SECRET, or a secret made for this start."
        ),
    ] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are "
            "believed (comma-separated IPs or networks, e.g. 127.0.0.1 for nginx on this host). "
            "Default: none, the headers are ignored.",
        ),
    ] = "",
) -> None:
    """Run the web platform. Refuses an out-of-date schema (run `kaohe db upgrade`)."""
    import os

    import uvicorn

    from ..store import Database, migrate

    own_file = None  # the demo's own SQLite file, when no database was given
    if demo and not url and not os.environ.get("KAOHE_DATABASE_URL"):
        demo_dir.mkdir(parents=True, exist_ok=True)
        own_file = demo_dir.resolve() / "kaohe.db"
        url = f"sqlite:///{own_file}"
    db = Database.connect(url or None)
    loading = None
    if demo:
        migrate.upgrade(db.write_engine)
        from ..demo.platform import LOAD_STEPS, demo_loaded, demo_state, load_demo

        if demo_state(db) == "partial":
            db = _start_demo_afresh(db, own_file)

        # The compute button of the demo reads the registry and other sources the platform does
        # not collect from the demo's data, and writes its runs beside it.
        os.environ.setdefault("KAOHE_BASE_DATA", str((demo_dir / "data").resolve()))
        os.environ.setdefault("KAOHE_RUNS_DIR", str((demo_dir / "runs-platform").resolve()))
        # A first load takes a while: one process serves the loading page meanwhile. Several
        # workers are separate processes that build their own app from the environment and
        # could not see this process's loading state, so they start once the demo is loaded.
        if workers < 2 and not demo_loaded(db):
            from ..web.demo_loading import DemoLoading

            loading = DemoLoading({step.key: (step.zh, step.en) for step in LOAD_STEPS})
            console.print(
                text(
                    "首次启动：演示数据在后台载入，网页显示进度；载入后打印演示账号",
                    "first start: the demo data loads in the background and the pages show its "
                    "progress; the demo accounts are printed once it is loaded",
                )
            )
        else:
            console.print(text("正在载入演示数据……", "loading the demo data…"))
            print_accounts(load_demo(db, demo_dir, seed, persons=demo_persons))
    migrate.require_current(db.engine)
    # A mistyped session, login or job setting stops the start here (exit 2, naming the variable)
    # rather than failing every request later; the workers read the same environment.
    from ..workflow.authentication import LoginRules
    from ..workflow.jobs import stale_after
    from ..workflow.sessions import SessionRules

    SessionRules.from_env()
    LoginRules.from_env()
    stale_after()
    console.print(
        text(f"考核平台：http://{host}:{port}/", f"Kaohe platform: http://{host}:{port}/")
    )
    if workers < 2:
        from ..web import create_app

        web_app = create_app(db, demo_loading=loading)
        if loading is not None:
            load_in_background(db, demo_dir, seed, loading, demo_persons)
        uvicorn.run(
            web_app,
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
            **proxy_options(forwarded_allow_ips),
        )
        return
    # Several processes: uvicorn imports the app factory by name in each worker, so everything
    # a worker needs travels in the environment — the database and one secret shared by all
    # (a cookie signed by one worker must be accepted by the others).
    db.dispose()
    os.environ["KAOHE_DATABASE_URL"] = db.url
    if not os.environ.get("KAOHE_SECRET"):
        import secrets

        os.environ["KAOHE_SECRET"] = secrets.token_urlsafe(32)
    uvicorn.run(
        "kaohe.web.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        workers=workers,
        server_header=False,
        **proxy_options(forwarded_allow_ips),
    )
