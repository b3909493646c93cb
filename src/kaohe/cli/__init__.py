"""The ``kaohe`` command line: one module per area, each registering its commands on ``app``."""

from . import assess, audit, db, demo, quality, scheme, scheme_versions, sensitivity, serve, verify  # noqa: F401  (importing registers the commands)
from .app import app

__all__ = ["app"]
