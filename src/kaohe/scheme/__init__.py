"""Schemes (考核办法): the model, YAML loading with line numbers, and checks."""

from .load import LoadedScheme, bundled_schemes, load_scheme, resolve_scheme_path
from .model import Scheme

__all__ = ["LoadedScheme", "Scheme", "bundled_schemes", "load_scheme", "resolve_scheme_path"]
