"""Measures at scale: the provincial scheme's measures over registries of 10^7 and 10^8 persons.

For each registry size the demo data set is generated (``kaohe.demo.generate.generate_demo``, in
chunks), imported into a snapshot store (``kaohe import``, persons with ``--quarantine``: the demo
breaks some ID numbers on purpose), and the same per-county figures are computed side by side,
each run in its own process:

- floor: one hand-written DuckDB SQL query over the snapshot files;
- kaohe: ``kaohe.run.assess`` on the store (scheme loading, units, sources, the measures' GROUP
  BY per source and the roll-up to provinces and the nation, scoring; no output files);
- kaohe CLI: ``kaohe assess --store … --out …`` as a user runs it, timed from outside (Python
  start-up, imports and writing the outputs included);
- pandas: the same figures with pandas over the same Parquet files (10^7 only);
- Spark: ``assess(engine="spark")``, local[2] (10^7 only; the session start is reported apart).

Every contender's figures are summed per province and must agree before any time is reported.
Times are the median of ``--repeat`` runs; peak RSS is the largest of the runs (process tree).

    python -m bench.bench_measures [--persons 10000000 100000000] [--repeat 3] [--data DIR]

``KAOHE_BENCH_PERSONS`` (e.g. ``10000000``) overrides the default sizes for ``make bench``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.process import ROOT, Measured, python, write_section

SCHEME = "provincial-effectiveness-2016"
SOURCES = (
    "units",
    "persons",
    "monitoring_survey",
    "field_checks",
    "verification_estimates",
    "quality_findings",
    "fund_evaluation",
    "fund_integration",
    "policy_implementation",
    "findings",
)
# The design-weighted estimates the scheme reads at the province's own row.
ESTIMATES = {
    "wrong_exit_est": "wrong_exit_rate",
    "wrong_exit_ci_low": "wrong_exit_low",
    "wrong_exit_ci_high": "wrong_exit_high",
    "omission_est": "omission_rate",
    "omission_ci_low": "omission_low",
    "omission_ci_high": "omission_high",
    "misidentification_est": "wrong_identification_rate",
    "misidentification_ci_low": "wrong_identification_low",
    "misidentification_ci_high": "wrong_identification_high",
    "recognition_est": "recognition_rate",
    "recognition_ci_low": "recognition_low",
    "recognition_ci_high": "recognition_high",
    "team_satisfaction_est": "team_satisfaction_rate",
    "cadre_satisfaction_est": "cadre_satisfaction_rate",
}
VERDICTS = ("wrong_exit_verdict", "omission_verdict", "recognition_verdict")
SMALL_ONLY = 10_000_000  # pandas and Spark run up to this size
HEADING = "## Measures at scale"
DOC = ROOT / "docs" / "benchmarks.md"
# Figures compared across contenders, summed per province.
CHECKED = ("poor_start", "poor_end", "checked", "wrong_exit", "omitted", "rural_population")


# -- steps (each runs in its own process) ---------------------------------------------------------


def _snapshots(store: Path) -> dict[str, Path]:
    from kaohe.data.snapshots import Store

    repository = Store(store)
    return {source: repository.latest(source).path for source in SOURCES}


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def floor_sql(files: dict[str, Path]) -> str:
    """The per-county figures of the provincial scheme, written by hand in one query."""
    f = {k: f"read_parquet('{_literal(v)}')" for k, v in files.items()}
    return f"""
    WITH persons AS (
        SELECT unit, count(*) FILTER (WHERE poor_at_start) AS poor_start,
               count(*) FILTER (WHERE poor_at_end) AS poor_end
        FROM {f["persons"]} GROUP BY unit),
    survey AS (
        SELECT unit, sum(rural_population) AS rural_population,
               sum(income_per_capita * rural_population) AS rural_income,
               sum(income_per_capita_last * rural_population) AS rural_income_last,
               count(*) FILTER (WHERE poor_county AND exit_planned) AS counties_planned,
               count(*) FILTER (WHERE poor_county AND exit_planned AND exited) AS counties_exited
        FROM {f["monitoring_survey"]} GROUP BY unit),
    checks AS (
        SELECT unit, count(*) AS checked,
               count(*) FILTER (WHERE registered AND exited) AS checked_exited,
               count(*) FILTER (WHERE registered AND NOT exited) AS checked_registered_poor,
               count(*) FILTER (WHERE NOT registered) AS checked_unregistered,
               count(*) FILTER (WHERE verdict = '错退') AS wrong_exit,
               count(*) FILTER (WHERE verdict = '错评') AS wrong_identified,
               count(*) FILTER (WHERE verdict = '漏评') AS omitted,
               count(*) FILTER (WHERE recognizes) AS recognizing,
               count(*) FILTER (WHERE satisfied_team) AS satisfied_team,
               count(*) FILTER (WHERE satisfied_cadre) AS satisfied_cadre
        FROM {f["field_checks"]} GROUP BY unit),
    estimates AS (
        SELECT unit, {
        ", ".join(
            f"max({column}) FILTER (WHERE level = 'province') AS {name}"
            for name, column in ESTIMATES.items()
        )
    }, count(*) FILTER (WHERE level = 'province' AND ({
        " OR ".join(f"{v} = '不达标'" for v in VERDICTS)
    })) AS three_rates_failed
        FROM {f["verification_estimates"]} GROUP BY unit),
    quality AS (
        SELECT unit, count(*) FILTER (WHERE rule = 'income_bunching') AS bunching_findings
        FROM {f["quality_findings"]} GROUP BY unit),
    funds AS (SELECT unit, max(fund_score) AS fund_score FROM {f["fund_evaluation"]} GROUP BY unit),
    findings AS (
        SELECT unit,
               coalesce(sum(cases) FILTER (WHERE kind = '弄虚作假'), 0) AS fabrication_cases,
               coalesce(sum(cases) FILTER (WHERE kind = '挪用资金'), 0) AS misuse_cases,
               coalesce(sum(cases) FILTER (WHERE kind = '违反禁止性规定'), 0) AS prohibition_cases
        FROM {f["findings"]} GROUP BY unit)
    SELECT u.unit, u.parent, persons.* EXCLUDE (unit), survey.* EXCLUDE (unit),
           checks.* EXCLUDE (unit), estimates.* EXCLUDE (unit), quality.* EXCLUDE (unit),
           funds.* EXCLUDE (unit), findings.* EXCLUDE (unit)
    FROM {f["units"]} AS u
    LEFT JOIN persons USING (unit) LEFT JOIN survey USING (unit) LEFT JOIN checks USING (unit)
    LEFT JOIN estimates USING (unit) LEFT JOIN quality USING (unit)
    LEFT JOIN funds USING (unit) LEFT JOIN findings USING (unit)
    """


def _per_province(rows: list[dict]) -> dict[str, list[float]]:
    """County figures summed into their provinces (counties' parents), for the cross-check."""
    totals: dict[str, list[float]] = {}
    for row in rows:
        if row["parent"] not in (None, "", "000000"):  # a county (the demo: nation 000000)
            sums = totals.setdefault(row["parent"], [0.0] * len(CHECKED))
            for i, name in enumerate(CHECKED):
                sums[i] += float(row[name] or 0)
    return dict(sorted(totals.items()))


def step_floor(store: Path) -> dict:
    import duckdb

    files = _snapshots(store)
    started, cpu = time.perf_counter(), time.process_time()
    with duckdb.connect() as con:
        cursor = con.execute(floor_sql(files))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "provinces": _per_province(rows)}


