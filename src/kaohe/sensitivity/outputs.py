"""Write an analysis beside its run: RUN_DIR/sensitivity/ with CSV, JSON and its own manifest.

Written through the run record (``run/record.py``) like the run itself, so a failed analysis
never leaves half a result and never destroys the previous one.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from ..data.files import sha256_of
from ..run.record import staged_directory, write_json, write_manifest
from ..run.results_table import clean
from .analysis import Analysis

FOLDER = "sensitivity"


def settings_record(analysis: Analysis) -> dict[str, Any]:
    settings = analysis.settings
    return {
        "draws_requested": settings.draws,
        "rows_evaluated": analysis.rows,
        "base_samples": analysis.base,
        "seed": analysis.seed,
        "weights": settings.weights.describe(),
        "normalizations": ["scheme", *settings.normalizations],
        "aggregations": ["scheme", *settings.aggregations],
        "sampling": settings.sampling,
        "estimates": str(settings.estimates) if settings.estimates else None,
        "threshold": settings.threshold,
    }


def payload(analysis: Analysis) -> dict[str, Any]:
    """Everything the analysis found, as plain JSON (sensitivity.json)."""
    indices = analysis.indices
    manifest = analysis.run_manifest
    return {
        "run": {
            "scheme": manifest.get("scheme", {}).get("id"),
            "scheme_version": manifest.get("scheme", {}).get("version"),
            "period": manifest.get("period"),
        },
        "settings": settings_record(analysis),
        "grades": analysis.grades,
        "inputs": [
            {
                "id": group.id,
                "kind": group.kind,
                "label": group.label,
                "label_en": group.label_en,
                "first_order": clean(indices.first[g]),
                "first_order_conf": clean(indices.first_conf[g]),
                "total": clean(indices.total[g]),
                "total_conf": clean(indices.total_conf[g]),
            }
            for g, group in enumerate(analysis.groups)
        ],
        "sampling": [sampler.describe() for sampler in analysis.samplers],
        "notes": analysis.notes,
        "unstable": [u.unit for u in analysis.units if u.unstable],
        "units": {u.unit: {k: clean(v) for k, v in u.as_dict().items()} for u in analysis.units},
    }


def unit_rows(analysis: Analysis) -> tuple[list[str], list[list[Any]]]:
    header = [
        "unit",
        "name",
        "score",
        "grade",
        "rank",
        "median_rank",
        "rank_p05",
        "rank_p95",
        "score_mean",
        "score_p05",
        "score_p95",
        *[f"p_{grade}" for grade in analysis.grades],
        "nominal_grade_probability",
        "unstable",
        "main_driver",
    ]
    rows = []
    for u in sorted(analysis.units, key=lambda u: (u.rank or 10**9, u.unit)):
        rows.append(
            [
                u.unit,
                u.name,
                clean(u.score),
                u.grade,
                u.rank,
                u.median_rank,
                u.rank_low,
                u.rank_high,
                clean(u.mean_score),
                clean(u.score_low),
                clean(u.score_high),
                *[clean(u.probabilities[g]) for g in analysis.grades],
                clean(u.nominal_probability),
                "true" if u.unstable else "false",
                u.driver or "",
            ]
        )
    return header, rows


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def write_analysis(analysis: Analysis, created: dt.datetime | None = None) -> Path:
    """Write RUN_DIR/sensitivity/ and return its path."""
    with staged_directory(analysis.run_dir / FOLDER) as staging:
        data = payload(analysis)
        write_json(staging / "sensitivity.json", data)
        _write_csv(staging / "units.csv", *unit_rows(analysis))
        _write_csv(
            staging / "indices.csv",
            [
                "input",
                "kind",
                "label",
                "label_en",
                "first_order",
                "first_order_conf",
                "total",
                "total_conf",
            ],
            [
                [
                    i["id"],
                    i["kind"],
                    i["label"],
                    i["label_en"],
                    i["first_order"],
                    i["first_order_conf"],
                    i["total"],
                    i["total_conf"],
                ]
                for i in data["inputs"]
            ],
        )
        write_manifest(
            staging,
            created or dt.datetime.now(dt.UTC),
            seconds=round(analysis.seconds, 3),
            run_manifest_sha256=sha256_of(analysis.run_dir / "manifest.json"),
            settings=settings_record(analysis),
        )
    return (analysis.run_dir / FOLDER).resolve()
