"""The compact form of a batch's answers: per patient what varies, the knowledge base's part once.

A full answer repeats, for every patient and item, the item's label, its filled
statements and every evidence reference of its rules: most of its ~10 KB is the same
from one patient to the next. The compact form keeps, per patient, only what the
patient's facts decide, the item codes and kinds, their parameters, the ids of the rules
behind each item and the ids of any conflicting evidence, and says once, in a header,
what each rule cites and what each evidence id and code stands for
(docs/schemas/compact-answer.schema.json):

* the header: ``{"knowledge_base": …, "labels": {code: label}, "rules": {rule id: [evidence
  id, …]}, "evidence": {evidence id: {"grade", "origin", "source"}}}``;
* one line per patient: ``{"subject": …, "items": [{"code", "kind", "parameters",
  "rules", "conflicts"}]}``, or ``{"error": …}`` exactly as in full answers.

A full item's ``evidence`` is the evidence of its ``rules`` in order, each id once, as
the header lists them; its ``label`` is the header's. The statements, filled with the
patient's values, are the one part of a full answer the compact form leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..knowledge.evidence import Evidence
from .advisor import Advisor
from .answer import Answer, Item
from .answer_spec import AnswerSpec

FORMS = ("full", "compact")
"""What each patient's line holds: the full answer (docs/schemas/answer.schema.json) or the compact one."""


def compact_item(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "kind": item.kind,
        "parameters": item.parameters_json(),
        "rules": list(item.rules),
        "conflicts": [reference.evidence_id for reference in item.conflicting_evidence],
    }


def compact_answer(answer: Answer) -> dict[str, Any]:
    """One patient's compact line from its answer."""
    return {"subject": answer.subject, "items": [compact_item(item) for item in answer.items]}


def compact_from_full(full: dict[str, Any]) -> dict[str, Any]:
    """The compact line a full answer's JSON (or a batch error line) stands for."""
    if "error" in full:
        return full
    return {
        "subject": full["subject"],
        "items": [
            {
                "code": item["code"],
                "kind": item["kind"],
                "parameters": item["parameters"],
                "rules": item["rules"],
                "conflicts": [reference["id"] for reference in item["conflicting_evidence"]],
            }
            for item in full["items"]
        ],
    }


def advisor_header(advisor: Advisor) -> dict[str, Any]:
    """:func:`compact_header` of an advisor's knowledge base: every rule, as answers cite it."""
    rules = {rule.rule_id or str(rule): tuple(rule.metadata.evidence) for rule in advisor.kb.program.rules}
    return compact_header(advisor.identity, advisor.answer_spec, rules, advisor.kb.evidence)


def compact_header(
    identity: dict[str, str],
    spec: AnswerSpec,
    rules: dict[str, tuple[str, ...]],
    evidence: Mapping[str, Evidence],
) -> dict[str, Any]:
    """The part of every answer the knowledge base alone decides, said once.

    ``rules`` maps each rule's id (its text when it has none, as answers cite it) to the
    evidence ids it cites; ``evidence`` is the registry, listed whole (conflicting evidence
    comes from the knowledge base's facts, not from rules). An evidence id a rule cites
    that the registry lacks is listed as answers show it: ungraded, of unknown origin.
    """
    cited = dict.fromkeys([*evidence, *(evidence_id for ids in rules.values() for evidence_id in ids)])
    return {
        "knowledge_base": dict(identity),
        "labels": {code: entry.label for code, entry in spec.codes.items()},
        "rules": {rule: list(ids) for rule, ids in rules.items()},
        "evidence": {
            evidence_id: (
                {"grade": entry.grade, "origin": entry.origin, "source": entry.source}
                if (entry := evidence.get(evidence_id)) is not None
                else {"grade": "ungraded", "origin": "unknown", "source": ""}
            )
            for evidence_id in sorted(cited)
        },
    }


__all__ = ["FORMS", "advisor_header", "compact_answer", "compact_from_full", "compact_header", "compact_item"]
