"""Per-request language for the web: Chinese by default, English by choice (a session setting).

``kaohe.i18n`` keeps one process-wide language, which suits the command line but not a server
answering Chinese and English users at once. ``install()`` makes ``kaohe.i18n.text`` consult a
context variable first, set per request by ``LanguageMiddleware``; outside a request nothing
changes. (Requested upstream: a ContextVar in kaohe.i18n itself would make this unnecessary.)
"""

from __future__ import annotations

from contextvars import ContextVar

from .. import i18n

LANGS = ("zh", "en")
_request_language: ContextVar[str | None] = ContextVar("kaohe_request_language", default=None)
_original = i18n.language


def _language() -> str:
    return _request_language.get() or _original()


def install() -> None:
    i18n.language = _language


def current() -> str:
    return _language()


class LanguageMiddleware:
    """Pure ASGI (so the context variable reaches the endpoint): session ``lang``, then ``?lang``,
    then Chinese."""

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
        token = _request_language.set(lang if lang in LANGS else "zh")
        try:
            await self.app(scope, receive, send)
        finally:
            _request_language.reset(token)
