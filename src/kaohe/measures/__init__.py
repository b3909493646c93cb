"""Measures (基础数据): the big stage. Each source's measures compile into one GROUP BY per unit,
run where the data is (DuckDB in-process, or Spark), then roll up the unit hierarchy."""

from .compile import MeasurePlan, plan_measures
from .duckdb_engine import compute_measures

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "MeasurePlan", "compute_measures", "plan_measures"]