def step_pandas(store: Path) -> dict:
    import pandas as pd

    files = _snapshots(store)
    started, cpu = time.perf_counter(), time.process_time()
    persons = pd.read_parquet(files["persons"], columns=["unit", "poor_at_start", "poor_at_end"])
    persons = persons.groupby("unit").agg(
        poor_start=("poor_at_start", "sum"), poor_end=("poor_at_end", "sum")
    )
    survey = pd.read_parquet(files["monitoring_survey"])
    survey = survey.assign(
        rural_income=survey.income_per_capita * survey.rural_population,
        rural_income_last=survey.income_per_capita_last * survey.rural_population,
        planned=survey.poor_county & survey.exit_planned,
        done=survey.poor_county & survey.exit_planned & survey.exited,
    )
    survey = survey.groupby("unit").agg(
        rural_population=("rural_population", "sum"),
        rural_income=("rural_income", "sum"),
        rural_income_last=("rural_income_last", "sum"),
        counties_planned=("planned", "sum"),
        counties_exited=("done", "sum"),
    )
    checks = pd.read_parquet(files["field_checks"])
    checks = checks.assign(
        checked=1,
        checked_exited=checks.registered & checks.exited,
        checked_registered_poor=checks.registered & ~checks.exited,
        checked_unregistered=~checks.registered,
        wrong_exit=checks.verdict == "错退",
        wrong_identified=checks.verdict == "错评",
        omitted=checks.verdict == "漏评",
        recognizing=checks.recognizes,
    )
    checks = checks.groupby("unit")[
        [
            "checked",
            "checked_exited",
            "checked_registered_poor",
            "checked_unregistered",
            "wrong_exit",
            "wrong_identified",
            "omitted",
            "recognizing",
            "satisfied_team",
            "satisfied_cadre",
        ]
    ].sum()
    estimates = pd.read_parquet(files["verification_estimates"])
    own = estimates[estimates.level == "province"]
    failed = (own[list(VERDICTS)] == "不达标").any(axis=1)
    estimates = (
        own.groupby("unit")[list(ESTIMATES.values())]
        .max()
        .rename(columns={v: k for k, v in ESTIMATES.items()})
        .join(failed.groupby(own.unit).sum().rename("three_rates_failed"))
    )
    quality = pd.read_parquet(files["quality_findings"])
    quality = (
        (quality.rule == "income_bunching").groupby(quality.unit).sum().rename("bunching_findings")
    )
    funds = (
        pd.read_parquet(files["fund_evaluation"])
        .groupby("unit")
        .agg(fund_score=("fund_score", "max"))
    )
    findings = pd.read_parquet(files["findings"])
    findings = findings.pivot_table(index="unit", columns="kind", values="cases", aggfunc="sum")
    units = pd.read_parquet(files["units"], columns=["unit", "parent"]).set_index("unit")
    table = units.join([persons, survey, checks, estimates, funds, findings])
    table = table.join(quality).reset_index()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = table.astype(object).where(table.notna(), None).to_dict("records")
    return {"seconds": seconds, "cpu": cpu, "provinces": _per_province(rows)}


