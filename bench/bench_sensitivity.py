"""Benchmark: the sensitivity analysis, vectorized over draws, against a per-draw loop.

Target (issue 8): 3,000 units × 100 indicators × 10,000 draws within 10 s on 2 cores.

A synthetic scheme of 10 dimensions × 10 indicators (goalposts, targets, score tables, min-max),
one indicator per dimension estimated from a field check (k of n households; sampling error by
the binomial approximation), and a veto over one estimated rate (re-evaluated in every draw). The
analysis varies everything at once: the shares of every node (uniform ±20 %), the normalization
(the scheme's rules or min-max), the aggregation (the scheme's or geometric) and the 10 sampled
rates: 23 groups of inputs (11 nodes' weights, 2 method choices, 10 rates), so 10,000 draws
are 400 base samples × 25 rows.

The per-draw loop (bench/sensitivity_loop.py) runs the scoring steps once per draw; it is timed
on the first LOOP_DRAWS draws of the same design and scaled to all draws (its cost per draw is
constant), and its ranks and grades are checked against the vectorized ones on those draws.

Run: ``.venv/bin/python -m bench.bench_sensitivity [--draws N] [--repeat N] [--loop-draws N]
[--no-write]`` (or ``make bench``). It replaces its own section of docs/benchmarks.md
(``## Sensitivity``) unless ``--no-write`` is given or the loop disagrees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import resource
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.process import write_section
from kaohe.run import assess
from kaohe.sensitivity import Settings, analyse, parse_weights
from kaohe.sensitivity.draws import build_design
from kaohe.sensitivity.rescoring import Rescorer
from kaohe.sensitivity.sampling import build_samplers

UNITS = 3000
DIMENSIONS = 10
PER_DIMENSION = 10
DRAWS = 10_000
REPEATS = 3
LOOP_DRAWS = 25
# The targets: the whole analysis within this many seconds, this many times the loop.
TARGET_SECONDS = 10
TARGET_RATIO = 30
HEADING = "## Sensitivity"
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _loop_module():
    path = Path(__file__).with_name("sensitivity_loop.py")
    spec = importlib.util.spec_from_file_location("sensitivity_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_case(root: Path, seed: int = 2021) -> Path:
    """A scheme file and a data directory with UNITS units; returns the scheme path."""
    rng = np.random.default_rng(seed)
    data = root / "data"
    data.mkdir()
    codes = [f"U{i:05d}" for i in range(UNITS)]
    units = pa.table(
        {
            "unit": ["ROOT", *codes],
            "name": ["全国", *[f"单位{i}" for i in range(UNITS)]],
            "parent": ["", *["ROOT"] * UNITS],
            "level": ["nation", *["county"] * UNITS],
            "kind": ["region"] * (UNITS + 1),
            "plan": [None, *rng.uniform(0.5, 1.5, UNITS).round(3).tolist()],
        }
    )
    pacsv.write_csv(units, data / "units.csv")
    columns: dict[str, list] = {"unit": codes}
    indicators, measures, dimensions = [], [], []
    for d in range(DIMENSIONS):
        children = []
        for j in range(PER_DIMENSION):
            name = f"i{d}_{j}"
            children.append(name)
            if j == 0:  # estimated from a field check: k of n households
                n = rng.integers(50, 200, UNITS)
                k = rng.binomial(n, rng.uniform(0.0, 0.06, UNITS))
                columns[f"k{d}"], columns[f"n{d}"] = k.tolist(), n.tolist()
                measures += [f"  k{d}: {{source: figures, expr: 'max(k{d})'}}"]
                measures += [f"  n{d}: {{source: figures, expr: 'max(n{d})'}}"]
                rule = "{method: table, rows: [[null, 0.02, 1.0], [0.02, 0.04, 0.5], [0.04, null, 0.0]]}"
                indicators.append(
                    f"  {name}: {{expr: 'k{d} / nullif(n{d}, 0)', direction: lower, "
                    f"estimated: true, score: {rule}}}"
                )
                continue
            columns[name] = rng.normal(60, 15, UNITS).round(2).tolist()
            measures.append(f"  m_{name}: {{source: figures, expr: 'max({name})'}}")
            rule = [
                "{method: goalposts, min: 0, max: 100}",
                "{method: target, cap: 1.2}, target: 60",
                "{method: minmax}",
                "{method: table, rows: [[null, 50, 0.0], [50, 70, 0.6], [70, null, 1.0]]}",
            ][j % 4]
            indicators.append(f"  {name}: {{expr: m_{name}, score: {rule}}}")
        dimensions.append(
            f"  - {{id: d{d}, label: 维度{d}, points: {10}, children: [{', '.join(children)}]}}"
        )
    pacsv.write_csv(pa.table(columns), data / "figures.csv")
    source_columns = ", ".join(f"{c}: number" for c in columns if c != "unit")
    scheme = f"""\
