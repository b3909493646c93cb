"""Fixtures for every test folder."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
from pathlib import Path

import pytest
from tests.support.browser import ARGS, CHROMIUM

from kaohe import i18n

# The one demo data set of a test session (issue 12): every folder that needs demo data reads it
# through ``demo_data`` instead of generating its own. 60,000 persons give about 200 exited
# households a province, the minimum of the quality checks' bunching test.
DEMO_SEED = 2016
DEMO_PERSONS = 60_000


@pytest.fixture(autouse=True)
def fresh_language():
    """A language chosen by an earlier command (``kaohe --lang en``) must not leak into the next
    test: each test starts from the environment's choice (KAOHE_LANG, else Chinese)."""
    token = i18n._current.set(None)
    yield
    try:
        i18n._current.reset(token)
    except ValueError:  # the test ran its code in another context; nothing of ours to undo
        i18n._current.set(None)


def _set_writable(directory: Path, writable: bool) -> None:
    for root, dirs, files in os.walk(directory):
        for name in files:
            path = Path(root) / name
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)
        for name in [*dirs, ""]:
            path = Path(root) / name if name else Path(root)
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


def copy_demo_data(source: Path, target: Path) -> Path:
    """A writable copy of the (read-only) demo data set at ``target``."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)
    _set_writable(target, True)
    return target


@pytest.fixture(scope="session")
def demo_settings() -> dict[str, int]:
    """The seed and size of ``demo_data``, for tests that regenerate it (determinism)."""
    return {"seed": DEMO_SEED, "persons": DEMO_PERSONS}


def _generate_read_only(directory: Path, settings: dict[str, int]) -> None:
    from kaohe.demo.generate import generate_demo  # imported by the sessions that need it

    generate_demo(directory, **settings)
    _set_writable(directory, False)  # pytest removes read-only temp dirs all the same


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory, demo_settings) -> Path:
    """The demo data set, generated once per session and read-only: a test that adds or
    changes files takes ``demo_copy`` (or ``copy_demo_data`` for a wider scope).

    Under pytest-xdist the workers share one: the first to need it generates it while the
    others wait on a lock (the pattern of the pytest-xdist docs), in the directory of the
    session that holds every worker's temp dir."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        directory = tmp_path_factory.mktemp("demo-data") / "data"
        _generate_read_only(directory, demo_settings)
        return directory
    shared = tmp_path_factory.getbasetemp().parent / "demo-data"
    shared.mkdir(exist_ok=True)
    directory, complete = shared / "data", shared / "complete"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not complete.exists():
            if directory.exists():  # left half-written by a worker that died
                _set_writable(directory, True)
                shutil.rmtree(directory)
            _generate_read_only(directory, demo_settings)
            complete.touch()
    return directory


@pytest.fixture(scope="session")
def copy_demo(demo_data, tmp_path_factory):
    """``copy_demo(name)``: a writable copy of ``demo_data`` in a fresh temp directory (for
    session- or module-scoped fixtures that add files to the demo, such as the sector sources)."""

    def copy(name: str = "demo-copy") -> Path:
        return copy_demo_data(demo_data, tmp_path_factory.mktemp(name) / "data")

    return copy


@pytest.fixture
def demo_copy(demo_data, tmp_path) -> Path:
    """A writable copy of ``demo_data`` for one test."""
    return copy_demo_data(demo_data, tmp_path / "demo-data")


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process; every test opens its own pages (each in a new context).
    One for every folder: Playwright's sync API runs one instance per thread, so a second
    ``sync_playwright()`` in the same process fails while this one is open."""
    from playwright.sync_api import sync_playwright  # loaded when a test needs a browser

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=20000)
        yield instance
        instance.close()