def _kaohe_provinces(result) -> dict[str, list[float]]:
    state = result.state
    return {
        unit: [float(state.values[name][i] or 0) for name in CHECKED]
        for i, unit in enumerate(state.units)
    }


def step_kaohe(store: Path) -> dict:
    from kaohe.run.assess import assess

    started = time.perf_counter()
    result = assess(SCHEME, None, None, store=store)
    total = time.perf_counter() - started
    # the measures stage: the sources (snapshot metadata, typed views) and every measure of
    # every unit (one GROUP BY per source, the roll-up to provinces and the nation)
    stage = result.timings["sources"] + result.timings["measures"]
    return {
        "seconds": stage,
        "cpu": result.cpu["sources"] + result.cpu["measures"],
        "total": total,
        "total_cpu": sum(result.cpu.values()),
        "timings": result.timings,
        "provinces": dict(sorted(_kaohe_provinces(result).items())),
    }


def step_spark(store: Path) -> dict:
    from kaohe.measures.spark_engine import spark_session
    from kaohe.run.assess import assess

    started = time.perf_counter()
    spark_session("local[2]", memory="4g")
    session = time.perf_counter() - started
    started = time.perf_counter()
    result = assess(SCHEME, None, None, store=store, engine="spark", memory_limit="4g")
    total = time.perf_counter() - started
    return {
        "seconds": result.timings["sources"] + result.timings["measures"],
        "total": total,
        "session_seconds": session,
        "provinces": dict(sorted(_kaohe_provinces(result).items())),
    }


