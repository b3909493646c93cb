"""Text the scheme or the run wrote, made fit for an official document.

An official document carries no internal reference: identifiers (of measures, indicators, flags,
nodes, vetoes …) are replaced by their labels, and remarks that point at files or commands
("(policy.md §1)", "（kaohe quality check）") are dropped.
"""

from __future__ import annotations

import re

from ..scheme import LoadedScheme
from ..scheme.tree import ROOT_ID


class Publisher:
    """Text the scheme or the run wrote, made fit for an official document: internal ids become
    labels and remarks pointing at files or commands are dropped."""

    # A parenthesised remark naming a file or a command: "(policy.md §1)", "（kaohe quality check）".
    _INTERNAL_REMARK = re.compile(
        r"\s*[（(][^（）()]*(?:\.(?:md|ya?ml|json|csv|parquet|py|sql|xlsx)\b|kaohe\s)[^（）()]*[）)]"
    )

    # A file name left outside brackets.
    _FILE_NAME = re.compile(r"[\w./-]+\.(?:md|ya?ml|json|csv|parquet|py|sql|xlsx)\b")

    def __init__(self, scheme: LoadedScheme, lang: str) -> None:
        model = scheme.model
        names = {*model.measures, *model.indicators, *model.flags, *model.parameters}
        names |= {node.id for node in scheme.tree.walk() if node.id != ROOT_ID}
        names |= {veto.id for veto in model.vetoes} | {c.id for c in model.coverage}
        names |= {item.id for item in model.adjustments.items}
        labels = {name: self._label(scheme, name, lang) for name in names}
        self.labels = labels
        # Longest first, so that "wrong_exit_rate" is replaced before "wrong_exit".
        ids = sorted(labels, key=len, reverse=True)
        self._ids = (
            re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9_])")
            if ids
            else None
        )

    @staticmethod
    def _label(scheme: LoadedScheme, name: str, lang: str) -> str:
        model = scheme.model
        for veto in model.vetoes:
            if veto.id == name:
                return (veto.reason_en if lang == "en" else None) or veto.reason
        for coverage in model.coverage:
            if coverage.id == name:
                return (coverage.reason_en if lang == "en" else None) or coverage.reason
        for item in model.adjustments.items:
            if item.id == name:
                return (item.label_en if lang == "en" else None) or item.label or ""
        if name in model.parameters:
            return model.parameters[name].label or ""
        label = scheme.label(name, lang)
        return "" if label == name else label

    def clean(self, written: str) -> str:
        """Without remarks naming files or commands (labels are shown as written otherwise)."""
        return self._FILE_NAME.sub("", self._INTERNAL_REMARK.sub("", written or "")).strip()

    def __call__(self, written: str) -> str:
        """Run-written text (reasons, notes): cleaned, and every identifier as its label."""
        cleaned = self.clean(written)
        if self._ids is None:
            return cleaned
        # "“错退率”（wrong_exit_rate）": the id in brackets only repeats the label, drop it
        cleaned = re.sub(
            r"\s*[（(]\s*(" + self._ids.pattern + r")\s*[）)]",
            lambda m: "" if self.labels.get(m.group(2)) else m.group(0),
            cleaned,
        )
        return self._ids.sub(self._replace, cleaned).strip()

    def _replace(self, match: re.Match[str]) -> str:
        """An identifier as its label. A plain word ("reduction") is an identifier only beside
        Chinese text: in an English sentence it is the English word."""
        name, text_ = match.group(1), match.string
        label = self.labels.get(name)
        if not label:
            return name
        if "_" in name or any(char.isdigit() for char in name):
            return label
        before = text_[: match.start()].rstrip()[-1:]
        after = text_[match.end() :].lstrip()[:1]
        return label if any(c and not c.isascii() for c in (before, after)) else name

    def label(self, name: str) -> str | None:
        """The label of ``name``; None when the scheme gives it none (an id is never shown)."""
        label = self.labels.get(name)
        return self.clean(label) if label else None
