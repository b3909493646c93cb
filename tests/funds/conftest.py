"""Fixtures for the funds tests; the helpers live in ``funds_support``.

Test modules are imported by path (``--import-mode=importlib``), so this folder is put on
``sys.path`` for them to ``import funds_support``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from funds_support import Kaohe  # noqa: E402


@pytest.fixture
def kaohe() -> Kaohe:
    """The real ``kaohe`` command line, in-process; messages in English unless ``lang`` is given."""
    return Kaohe()