id: bench-sensitivity
title: 敏感性基准
version: "1"
policy_source: bench
assesses: {{kind: region, level: county}}
unit_attributes:
  plan: {{type: number}}
sources:
  figures: {{columns: {{{source_columns}}}}}
measures:
{chr(10).join(measures)}
indicators:
{chr(10).join(indicators)}
flags:
  rate_over: {{when: "i0_0 >= 0.05"}}
tree:
{chr(10).join(dimensions)}
vetoes:
  - {{id: rate, when: rate_over, grade_at_most: 一般, reason: 错退率超标}}
grading:
  bands: [[80, 好], [70, 较好], [60, 一般], [null, 较差]]
"""
    path = root / "scheme.yaml"
    path.write_text(scheme, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=DRAWS, help=f"default {DRAWS}")
    parser.add_argument(
        "--repeat", type=int, default=REPEATS, help="runs of the vectorized analysis"
    )
    parser.add_argument(
        "--loop-draws", type=int, default=LOOP_DRAWS, help="draws the per-draw loop is timed on"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    # `python -m bench` calls main() with its own command line: no options there
    args = parser.parse_args(argv if argv is not None else [])
    result = measure(args.draws, args.repeat, args.loop_draws)
    if result["loop_agrees"] and not args.no_write:
        write_section(HEADING, section(result))
    return result


def measure(draws: int, repeats: int, loop_draws: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        scheme = write_case(Path(tmp))
        started = time.perf_counter()
        state = assess(str(scheme), Path(tmp) / "data", out=None).state
        assess_seconds = time.perf_counter() - started
    settings = Settings(
        draws=draws,
        seed=1,
        weights=parse_weights("uniform:0.2"),
        normalizations=("minmax",),
        aggregations=("geometric",),
    )
    load_before = os.getloadavg()[0]
    timings, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        design, simulation, indices, units, *_ = analyse(state, settings)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    vectorized = statistics.median(timings)

    # The per-draw loop on the first loop_draws rows of the same design, checked against them.
    samplers, _ = build_samplers(state, settings, {})
    design = build_design(state.scheme.tree, settings, samplers, {})
    rows = next(design.chunks(-(-loop_draws // design.width)))
    loop = _loop_module()
    started, started_cpu = time.perf_counter(), time.process_time()
    _, loop_ranks, loop_grades = loop.score_rows_by_loop(state, settings, rows, loop_draws)
    loop_per_draw = (time.perf_counter() - started) / loop_draws
    loop_cpu_per_draw = (time.process_time() - started_cpu) / loop_draws
    fast = Rescorer(state, settings, {s.indicator for s in samplers}).score(rows)
    agree = bool(
        np.array_equal(fast.ranks[:loop_draws], loop_ranks)
        and np.array_equal(fast.grades[:loop_draws], loop_grades)
    )
    loop_total = loop_per_draw * design.rows
    result = {
        "units": state.size,
        "indicators": DIMENSIONS * PER_DIMENSION,
        "draws": design.rows,
        "groups": len(design.groups),
        "vectorized_seconds": round(vectorized, 2),
        "vectorized_runs": [round(t, 2) for t in timings],
        "vectorized_cpu_seconds": round(statistics.median(cpu), 2),
        "loop_cpu_seconds_per_draw": round(loop_cpu_per_draw, 4),
        "load_before": round(load_before, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "loop_seconds_per_draw": round(loop_per_draw, 4),
        "loop_seconds_scaled": round(loop_total, 1),
        "ratio": round(loop_total / vectorized, 1),
        "cpu_ratio": round(loop_cpu_per_draw * design.rows / statistics.median(cpu), 1),
        "loop_agrees": agree,
        "unstable_units": sum(u.unstable for u in units),
        "assess_seconds": round(assess_seconds, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "duckdb": duckdb.__version__,
        "repeats": repeats,
        "loop_draws": loop_draws,
    }
    print(
        f"sensitivity: {result['units']} units × {result['indicators']} indicators × "
        f"{result['draws']} draws ({result['groups']} input groups): vectorized "
        f"{vectorized:.2f} s (median of {repeats}: {result['vectorized_runs']}); per-draw loop "
        f"{loop_per_draw * 1000:.0f} ms/draw → {loop_total:.0f} s for all draws "
        f"(timed on {loop_draws}); ratio {result['ratio']}×; loop agrees: {agree}; "
        f"CPU time vectorized {result['vectorized_cpu_seconds']} s, loop "
        f"{loop_cpu_per_draw * 1000:.0f} ms/draw; load average {result['load_average']}; "
        f"peak RSS {result['peak_rss_mib']} MiB"
    )
    return result


def section(result: dict) -> str:
    """The ``## Sensitivity`` section of docs/benchmarks.md for one measurement."""
    draws = result["draws"]
    vectorized_cpu = result["vectorized_cpu_seconds"]
    loop_cpu = result["loop_cpu_seconds_per_draw"]
    met = (
        result["vectorized_seconds"] <= TARGET_SECONDS
        and result["ratio"] >= TARGET_RATIO
        and result["loop_agrees"]
    )
    runs = ", ".join(f"{t:.2f}" for t in result["vectorized_runs"])
    setup = (
        "`.venv/bin/python -m bench.bench_sensitivity` (or `make bench`; `--help` for options) — "
        f"`kaohe.sensitivity.analyse` on a synthetic run of {result['units']:,} units × "
        f"{result['indicators']} indicators ({DIMENSIONS} dimensions × {PER_DIMENSION}; "
        "goalposts, targets, min-max and score tables; one field-checked rate per dimension with "
        f"binomial sampling error; a veto over one rate), {draws:,} draws varying everything at "
        "once: every node's weights (uniform ±20 %), the normalization (the scheme's or min-max), "
        f"the aggregation (the scheme's or geometric) and the {DIMENSIONS} rates — "
        f"{result['groups']} input groups. It includes the draws, re-scoring, ranks, grades and "
        "veto re-evaluation (ranks and grades by the rank and grade steps' own array functions), "
        "the percentiles, grade probabilities and Sobol indices (not the recomputation of the "
        "run). The baseline is the straightforward loop (`bench/sensitivity_loop.py`): one draw "
        "at a time through `kaohe.scoring.score` with the run's own steps, timed on "
        f"{result['loop_draws']} draws and scaled (its cost per draw is constant); on those draws "
        f"its ranks and grades {'equal' if result['loop_agrees'] else 'DO NOT equal'} the "
        f"vectorized ones. Machine: {result['cpus']} cores, Python {result['python']}, numpy "
        f"{result['numpy']}, DuckDB {result['duckdb']}; measured {dt.date.today().isoformat()} "
        "on a machine shared with other developers (load average "
        f"{result['load_before']} before, {result['load_average']} after), so wall-clock times "
        "vary with the load; CPU time (all threads together) is the steady figure."
    )
    table = [
        "| implementation | wall clock | CPU time | per draw (CPU) |",
        "|---|---|---|---|",
        f"| vectorized, {result['cpus']} threads | {result['vectorized_seconds']:.2f} s (median "
        f"of {result['repeats']}: {runs}) | {vectorized_cpu:.2f} s | "
        f"{vectorized_cpu / draws * 1000:.2f} ms |",
        f"| per-draw loop through the scoring steps (scaled) | "
        f"{result['loop_seconds_scaled']:.0f} s | {loop_cpu * draws:.0f} s | "
        f"{loop_cpu * 1000:.1f} ms |",
        f"| **ratio** | **{result['ratio']}×** | **{result['cpu_ratio']}×** | |",
    ]
    verdict = (
        f"Targets ({result['units']:,} units × {result['indicators']} indicators × {draws:,} "
        f"draws within {TARGET_SECONDS} s of wall clock, at least {TARGET_RATIO}× the loop): "
        f"**{'met' if met else 'not met'}** at this load. Peak RSS {result['peak_rss_mib']} MiB. "
        f"The assessment itself (not timed above) took {result['assess_seconds']} s."
    )
    return "\n\n".join([_wrapped(setup), "\n".join(table), _wrapped(verdict)]) + "\n"


def _wrapped(paragraph: str) -> str:
    return textwrap.fill(paragraph, width=100, break_long_words=False, break_on_hyphens=False)


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:])["loop_agrees"] else 1)
