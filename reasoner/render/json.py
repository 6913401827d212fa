"""The explanation as JSON-ready data with stable field names, for the API and other tools.

The shape is published as a JSON Schema in ``docs/schemas/explanation.schema.json``;
tests validate every rendering against it, so a field is never renamed silently.
Every node has a ``node`` field saying which kind it is.
"""

from __future__ import annotations

from typing import Any

from ..explain.explanation import Absence, Attempt, Bindings, Check, Explanation, Failure, Proof, Step, WhyNot
from ..explain.instantiate import atom_values
from ..language.program import Rule
from .words import EvidenceRegistry, cited_evidence

SCHEMA_ID = "https://backspasm.invalid/schemas/explanation.schema.json"
JSON = dict[str, Any]


def render_json(explanation: Explanation, evidence: EvidenceRegistry | None = None) -> JSON:
    """A proof (``node: fact``) or a why-not (``node: why-not``) as plain dicts, lists, strings and ints."""
    if isinstance(explanation, Proof):
        return _proof(explanation, evidence)
    return _why_not(explanation, evidence)


def _rule(rule: Rule, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "id": rule.rule_id,
        "statement": rule.metadata.statement,
        "datalog": str(rule),
        "evidence": [
            {"id": item.evidence_id, "grade": item.grade, "direction": item.direction}
            for item in cited_evidence(rule, evidence)
        ],
    }


def _bindings(bindings: Bindings) -> JSON:
    return {name: value for name, value in bindings if not name.startswith("_#")}


def _proof(proof: Proof, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "node": "fact",
        "fact": str(proof.fact),
        "predicate": proof.fact.predicate,
        "arguments": list(atom_values(proof.fact)),
        "source": proof.source,
        "rule": _rule(proof.rule, evidence) if proof.rule is not None else None,
        "bindings": _bindings(proof.bindings),
        "steps": [_step(step, evidence) for step in proof.steps],
    }


def _step(step: Step, evidence: EvidenceRegistry | None) -> JSON:
    if isinstance(step, Proof):
        return _proof(step, evidence)
    if isinstance(step, Check):
        return {
            "node": step.kind,
            "literal": str(step.literal),
            "instantiated": str(step.instantiated),
            "bindings": _bindings(step.bindings),
        }
    return _absence(step, evidence)


def _absence(step: Absence, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "node": "negation",
        "literal": str(step.literal),
        "fact": str(step.fact),
        "why_not": _why_not(step.why_not, evidence),
    }


def _why_not(explanation: WhyNot, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "node": "why-not",
        "fact": str(explanation.fact),
        "predicate": explanation.fact.predicate,
        "kind": explanation.kind,
        "attempts": [_attempt(attempt, evidence) for attempt in explanation.attempts],
        "related": [_rule(rule, evidence) for rule in explanation.related],
        "record": [str(fact) for fact in explanation.record],
    }


def _attempt(attempt: Attempt, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "rule": _rule(attempt.rule, evidence),
        "bindings": _bindings(attempt.bindings),
        "literal": str(attempt.literal) if attempt.literal is not None else None,
        "position": attempt.position,
        "failures": [_failure(failure, evidence) for failure in attempt.failures],
        "more": attempt.more,
    }


def _failure(failure: Failure, evidence: EvidenceRegistry | None) -> JSON:
    return {
        "reason": failure.reason,
        "instantiated": str(failure.instantiated),
        "bindings": _bindings(failure.bindings),
        "proof": _proof(failure.proof, evidence) if failure.proof is not None else None,
        "why_not": _why_not(failure.why_not, evidence) if failure.why_not is not None else None,
    }
