"""Results application and rectification (结果应用与整改): outcomes of runs become actions and
tracked items in an append-only ledger; the lifecycle is a plain state machine."""

from .ledger import DEFAULT_LEDGER, Ledger
from .lifecycle import LedgerState, LifecycleError, fold, next_status

__all__ = ["DEFAULT_LEDGER", "Ledger", "LedgerState", "LifecycleError", "fold", "next_status"]
