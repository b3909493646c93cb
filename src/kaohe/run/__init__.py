"""A run (考核结果): scheme × period × data → results, explanations and a manifest."""

from .assess import assess
from .result import RunResult

__all__ = ["RunResult", "assess"]