STEPS = {"floor": step_floor, "pandas": step_pandas, "kaohe": step_kaohe, "spark": step_spark}


# -- the driver --------------------------------------------------------------------------------


def ensure_demo(data: Path, persons: int) -> tuple[Path, Measured | None]:
    """The demo data set of that size (generated once; a marker says it is complete)."""
    directory = data / f"demo-{persons}"
    marker = directory / ".complete"
    if marker.exists():
        return directory, None
    code = (
        "import sys; from pathlib import Path; from kaohe.demo.generate import generate_demo; "
        f"generate_demo(Path(sys.argv[1]), seed=2016, persons={persons})"
    )
    from bench.process import run

    measured = run([sys.executable, "-c", code, str(directory)])
    marker.write_text(json.dumps({"seconds": measured.wall, "peak_rss": measured.peak_rss}))
    return directory, measured


def ensure_store(data: Path, demo: Path, persons: int) -> tuple[Path, dict[str, Measured]]:
    """The demo imported into a snapshot store (persons with --quarantine)."""
    store = data / f"store-{persons}"
    measured: dict[str, Measured] = {}
    for source in SOURCES:
        if (store / source).is_dir() and any((store / source).glob("*.json")):
            continue
        (path,) = [p for p in demo.iterdir() if p.stem == source]
        extra = ["--quarantine", "--memory-limit", "8GB"] if source == "persons" else []
        measured[source] = python(
            "kaohe", "import", source, str(path), "--store", str(store), *extra
        )
    return store, measured


def _gib(value: int) -> str:
    return f"{value / 2**30:.2f} GiB"


