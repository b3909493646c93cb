"""The package's structure, as docs/internals.md describes it and import-linter enforces it.

- docs/internals.md's "Dependency direction" lists the layers; every import between packages in
  the real import graph (grimp, the graph import-linter reads) goes down that list, and the list
  is the one `pyproject.toml` declares for import-linter.
- Every path the page names exists, and every module of the package is on the page.
- No module imports itself back through others (no cycles between modules), no module outside
  generated migrations exceeds 600 lines, and a kaohe import inside a function says why.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "kaohe"
INTERNALS = ROOT / "docs" / "internals.md"
MAX_LINES = 600


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("kaohe")


def _modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts]


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def documented_layers() -> list[set[str]]:
    """The numbered list under "## Dependency direction": one layer per item, its packages in
    backticks (``kaohe.x``), top first."""
    text = INTERNALS.read_text(encoding="utf-8")
    section = text.split("## Dependency direction", 1)[1].split("\n## ", 1)[0]
    layers = []
    for line in section.splitlines():
        if re.match(r"^\d+\. ", line):
            layers.append(set(re.findall(r"`(kaohe\.[a-z0-9_]+)`", line)))
    return layers


def test_the_documented_layers_are_the_enforced_ones():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    enforced = [{p.strip() for p in layer.split("|")} for layer in contract["layers"]]
    assert documented_layers() == enforced


def test_every_import_between_packages_goes_down_the_documented_layers(graph):
    layers = documented_layers()
    level = {package: i for i, layer in enumerate(layers) for package in layer}
    packages = {_package_of(m) for m in graph.modules} - {"kaohe", "kaohe.__main__"}
    assert packages <= set(level), (
        f"packages missing from docs/internals.md: {packages - set(level)}"
    )
    upward = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _package_of(module), _package_of(imported)
            if a in level and b in level and a != b and level[a] >= level[b]:
                upward.append(f"{module} → {imported}")
    assert not upward, "imports against docs/internals.md's layers:\n" + "\n".join(upward)


def test_every_path_on_the_page_exists_and_every_module_is_on_it():
    text = INTERNALS.read_text(encoding="utf-8")
    named = set(re.findall(r"`(src/kaohe/[^`*]+?)`", text))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"docs/internals.md names paths that do not exist: {missing}"
    # a row may name several files of one folder: `src/kaohe/data/files.py`, `readers.py`
    mentioned = {Path(p).name for p in named} | set(re.findall(r"`([a-z_0-9]+\.py)`", text))
    unmentioned = [
        str(p.relative_to(ROOT))
        for p in _modules()
        if p.name not in {"__init__.py", "__main__.py"} and p.name not in mentioned
    ]
    assert not unmentioned, f"modules docs/internals.md does not describe: {unmentioned}"


def test_no_module_imports_itself_back(graph):
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if _package_of(imported) != _package_of(module) or imported.startswith(module + "."):
                continue  # across packages the layers decide; a package may import its parts
            if module.startswith(imported + ".") or imported == module:
                continue  # a module importing its own package's __init__
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back and not any(module.startswith(step + ".") for step in back[1:-1]):
                cycles.append(" → ".join([module, *back]))
    assert not cycles, "import cycles between modules:\n" + "\n".join(sorted(set(cycles)))


def test_no_module_is_too_long():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_imports_inside_functions_say_why():
    """A kaohe import inside a function has a comment on its line or just above it, or (in the
    CLI) the module's comment on why commands import their area late."""
    unexplained = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        lazy_module = any("Commands import their area inside the function" in x for x in lines)
        for number, line in enumerate(lines):
            if not re.match(r"^\s+(from \.|from kaohe|import kaohe)", line) or lazy_module:
                continue
            above = [x.strip() for x in lines[max(0, number - 4) : number]]
            if "#" in line or any(x.startswith("#") for x in above):
                continue
            unexplained.append(f"{path.relative_to(ROOT)}:{number + 1}: {line.strip()}")
    assert not unexplained, "imports inside functions without a reason:\n" + "\n".join(unexplained)
