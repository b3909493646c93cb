"""Run every benchmark: the ``main()`` of each ``bench/bench_*.py`` module, in name order.

Modules are discovered, not listed, so that a new benchmark needs no change here. Each writes
its own section of docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main() -> None:
    here = Path(__file__).resolve().parent
    if str(here.parent) not in sys.path:
        sys.path.insert(0, str(here.parent))
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    for name in names:
        started = time.perf_counter()
        print(f"== bench/{name}.py", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main()
        print(f"== bench/{name}.py done in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