def _machine() -> dict:
    def shell(command: str) -> str:
        try:
            return subprocess.run(
                command, shell=True, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    import duckdb
    import pandas
    import pyarrow

    try:
        import pyspark

        spark = pyspark.__version__
    except ImportError:
        spark = "not installed"
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    java = shell("java -version 2>&1 | head -1")
    return {
        "nproc": shell("nproc"),
        "memory": shell("free -g | awk '/Mem:/ {print $2}'") + " GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "pyspark": spark,
        "java": java,
        "date": dt.date.today().isoformat(),
        "load": shell("cat /proc/loadavg | cut -d' ' -f1-3"),
    }


def measure(store: Path, persons: int, repeat: int) -> dict:
    contenders = ["floor", "kaohe", "kaohe_cli"]
    if persons <= SMALL_ONLY:
        contenders += ["pandas", "spark"]
    found: dict[str, dict] = {}
    reference = None
    for name in contenders:
        runs = []
        for _ in range(repeat):
            if name == "kaohe_cli":
                with tempfile.TemporaryDirectory() as out:
                    measured = python(
                        "kaohe", "assess", "--scheme", SCHEME, "--store", str(store),
                        "--out", str(Path(out) / "run"),
                    )  # fmt: skip
                measured.report = {"seconds": measured.wall, "cpu": measured.cpu}
            else:
                measured = python("bench.bench_measures", "--step", name, "--store", str(store))
                provinces = measured.report.pop("provinces")
                if reference is None:
                    reference = provinces
                _agree(name, provinces, reference)
            runs.append(measured)
            print(f"   {persons:>11,} {name:<9} {measured.report['seconds']:8.2f} s  "
                  f"{_gib(measured.peak_rss)}", flush=True)  # fmt: skip
        seconds = [m.report["seconds"] for m in runs]
        cpu = [m.report["cpu"] for m in runs if "cpu" in m.report]
        found[name] = {
            "median": statistics.median(seconds),
            "cpu": statistics.median(cpu) if cpu else None,
            "runs": seconds,
            "peak_rss": max(m.peak_rss for m in runs),
            "wall": [m.wall for m in runs],
            "session_seconds": statistics.median(
                m.report.get("session_seconds", 0.0) for m in runs
            ),
        }
        if "total" in runs[0].report:
            totals = [m.report["total"] for m in runs]
            cpu = [m.report["total_cpu"] for m in runs if "total_cpu" in m.report]
            found[f"{name}_total"] = {
                "median": statistics.median(totals),
                "cpu": statistics.median(cpu) if cpu else None,
                "runs": totals,
                "peak_rss": found[name]["peak_rss"],
            }
    return found


def _agree(name: str, provinces: dict, reference: dict) -> None:
    if provinces.keys() != reference.keys():
        raise AssertionError(f"{name}: other provinces than the floor's")
    for unit, values in provinces.items():
        for label, a, b in zip(CHECKED, values, reference[unit], strict=True):
            if abs(a - b) > 1e-6 * max(1.0, abs(b)):
                raise AssertionError(f"{name}: {unit} {label} = {a}, the floor says {b}")


def section(results: dict, machine: dict, sizes: list[int], repeat: int) -> str:
    lines = [
        "`make bench` (all benchmarks) or `.venv/bin/python -m bench.bench_measures "
        f"--persons {' '.join(str(n) for n in sizes)} --repeat {repeat}` — the provincial scheme "
        f"({SCHEME}) over the demo registry, imported into a snapshot store; every contender runs "
        "in its own process and computes the same per-county figures (their sums per province are "
        "checked equal before timing is reported). Times: median of "
        f"{repeat} runs of the computation inside the process (imports done); *kaohe CLI* is the "
        "whole `kaohe assess --store … --out …` command from outside. Peak RSS: the largest over "
        "the runs, process tree (Spark: Python and its JVM).",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory']} RAM; Python "
        f"{machine['python']}, DuckDB {machine['duckdb']}, pandas {machine['pandas']}, pyarrow "
        f"{machine['pyarrow']}, pyspark {machine['pyspark']} ({machine['java']}). Measured "
        f"{machine['date']}; the machine is shared with other developers' test runs (load average "
        f"at the end: {machine['load']}).",
        "",
        "| persons | contender | median s | runs (s) | × floor | CPU s | CPU × floor | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "floor": "hand-written DuckDB SQL (the floor)",
        "kaohe": "**kaohe measures** (sources + GROUP BY per source + roll-up)",
        "kaohe_total": "kaohe `assess()` in all (+ scheme, units, scoring)",
        "kaohe_cli": "`kaohe assess --store --out` (whole command, from outside)",
        "pandas": "pandas (same Parquet files)",
        "spark": "Spark local[2] measures (`--engine spark`)",
        "spark_total": "Spark `assess()` in all",
    }
    for persons, found in results.items():
        floor = found["floor"]["median"]
        floor_cpu = found["contenders"]["floor"]["cpu"]
        for name, item in found["contenders"].items():
            extra = ""
            if name == "spark":
                extra = f", after a {item['session_seconds']:.1f} s session start"
            runs = ", ".join(f"{s:.2f}" for s in item["runs"])
            cpu = item.get("cpu")
            cpu_cells = f"{cpu:.2f} | {cpu / floor_cpu:.2f}×" if cpu else "— | —"
            lines.append(
                f"| {int(persons):,} | {labels[name]}{extra} | {item['median']:.2f} | {runs} | "
                f"{item['median'] / floor:.2f}× | {cpu_cells} | {_gib(item['peak_rss'])} |"
            )
    lines.append("")
    for persons, found in results.items():
        for what, figures in found.get("facts", {}).items():
            lines.append(f"- {int(persons):,} persons, {what}: {figures}.")
    lines += ["", "Targets (computed from the table):", *targets(results)]
    lines += [
        "",
        "The kaohe measures stage is the like-for-like comparison: the same figures from the "
        "same files (and the roll-up to provinces and the nation besides). `assess()` in all adds "
        "loading the scheme (YAML with line numbers, expression checks), the units and the "
        "scoring steps; the command adds Python start-up and imports (about 0.6 s) and writing "
        "results.csv/.parquet/.xlsx, explain.json and the manifest. The demo registry is small "
        "on disk (booleans compress well: 55 MB of Parquet for 10^7 persons), so at 10^7 the "
        "fixed costs of a run show; at 10^8 the scan dominates.",
    ]
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    """The issue's targets, judged from the measurements."""
    lines = []
    for persons, found in results.items():
        items = found["contenders"]
        kaohe, floor = items["kaohe"], items["floor"]
        ratio = kaohe["median"] / floor["median"]
        cpu = kaohe["cpu"] / floor["cpu"] if kaohe.get("cpu") and floor.get("cpu") else None
        verdict = "met" if ratio <= 1.3 else "not met"
        cpu_text = f", CPU {cpu:.2f}×" if cpu else ""
        lines.append(
            f"- {int(persons):,} persons: kaohe measures within 1.3× of the floor — "
            f"{ratio:.2f}×{cpu_text}: **{verdict}**."
        )
        if "pandas" in items:
            speedup = items["pandas"]["median"] / kaohe["median"]
            cpu_speedup = (
                items["pandas"]["cpu"] / kaohe["cpu"] if items["pandas"].get("cpu") else None
            )
            verdict = "met" if speedup >= 3 else "not met"
            lines.append(
                f"- {int(persons):,} persons: at least 3× faster than pandas — {speedup:.1f}×"
                + (f" (CPU {cpu_speedup:.1f}×)" if cpu_speedup else "")
                + f": **{verdict}**."
            )
        if int(persons) >= 100_000_000:
            peak = max(items[name]["peak_rss"] for name in ("kaohe", "kaohe_cli"))
            verdict = "met" if peak < 10 * 10**9 else "not met"
            lines.append(
                f"- {int(persons):,} persons: completes with peak RSS under 10 GB — "
                f"{_gib(peak)}: **{verdict}**."
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [int(n) for n in os.environ.get("KAOHE_BENCH_PERSONS", "").split()] or [
        10_000_000,
        100_000_000,
    ]
    parser.add_argument("--persons", type=int, nargs="+", default=default)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the docs section from bench/results/measures.json without measuring",
    )
    args = parser.parse_args(argv if argv is not None else [])
    if args.step:  # a child process: one contender
        print(json.dumps(STEPS[args.step](args.store)))
        return
    results_file = ROOT / "bench" / "results" / "measures.json"
    if args.report_only:
        saved = json.loads(results_file.read_text(encoding="utf-8"))
        sizes = [int(n) for n in saved["results"]]
        write_section(HEADING, section(saved["results"], saved["machine"], sizes, args.repeat))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if results_file.exists():
        results = json.loads(results_file.read_text(encoding="utf-8")).get("results", {})
    for persons in args.persons:
        print(f"== {persons:,} persons", flush=True)
        demo, generated = ensure_demo(args.data, persons)
        store, imported = ensure_store(args.data, demo, persons)
        facts = dict(results.get(str(persons), {}).get("facts", {}))
        if generated is not None:
            facts["demo generation"] = (
                f"{generated.wall:.0f} s ({generated.cpu:.0f} s CPU), "
                f"peak RSS {_gib(generated.peak_rss)}"
            )
        if "persons" in imported:
            m = imported["persons"]
            facts["import of persons.parquet (--quarantine)"] = (
                f"{m.wall:.0f} s ({m.cpu:.0f} s CPU), {persons / m.wall:,.0f} rows/s, "
                f"peak RSS {_gib(m.peak_rss)}"
            )
        contenders = measure(store, persons, args.repeat)
        results[str(persons)] = {
            "floor": contenders["floor"],
            "contenders": contenders,
            "facts": facts,
        }
        machine = _machine()
        results_file.parent.mkdir(parents=True, exist_ok=True)
        results_file.write_text(
            json.dumps({"machine": machine, "results": results}, indent=1), encoding="utf-8"
        )
        sizes = [int(n) for n in results]
        write_section(HEADING, section(results, machine, sizes, args.repeat))


if __name__ == "__main__":
    main(sys.argv[1:])
