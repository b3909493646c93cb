"""The ``kaohe`` command line: one module per area, each registering its commands on ``app``."""

from . import (  # noqa: F401  (importing registers the commands)
    assess,
    audit_log,
    data,
    data_check,
    data_map,
    db,
    demo,
    documents,
    funds,
    history,
    monitor,
    outcomes,
    pivot,
    quality,
    report,
    scheme,
    scheme_versions,
    sensitivity,
    serve,
    template,
    verify,
)
from .app import app

__all__ = ["app"]
