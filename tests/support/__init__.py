"""Helpers shared by the test folders (``from tests.support.engine import …``): writers of small
data sets, the real CLI in-process, the platform's test databases. Not part of the package."""
