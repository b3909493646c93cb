"""Demo data for the sector and transition schemes (one module per scheme's sources).

``write_sector_demo`` runs after the national demo data set (``kaohe.demo.generate``) has been
written: it reads ``units.csv`` (and the registry where a source derives from it), appends the
units it needs, and writes the sources of ``rural-revitalization-2021``,
``special-post-teachers``, east–west cooperation (both sides of each pairing:
``east-west-cooperation-2017`` and ``east-west-cooperation-west-2017``) and central units' paired
assistance (``paired-assistance-2017``, 定点帮扶), with the monitoring inputs and their
evaluation (``monitoring_inputs``) and last cycle's rectifications (``previous_rectifications``)
that the transition scheme also reads. Deterministic by seed.
"""

from __future__ import annotations

from pathlib import Path

from .east_west import write_east_west_demo
from .monitoring_inputs import write_monitoring_demo
from .paired_assistance import write_paired_assistance_demo
from .previous_rectifications import write_rectifications_demo
from .revitalization import write_revitalization_demo
from .teachers import write_teachers_demo


def write_sector_demo(directory: Path, seed: int, monitoring: bool = True) -> None:
    """Write every source of issue-6 schemes into ``directory`` (after ``generate_demo``): the
    monitoring inputs and their evaluation (unless ``monitoring`` is false: the multi-year demo
    has them from 2021, when the transition scheme reads them), last cycle's rectifications,
    and the sector data."""
    if monitoring:
        write_monitoring_demo(directory, seed)
    write_revitalization_demo(directory, seed)
    write_teachers_demo(directory, seed)
    write_east_west_demo(directory, seed)
    write_paired_assistance_demo(directory, seed)
    write_rectifications_demo(directory, seed)


__all__ = [
    "write_east_west_demo",
    "write_monitoring_demo",
    "write_paired_assistance_demo",
    "write_rectifications_demo",
    "write_revitalization_demo",
    "write_sector_demo",
    "write_teachers_demo",
]
