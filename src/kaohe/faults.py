"""Named points where the crash tests stop a command as ``kill -9`` would — for tests only.

The fault-injection suite (tests/faults) runs the real ``kaohe`` command with
``KAOHE_FAULT_AT=<point>``; at that point the process sends itself SIGKILL, which no clean-up
survives, exactly as an operator's kill or the OOM killer would. A timer cannot hit a step of a
sub-second command reliably; a named point can. Without the variable (always, outside those
tests) a point costs one look-up in the environment.

The points, in the order a command passes them:

- ``import.scratch-written``: the snapshot is complete in the store's scratch folder;
- ``import.parquet-linked``: its Parquet file is in place, its sidecar not yet;
- ``output.staged``: a run's outputs are complete under their staging name, OUT not yet replaced;
- ``output.swapped``: OUT holds the new run, the previous one is still to be deleted;
- ``output.old-moved``: (without an atomic swap) the previous OUT is moved aside, the new one not
  yet in place;
- ``ledger.journal-written``: an append's intent is recorded, nothing appended;
- ``ledger.half-appended``: half of a batch's bytes are in the ledger;
- ``ledger.appended``: the whole batch is in the ledger, its intent not yet cleared.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "KAOHE_FAULT_AT"


def armed(point: str) -> bool:
    """Whether the test running this process asked it to die at ``point``."""
    return os.environ.get(VARIABLE) == point


def fault_point(point: str) -> None:
    """Die here, as ``kill -9`` would, when the test running this process asked for ``point``."""
    if armed(point):
        os.kill(os.getpid(), signal.SIGKILL)
