"""Answers as text: the plan summary first, then items grouped by kind, one line each.

The JSON form of an answer is the answer's own ``to_json``; this module renders it for a
person, and renders what a FHIR Bundle held that the answer could not use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..advisor.answer import Answer, Item
from ..advisor.answer_spec import AnswerSpec
from ..advisor.summary import summarize
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


def answer_lines(
    answer: Answer, spec: AnswerSpec, evidence: Mapping[str, Evidence], *, detail: bool = False
) -> Iterator[Line]:
    """The answer for a clinician: a banner when something must not be missed, the plan
    summary, then each item in one line (its statement filled for the patient), grouped by
    kind, and a footer of what every patient gets.

    ``detail`` adds each item's parameters, every statement and the evidence with grades.
    """
    summary = summarize(answer, spec)
    for text in summary.banner:
        yield Line(0, f"!! {text}", "bold white on red")
    kb = answer.knowledge_base
    yield Line(0, f"Answer for {answer.subject} ({kb['name']} {kb['version']})", "bold")
    if summary.lines:
        yield Line(1, "PLAN", "bold")
        for plan_line in summary.lines:
            yield Line(2, plan_line.text)
            for caution in plan_line.cautions:
                yield Line(3, caution, "yellow")
    shown = set(summary.footer_codes) if not detail else set()
    for kind in spec.kinds:
        items = [item for item in answer.items if item.kind == kind and item.code not in shown]
        if not items:
            continue
        yield Line(1, kind.upper(), KIND_STYLES.get(kind, "bold"))
        for item in items:
            statement = f": {item.statements[0]}" if item.statements else ""
            yield Line(2, f"{item.label} [{item.code}]{statement}")
            if detail:
                yield from _detail_lines(item, spec, evidence)
    if summary.footer and not detail:
        yield Line(1, summary.footer, "dim")


def _detail_lines(item: Item, spec: AnswerSpec, evidence: Mapping[str, Evidence]) -> Iterator[Line]:
    for name, value in item.parameters.items():
        yield Line(3, f"{spec.parameter_label(name)}: {spec.say(value)}")
    for statement in item.statements[1:]:
        yield Line(3, statement, "italic")
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
