"""The web platform: FastAPI pages (Jinja2, HTMX, ECharts — all served by the app) and the API."""

from .app import create_app

__all__ = ["create_app"]
