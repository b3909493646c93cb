"""Uncertainty and sensitivity analysis of a run: how robust is each rank and grade?

Monte Carlo over the weights, alternative normalization and aggregation methods, and the
sampling error of estimated indicators, re-scored through the run's own recorded steps.
See docs/sensitivity.md.
"""

from .analysis import Analysis, analyse, run_sensitivity
from .outputs import write_analysis
from .settings import Settings, parse_methods, parse_weights

__all__ = [
    "Analysis",
    "Settings",
    "analyse",
    "parse_methods",
    "parse_weights",
    "run_sensitivity",
    "write_analysis",
]
