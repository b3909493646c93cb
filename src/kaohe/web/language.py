"""Per-request language for the web: Chinese by default, English by choice (a session setting).

``kaohe.i18n`` keeps the language in a context variable; this middleware sets it for each request
from the session's ``lang``, then ``?lang=``, else Chinese.
"""

from __future__ import annotations

from .. import i18n

LANGS = i18n.LANGS


def current() -> str:
    return i18n.language()


class LanguageMiddleware:
    """Pure ASGI (so the context variable reaches the endpoint)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        lang = (scope.get("session") or {}).get("lang")
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            if part in ("lang=en", "lang=zh"):
                lang = part[5:]
        with i18n.use_language(lang if lang in LANGS else "zh"):
            await self.app(scope, receive, send)
