"""Answers as text: items grouped by kind, each with its statement, parameters and evidence.

The JSON form of an answer is the answer's own ``to_json``; this module renders it for a
person, and renders what a FHIR Bundle held that the answer could not use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..advisor.answer import Answer
from ..knowledge.evidence import Evidence
from .lines import Line

KIND_STYLES = {"refer": "bold red", "warn": "yellow", "recommend": "green", "consider": "cyan", "avoid": "magenta"}


def evidence_of(evidence: Mapping[str, Evidence], evidence_ids: Iterable[str]) -> str:
    """``ref1 (moderate), beers2023 (moderate; strong against)``: each evidence id with its quality
    from the registry and, where the source states one, the strength of its recommendation."""
    parts = []
    for evidence_id in evidence_ids:
        entry = evidence.get(evidence_id)
        if entry is None:
            parts.append(evidence_id)
        elif entry.strength:
            parts.append(f"{evidence_id} ({entry.quality}; {entry.strength} {entry.direction or ''}".rstrip() + ")")
        else:
            parts.append(f"{evidence_id} ({entry.quality})")
    return ", ".join(parts)


def parameter_text(value: Any) -> str:
    """A parameter's value as a person reads it: lists joined by commas."""
    return ", ".join(str(part) for part in value) if isinstance(value, tuple) else str(value)


def answer_lines(answer: Answer, kinds: Sequence[str], evidence: Mapping[str, Evidence]) -> Iterator[Line]:
    """The answer as a tree: a heading, then each kind (in the vocabulary's order) with its items."""
    kb = answer.knowledge_base
    yield Line(0, f"Answer for {answer.subject} ({kb['name']} {kb['version']})", "bold")
    for kind in kinds:
        items = [item for item in answer.items if item.kind == kind]
        if not items:
            continue
        yield Line(1, kind.upper(), KIND_STYLES.get(kind, "bold"))
        for item in items:
            yield Line(2, f"{item.label} [{item.code}]", "bold")
            if item.statements:
                yield Line(3, item.statements[0], "italic")
            for name, value in item.parameters.items():
                yield Line(3, f"{name}: {parameter_text(value)}")
            yield Line(3, "evidence: " + evidence_of(evidence, [ref.evidence_id for ref in item.evidence]), "dim")
            if item.conflicting_evidence:
                conflicting = [ref.evidence_id for ref in item.conflicting_evidence]
                yield Line(3, "conflicting evidence: " + evidence_of(evidence, conflicting), "red")


def reading_lines(reading: Any) -> Iterator[Line]:
    """What a FHIR Bundle held that the answer could not use, and the defaults it assumed."""
    if reading.not_understood:
        yield Line(1, "NOT UNDERSTOOD (not used by this answer)", "bold red")
        for item in reading.not_understood:
            yield Line(2, " ".join(f"{key}: {value}" for key, value in item.to_json().items() if value))
    if reading.assumptions:
        yield Line(1, "ASSUMED", "bold")
        for assumption in reading.assumptions:
            yield Line(2, str(assumption))
