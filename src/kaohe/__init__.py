"""Kaohe (考核): data + a declarative, versioned scheme -> graded, ranked results that explain themselves."""

__version__ = "0.1.0"
