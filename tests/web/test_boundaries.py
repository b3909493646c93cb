"""The web package's boundaries: its routers reach the database only through ``kaohe.workflow``
(no sqlalchemy, no ORM models), no module grows past one screen family, and no two web modules
import each other."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

WEB = Path(str(resources.files("kaohe.web")))
# app.py builds the app around the database and maps its errors (StaleDataError) to answers.
MAY_USE_THE_DATABASE = {"app.py"}
FORBIDDEN = ("sqlalchemy", "kaohe.store.models")
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(WEB.glob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (a function's late import counts too)."""
    package = ["kaohe", "web"]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            # ``from ..store import models`` imports the module kaohe.store.models
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_routers_reach_the_database_only_through_the_workflow():
    offending = {
        path.name: sorted(
            name
            for name in _imports(path)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        )
        for path in _modules()
        if path.name not in MAY_USE_THE_DATABASE
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_no_web_module_is_longer_than_one_screen_family():
    lengths = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in _modules()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_web_modules_do_not_import_each_other_in_a_cycle():
    names = {path.stem for path in _modules()}
    graph = {
        path.stem: {
            name.split(".")[2]
            for name in _imports(path)
            if name.startswith("kaohe.web.") and name.split(".")[2] in names
        }
        - {path.stem}
        for path in _modules()
    }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph[start] - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    assert sorted(m for m in graph if reaches(m, m, set())) == []
