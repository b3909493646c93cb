"""The finance department's spot checks (财政部门抽查): drawing the sample of projects.

At least ``min_share`` (10%) of the library's projects are drawn, within each county, so that every
county with projects is visited. The draw is the verification area's (``kaohe.verify.sampling``):
stratified, seeded by a public number, reproducible by anyone from the frame and the seed. The
sample is recorded in the library once; drawing again is refused, so a sample cannot be redrawn
quietly until it looks convenient.
"""

from __future__ import annotations

import csv
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import text
from ..verify.sampling import Request, draw
from .library import Library


@dataclass(frozen=True)
class Sample:
    projects: list[str]
    population: int
    rate: float
    seed: int
    plan: dict[str, Any]


def draw_sample(
    library: Library,
    rate: float,
    seed: int,
    stratum: str | None = "unit",
    at: str | None = None,
) -> Sample:
    """Draw at least ``rate`` of the library's projects (in each stratum) and record the sample."""
    if not 0 < rate <= 1:
        raise UsageError(
            text(
                f"抽查比例应在 0 到 1 之间，而不是 {rate}",
                f"the rate must be in (0, 1], not {rate}",
            )
        )
    state = library.state()
    if state.sample is not None:
        raise UsageError(
            text(
                f"项目库已于 {state.sample['at']} 抽取过样本（种子 {state.sample['seed']}，"
                f"{len(state.sample['projects'])} 个项目）；样本不能重抽",
                f"the library already has a sample drawn on {state.sample['at']} (seed "
                f"{state.sample['seed']}, {len(state.sample['projects'])} projects); "
                "a sample cannot be redrawn",
            )
        )
    if not state.projects:
        raise UsageError(text("项目库中没有项目", "the library holds no projects"))
    if stratum not in (None, "unit", "project_type"):
        raise UsageError(
            text(
                f"分层只能按 unit（县）或 project_type（项目类型），而不是 {stratum}",
                f"strata can be unit (county) or project_type, not {stratum}",
            )
        )
    population = len(state.projects)
    with tempfile.TemporaryDirectory() as folder:
        frame = Path(folder) / "projects_frame.csv"
        with frame.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["project_id", "unit", "project_type", "budget"])
            for pid in sorted(state.projects):
                project = state.projects[pid]
                writer.writerow([pid, project.unit, project.project_type, project.budget])
        request = Request(
            design="stratified" if stratum else "srs",
            seed=seed,
            id_column="project_id",
            stratum_column=stratum,
            n=math.ceil(round(rate * population, 9)),
            min_share=rate,
            allocation="proportional",
            min_per_stratum=1,
        )
        plan = draw(frame, request)
        described = plan.describe()
    described.pop("created", None)
    described["frame"].pop("file", None)
    chosen = sorted(str(row[0]) for row in plan.rows)
    data = {
        "projects": chosen,
        "population": population,
        "rate": rate,
        "seed": seed,
        "stratum": stratum,
        "plan": described,
    }
    library.append([("sample_drawn", data)], at)
    return Sample(chosen, population, rate, seed, described)
