"""Demo source ``fund_integration``: per county, the integration of agricultural funds (统筹整合
使用财政涉农资金) and the funds left unspent at year end (结转结余), as the county finance bureau
reports them.

A county of a strong province has an approved integration plan, spends more of the integrated
funds on projects of its project library and carries less over. One stream per county (seed,
120, county index): nothing else in the demo changes when this report is added. Amounts in
万元, like the project library's.
"""

from __future__ import annotations

import numpy as np

from ..data.schemas import load_schema
from . import random_streams
from .csv_files import flag
from .geography import County
from .years import period

INTEGRATION_STREAM = 120  # this report's random streams are keyed (seed, 120, county index)


def integration_header() -> list[str]:
    """The columns in the order the source schema declares them."""
    return list(load_schema("fund_integration").model.columns)


def integration_row(quality: float, county: County, seed: int, k: int) -> list:
    """One county's report."""
    rng = random_streams.rng(seed, INTEGRATION_STREAM, k)
    q = quality
    available = float(rng.lognormal(np.log(30000), 0.4))  # about ¥300 million
    unspent_share = float(np.clip(rng.normal(0.22 - 0.17 * q, 0.03), 0.01, 0.5))
    integrated = available * rng.uniform(0.5, 0.8)
    library_share = float(np.clip(rng.normal(0.6 + 0.35 * q, 0.05), 0.3, 1.0))
    return [
        county.code,
        flag(rng.random() < 0.75 + 0.25 * q),
        round(integrated, 1),
        round(integrated * library_share, 1),
        round(available, 1),
        round(available * unspent_share, 1),
        period(),
    ]
