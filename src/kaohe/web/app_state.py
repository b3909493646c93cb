"""What every handler reaches through the app: the database (and a write run off the event
loop), the cache of result views, the compute settings, and the date deadlines are checked
against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..store import Database
from ..workflow.computation import ComputeSettings
from ..workflow.result_views import ResultViews
from ..workflow.roles import Actor


def db(request: Request) -> Database:
    return request.app.state.db


T = TypeVar("T")


async def write_off_loop(request: Request, actor: Actor, action: str, work: Callable[..., T]) -> T:
    """``work(session)`` in one transaction audited as ``action``, in a worker thread: checking a
    file and the database block. ``work`` returns plain values: its rows expire on commit."""

    def run() -> T:
        with db(request).write(actor.username, action) as session:
            return work(session)

    return await run_in_threadpool(run)


def result_views(request: Request) -> ResultViews:
    return request.app.state.result_views


def compute_settings(request: Request) -> ComputeSettings:
    return request.app.state.compute


def today() -> dt.date:
    return dt.date.today()
