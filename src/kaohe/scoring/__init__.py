"""Scoring (the small, exact stage): see ``steps.STEPS`` for the order."""

from .state import ScoringState
from .steps import STEPS, score

__all__ = ["STEPS", "ScoringState", "score"]
