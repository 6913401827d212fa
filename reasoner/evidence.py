"""The evidence registry: what each evidence id cited by a rule refers to.

Evidence is data of the knowledge base (a YAML mapping from id to fields), never code.
Each entry says what it backs, where it comes from, how the source words its strength,
and a GRADE-style quality, so an answer can carry its grade and a reader can tell the
guideline's own references from later additions (``origin``).
"""

from __future__ import annotations

from dataclasses import dataclass

from reasoner.datafile import DataFile
from reasoner.errors import KnowledgeBaseError, Problem

QUALITIES = ("high", "moderate", "low", "very-low")
DIRECTIONS = ("for", "against", "mixed")
_REQUIRED = ("origin", "source", "backs", "quality")
_OPTIONAL = ("words", "direction", "link", "strength")
STRENGTHS = ("strong", "weak")


@dataclass(frozen=True)
class Evidence:
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
    """Validate and read an evidence registry; every problem names file:line:col."""
    problems: list[Problem] = []
    registry: dict[str, Evidence] = {}
    if not isinstance(data_file.data, dict):
        raise KnowledgeBaseError(
            [data_file.problem((), "an evidence registry is a mapping from evidence id to fields")]
        )
    for evidence_id, fields in data_file.data.items():
        path: tuple[str | int, ...] = (str(evidence_id),)
        if not isinstance(fields, dict):
            problems.append(data_file.problem(path, "each evidence entry is a mapping of fields"))
            continue
        unknown = sorted(set(fields) - set(_REQUIRED) - set(_OPTIONAL))
        for name in unknown:
            allowed = ", ".join(_REQUIRED + _OPTIONAL)
            problems.append(data_file.problem((*path, name), f"unknown field; allowed: {allowed}"))
        for name in _REQUIRED:
            if not isinstance(fields.get(name), str) or not fields[name].strip():
                problems.append(data_file.problem(path, f"{name} is required and must be text"))
        for name, allowed_values in (("quality", QUALITIES), ("direction", DIRECTIONS), ("strength", STRENGTHS)):
            value = fields.get(name)
            if value is not None and value not in allowed_values:
                problems.append(
                    data_file.problem((*path, name), f"{value!r} is not allowed; allowed: {', '.join(allowed_values)}")
                )
        if not problems:
            registry[str(evidence_id)] = Evidence(
                evidence_id=str(evidence_id),
                **{name: str(fields[name]) for name in _REQUIRED},
                **{name: str(fields[name]) for name in _OPTIONAL if fields.get(name) is not None},
            )
    if problems:
        raise KnowledgeBaseError(problems)
    return registry
