"""``kaohe serve``: the web platform on 127.0.0.1:8000 (SQLite under the working directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import text
from .app import app, console, user_errors

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
        bool, typer.Option("--demo", help="Load the demo data and demo accounts first.")
    ] = False,
    demo_dir: Annotated[
        Path, typer.Option(help="Where the demo data and its database live.")
    ] = Path("kaohe-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the demo data.")] = 2016,
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

    if demo and not url and not os.environ.get("KAOHE_DATABASE_URL"):
        demo_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{demo_dir.resolve() / 'kaohe.db'}"
    db = Database.connect(url or None)
    if demo:
        migrate.upgrade(db.write_engine)
        from ..demo.platform import load_demo

        console.print(text("正在载入演示数据……", "loading the demo data…"))
        accounts = load_demo(db, demo_dir, seed)
        # The compute button of the demo reads the registry and other sources the platform does
        # not collect from the demo's data, and writes its runs beside it.
        os.environ.setdefault("KAOHE_BASE_DATA", str((demo_dir / "data").resolve()))
        os.environ.setdefault("KAOHE_RUNS_DIR", str((demo_dir / "runs-platform").resolve()))
        console.print(
            text(
                "演示账号（每次启动重新生成密码）：",
                "demo accounts (passwords are new at every start):",
            )
        )
        for account in accounts:
            console.print(
                f"  {account.role:<10} {account.username:<16} {account.password:<14} "
                f"{account.scope}",
                highlight=False,
            )
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

        uvicorn.run(
            create_app(db),
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
