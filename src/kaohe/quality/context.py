"""What a detector sees: the open data, the rules, and a place to note what it skipped."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..verify.inputs import Inputs
from .findings import Note
from .quality_rules import LoadedQuality


@dataclass
class QualityContext:
    inputs: Inputs
    rules: LoadedQuality
    eligibility: object | None = None  # loaded eligibility rules (poverty line, flags)
    notes: list[Note] = field(default_factory=list)

    def note(self, rule: str, message: str) -> None:
        self.notes.append(Note(rule, message))

    def unit_map(self, level: str) -> str:
        """A temp table ``map_<level>(unit, ancestor)``: each unit's ancestor at ``level``."""
        name = f"map_{level}"
        con = self.inputs.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (unit VARCHAR, ancestor VARCHAR)")
        pairs = sorted(self.inputs.ancestor_at(level).items())
        if pairs:
            con.executemany(f"INSERT INTO {name} VALUES (?, ?)", pairs)
        return name


def mask_id(value: str) -> str:
    """A resident ID for evidence: region code and last four digits only (personal data)."""
    value = str(value)
    if len(value) <= 10:
        return value[:2] + "*" * max(0, len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
