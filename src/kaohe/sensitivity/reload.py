"""Re-score a finished run from what it recorded: the scheme it kept, the same data and period.

The Monte Carlo starts from the run's own ``ScoringState`` (recomputed with ``kaohe.run.assess``
and ``out=None``), so every draw varies the recorded steps rather than a second model of them.
Before drawing, the recomputation is checked against the run's published scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..errors import DataError
from ..i18n import text
from ..run import RunResult, assess
from ..run.opened import open_run


@dataclass
class ReloadedRun:
    run_dir: Path
    manifest: dict[str, Any]
    explanation: dict[str, Any]
    result: RunResult


def _recorded_file(manifest_path: Path, recorded: str, sha256: str, what: str) -> Path:
    """The file the run read, unchanged since: its recorded path, checked by sha256."""
    path = Path(recorded)
    if not path.is_file():
        raise DataError(
            text(
                f"{manifest_path}：记录的{what} {recorded} 不存在；请在运行 kaohe assess 的目录下"
                "执行本命令（记录的是相对路径时），或重新运行 kaohe assess",
                f"{manifest_path}: the recorded {what} {recorded} does not exist; run this "
                "command from the directory kaohe assess ran in (when the recorded path is "
                "relative), or run kaohe assess again",
            )
        )
    if sha256_of(path) != sha256:
        raise DataError(
            text(
                f"{path}：文件在考核之后被修改（sha256 与 {manifest_path} 不符）；"
                "请重新运行 kaohe assess，再做敏感性分析",
                f"{path}: the file changed after the run (its sha256 differs from "
                f"{manifest_path}); run kaohe assess again before the sensitivity analysis",
            )
        )
    return path


def reload_run(run_dir: Path) -> ReloadedRun:
    """Recompute ``run_dir``'s scoring state from the scheme it kept and its recorded inputs."""
    opened = open_run(run_dir)
    run_dir, manifest = opened.run_dir, opened.manifest
    manifest_path = run_dir / "manifest.json"
    inputs = manifest["inputs"]
    for name, item in inputs.items():
        _recorded_file(
            manifest_path, item["file"], item["sha256"], text("输入文件", f"input {name}")
        )
    data_dir = Path(inputs["units"]["file"]).parent
    result = assess(
        opened.scheme,  # its parameter values are those the run applied
        data_dir,
        out=None,
        period=manifest.get("period"),
        seed=int(manifest.get("seed") or 0),
    )
    _check_reproduced(run_dir, opened.explanation, result)
    return ReloadedRun(run_dir, manifest, opened.explanation, result)


def _check_reproduced(run_dir: Path, explanation: dict[str, Any], result: RunResult) -> None:
    state = result.state
    published = explanation.get("units", {})
    for i, unit in enumerate(state.units):
        recorded = published.get(unit, {}).get("score")
        score = float(state.values["score"][i])
        same = (recorded is None and math.isnan(score)) or (
            recorded is not None and abs(recorded - score) <= 1e-6 * max(1.0, abs(score))
        )
        if not same or published.get(unit, {}).get("grade") != state.values["grade"][i]:
            raise DataError(
                text(
                    f"{run_dir}：重新计算得不到原结果（{unit}：记录 {recorded}，重算 {score:.6f}）；"
                    "请重新运行 kaohe assess",
                    f"{run_dir}: recomputing does not reproduce the run ({unit}: recorded "
                    f"{recorded}, recomputed {score:.6f}); run kaohe assess again",
                )
            )
