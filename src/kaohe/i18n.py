"""User-facing language: Chinese by default, English with ``KAOHE_LANG=en`` or ``--lang en``.

Messages are written at the place they are raised as ``text(zh, en)`` so that each message's two
versions stay side by side and cannot drift apart. The chosen language lives in a context
variable, so a web server can answer Chinese and English users at the same time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LANGS = ("zh", "en")
_current: ContextVar[str | None] = ContextVar("kaohe_language", default=None)


def _checked(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def set_language(lang: str) -> None:
    """Choose the language for the rest of this context (the whole command, on the CLI)."""
    _current.set(_checked(lang))


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Choose the language for one block (one web request), then restore the previous one."""
    token = _current.set(_checked(lang))
    try:
        yield
    finally:
        _current.reset(token)


def language() -> str:
    chosen = _current.get()
    if chosen is not None:
        return chosen
    env = os.environ.get("KAOHE_LANG", "zh").lower()
    return "en" if env.startswith("en") else "zh"


def text(zh: str, en: str) -> str:
    """Pick the user's language."""
    return en if language() == "en" else zh


class Bilingual(str):
    """A text in the user's language that keeps both (``.zh``, ``.en``): for what a run records
    once and pages read later in either language (why a grade is withheld)."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str) -> Bilingual:
        made = super().__new__(cls, text(zh, en))
        made.zh, made.en = zh, en
        return made


def in_language(value: str, lang: str) -> str:
    """``value`` in ``lang`` where it is ``Bilingual``; else as it is."""
    return getattr(value, lang, value)
