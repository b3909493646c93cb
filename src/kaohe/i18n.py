"""User-facing language: Chinese by default, English with ``KAOHE_LANG=en`` or ``--lang en``.

Messages are written at the place they are raised as ``text(zh, en)`` so that each message's two
versions stay side by side and cannot drift apart.
"""

from __future__ import annotations

import os

_LANGS = ("zh", "en")
_current: str | None = None


def set_language(lang: str) -> None:
    global _current
    if lang not in _LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(_LANGS)}")
    _current = lang


def language() -> str:
    if _current is not None:
        return _current
    env = os.environ.get("KAOHE_LANG", "zh").lower()
    return "en" if env.startswith("en") else "zh"


def text(zh: str, en: str) -> str:
    """Pick the user's language."""
    return en if language() == "en" else zh
