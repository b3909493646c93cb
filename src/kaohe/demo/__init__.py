"""The demo: a deterministic synthetic national data set and the job that runs the bundled schemes."""

from .run import run_demo

__all__ = ["run_demo"]
