"""Import with validation: ``kaohe import persons`` on a 10^7-row registry CSV — rows per second
and peak RSS.

The CSV is the demo's persons table (``kaohe.demo.generate``) written out by DuckDB. Three cases,
each ``kaohe import`` in its own process into a fresh store that holds only the units:

- a clean file (the rows the quarantine accepts): every check, then the snapshot is written;
- the same file in GB18030 (streamed through Python's codec into UTF-8 first);
- the raw demo file, whose broken and duplicated ID numbers fail: ``--quarantine`` sets them
  aside with their reasons and writes the rest (the rejected rows found by joins, the accepted
  rows sorted back into file order).

    python -m bench.bench_import [--persons 10000000] [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import codecs
import statistics
import sys
import tempfile
from pathlib import Path

from bench.bench_measures import _gib, _machine, ensure_demo, ensure_store
from bench.process import ROOT, Measured, python, write_section

HEADING = "## Import with validation"
DOC = ROOT / "docs" / "benchmarks.md"


def _csv_files(data: Path, demo: Path, persons: int) -> dict[str, Path]:
    """The raw demo CSV, its clean part and the clean part in GB18030 (written once)."""
    import duckdb

    from kaohe.data.snapshots import Store

    raw = data / f"persons-{persons}.csv"
    clean = data / f"persons-clean-{persons}.csv"
    gb = data / f"persons-clean-{persons}.gb18030.csv"
    parquet = str(demo / "persons.parquet").replace("'", "''")
    if not raw.exists():
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{raw}' (HEADER)")
    if not clean.exists():
        # the rows the import accepts: those of the quarantined snapshot the measures use
        store, _ = ensure_store(data, demo, persons)
        snapshot = str(Store(store).latest("persons").path).replace("'", "''")
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{snapshot}')) TO '{clean}' (HEADER)")
    if not gb.exists():
        encoder = codecs.getincrementalencoder("gb18030")()
        decoder = codecs.getincrementaldecoder("utf-8")()
        with clean.open("rb") as reader, gb.open("wb") as writer:
            while block := reader.read(1 << 20):
                writer.write(encoder.encode(decoder.decode(block)))
            writer.write(encoder.encode(decoder.decode(b"", final=True), final=True))
    return {"clean": clean, "gb18030": gb, "raw": raw}


def _rows(path: Path) -> int:
    import duckdb

    literal = str(path).replace("'", "''")
    return duckdb.sql(f"SELECT count(*) FROM read_csv('{literal}', all_varchar = true)").fetchall()[
        0
    ][0]


def _import(demo: Path, path: Path, *extra: str) -> Measured:
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        store = Path(folder) / "store"
        python("kaohe", "import", "units", str(demo / "units.csv"), "--store", str(store))
        return python("kaohe", "import", "persons", str(path), "--store", str(store), *extra)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args(argv if argv is not None else [])
    args.data.mkdir(parents=True, exist_ok=True)
    demo, _ = ensure_demo(args.data, args.persons)
    files = _csv_files(args.data, demo, args.persons)
    clean_rows = _rows(files["clean"])
    cases = [
        ("clean", "UTF-8 CSV, every row valid", files["clean"], (), args.repeat, clean_rows),
        ("gb18030", "the same in GB18030", files["gb18030"], ("--encoding", "gb18030"), 1, clean_rows),
        ("raw", "raw demo CSV with broken IDs, `--quarantine`", files["raw"], ("--quarantine",), 1,
         _rows(files["raw"])),
    ]  # fmt: skip
    lines = [
        f"`.venv/bin/python -m bench.bench_import --persons {args.persons} --repeat "
        f"{args.repeat}` (also run by `make bench`) — `kaohe import persons FILE --store DIR` in "
        "its own process into a store holding only the units; the time is the whole command "
        "(Python start-up included): reading, every check of the persons schema (types, required, "
        "allowed values, ranges, the resident-ID check against python-stdnum's rules, units, the "
        "unique key), and writing the zstd Parquet snapshot with its sidecar.",
        "",
        "| file | rows | size | median s | runs (s) | rows/s | CPU s | rows per CPU s | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label, path, extra, repeat, rows in cases:
        runs = []
        for _ in range(repeat):
            measured = _import(demo, path, *extra)
            runs.append(measured)
            print(
                f"   import {name:<8} {measured.wall:7.1f} s  CPU {measured.cpu:7.1f} s  "
                f"{_gib(measured.peak_rss)}",
                flush=True,
            )
        seconds = [m.wall for m in runs]
        median = statistics.median(seconds)
        cpu = statistics.median(m.cpu for m in runs)
        lines.append(
            f"| {label} | {rows:,} | {path.stat().st_size / 2**20:,.0f} MiB | {median:.1f} | "
            f"{', '.join(f'{s:.1f}' for s in seconds)} | {rows / median:,.0f} | {cpu:.1f} | "
            f"{rows / cpu:,.0f} | {_gib(max(m.peak_rss for m in runs))} |"
        )
    machine = _machine()
    lines += [
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory']} RAM; Python "
        f"{machine['python']}, DuckDB {machine['duckdb']}; measured {machine['date']} on a "
        f"machine shared with other developers' test runs (load average at the end: "
        f"{machine['load']}).",
    ]
    write_section(HEADING, "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
