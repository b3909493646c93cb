"""The demo's derived step (field-check estimates and quality checks) within a memory limit: DuckDB
spills what does not fit, and the derived files stay the same, byte for byte, as without one
(issue 17: 10^8 persons needed 6.2 GiB, the registry-wide hash tables held in memory)."""

from __future__ import annotations

from pathlib import Path

from kaohe.demo.years import period
from kaohe.derived.verification import ESTIMATES_SOURCE, FINDINGS_SOURCE, run_verification
from kaohe.verify.unit_tables import open_for_rules
from kaohe.verify.verification_rules import load_verification_rules

DERIVED = (f"{ESTIMATES_SOURCE}.csv", f"{FINDINGS_SOURCE}.csv")
# Near the least the step runs in on the test demo (8 MB is too little for DuckDB's scans): the
# files must not depend on the limit. That spilled hash tables give the same files was checked at
# 10^7 and 10^8 persons (docs/benchmarks.md, "Demo generation memory"), too slow for the suite.
SMALL_LIMIT = "24MB"


def _derived(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in DERIVED}


def test_the_derived_files_are_the_same_within_a_small_memory_limit(demo_data, copy_demo):
    unbounded, bounded = copy_demo("unbounded"), copy_demo("bounded")
    # the reference: the step as it ran before it had a limit (DuckDB's default, 80 % of RAM)
    run_verification(unbounded, None, period=period(), sources_into=unbounded)
    run_verification(bounded, None, period=period(), sources_into=bounded, memory_limit=SMALL_LIMIT)
    assert _derived(bounded) == _derived(unbounded)
    # and the generator, which runs the step within its own limit, wrote the same files
    assert _derived(demo_data) == _derived(unbounded)


def test_the_limit_bounds_duckdb_and_its_spill_folder_goes_when_the_inputs_close(demo_data):
    rules = load_verification_rules()
    with open_for_rules(demo_data, None, rules, memory_limit=SMALL_LIMIT) as inputs:
        (limit,) = inputs.con.execute("SELECT current_setting('memory_limit')").fetchone()
        (spill,) = inputs.con.execute("SELECT current_setting('temp_directory')").fetchone()
        assert Path(spill).is_dir()
        assert not str(spill).startswith(str(demo_data))  # never beside the data files
    assert limit.startswith("22.8 MiB")  # 24 MB as DuckDB reports it
    assert not Path(spill).exists()
