"""Fixtures for the funds tests; the helpers live in ``tests.support.funds``."""

from __future__ import annotations

import pytest
from tests.support.cli import Kaohe


@pytest.fixture
def kaohe() -> Kaohe:
    """The real ``kaohe`` command line, in-process; messages in English unless ``lang`` is given."""
    return Kaohe()
