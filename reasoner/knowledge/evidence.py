"""The evidence registry: what each evidence id cited by a rule refers to.

Evidence is data of the knowledge base (a YAML mapping from id to fields), never code.
Each entry says what it backs, where it comes from, how the source words its strength,
and a GRADE-style quality, so an answer can carry its grade and a reader can tell the
guideline's own references from later additions (``origin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..datafile import DataFile, validate

Quality = Literal["high", "moderate", "low", "very-low"]
Direction = Literal["for", "against", "mixed"]
Strength = Literal["strong", "weak"]


@dataclass(frozen=True)
class Evidence:
    """One evidence entry: where it comes from, what it backs, and its grade."""

    evidence_id: str
    origin: str
    source: str
    backs: str
    quality: str
    words: str | None = None
    direction: str | None = None
    strength: str | None = None
    link: str | None = None

    @property
    def grade(self) -> str:
        """Quality in GRADE words, with the source's own words beside it when they differ, then
        the strength of the recommendation when the source states one: GRADE keeps the two
        apart (moderate-quality evidence can back a strong recommendation)."""
        grade = f"{self.quality} ({self.words})" if self.words and self.words != self.quality else self.quality
        return f"{grade}; {self.recommendation}" if self.recommendation else grade

    @property
    def recommendation(self) -> str | None:
        """``strong recommendation against``: the strength and direction, when the source states a strength."""
        if self.strength is None:
            return None
        return (
            f"{self.strength} recommendation {self.direction}" if self.direction else f"{self.strength} recommendation"
        )


def read_registry(data_file: DataFile) -> dict[str, Evidence]:
    """Validate and read an evidence registry (its shape: ``evidence_file.py``); problems name file:line:col."""
    from .evidence_file import REGISTRY

    entries = validate(data_file, REGISTRY)
    return {
        evidence_id: Evidence(evidence_id, **entry.model_dump(exclude_none=True))
        for evidence_id, entry in entries.items()
    }
