"""issue 15: ``kaohe demo --persons 3000000`` failed on duplicate monitoring household ids: the
general households' ids joined the batch number and the index without a fixed width, so batch 1's
household 23 and batch 12's household 3 were both ``…000000123``."""

from __future__ import annotations

import numpy as np

from kaohe.demo.sectors.monitoring_inputs import _batch

COLUMNS = (
    "food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok", "labour_capacity",
)  # fmt: skip


def _registry(n: int) -> dict:
    """``n`` exited households of one county, as a batch of households.parquet."""
    return {
        "unit": np.full(n, "520102"),
        "household_id": np.char.add("520102", np.char.zfill(np.arange(n).astype(str), 7)),
        "size": np.full(n, 3),
        "income_per_capita": np.full(n, 6000.0),
        "status": np.full(n, "已脱贫户"),
        **{name: np.ones(n, dtype=bool) for name in COLUMNS},
    }


def test_general_households_ids_are_unique_across_batches():
    ids = []
    for batch in (1, 12, 123, 1234, 12345):  # 10^8 persons make some 150 batches; 12345 to spare
        households = _batch(_registry(300), {}, batch, 2016, 4000.0, 2021)[0]
        ids += [i for i in households["household_id"].tolist() if i.startswith("G")]
    assert len(ids) == 5 * 100
    assert len(set(ids)) == len(ids)
