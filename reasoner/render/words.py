"""The wording the renderers share, so a leaf reads the same in every format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..explain.explanation import Bindings, Check, Failure, ProofSource, WhyNotKind
from ..knowledge.evidence import Evidence
from ..language.program import Rule, format_value

EvidenceRegistry = Mapping[str, Evidence]

SOURCE_WORDS: dict[ProofSource, str] = {
    "record": "from the record",
    "kb-fact": "knowledge-base fact",
    "rule": "derived",
}


WHY_NOT_WORDS: dict[WhyNotKind, str] = {
    "holds": "holds",
    "not-in-record": "is not in the record",
    "rules-fail": "does not hold",
    "no-rule": "no rule concludes it",
    "cycle": "already being explained above",
    "depth-limit": "not explored further",
}


@dataclass(frozen=True)
class CitedEvidence:
    """One evidence id a rule cites, with what the registry says about it when known."""

    evidence_id: str
    grade: str | None = None
    direction: str | None = None

    def __str__(self) -> str:
        details = [part for part in (self.grade, self.direction) if part]
        return f"{self.evidence_id} ({', '.join(details)})" if details else self.evidence_id


def cited_evidence(rule: Rule, evidence: EvidenceRegistry | None) -> list[CitedEvidence]:
    cited: list[CitedEvidence] = []
    for evidence_id in rule.metadata.evidence:
        entry = evidence.get(evidence_id) if evidence is not None else None
        if entry is None:
            cited.append(CitedEvidence(evidence_id))
        else:
            cited.append(CitedEvidence(evidence_id, entry.grade, entry.direction))
    return cited


def rule_label(rule: Rule) -> str:
    """``rule offer_course`` or just ``rule`` for an anonymous one."""
    return f"rule {rule.rule_id}" if rule.rule_id else "rule"


def bindings_text(bindings: Bindings) -> str:
    return ", ".join(f"{name} = {format_value(value)}" for name, value in bindings if not name.startswith("_#"))


def check_kind_text(check: Check) -> str:
    return f"{check.kind} {check.literal}"


def failure_words(failure: Failure, known: Bindings = ()) -> str:
    """One failure as a short clause: what was looked for and why it is not so.

    Values in ``known`` (the head's, already shown with the rule) are not repeated.
    """
    where = bindings_text(tuple(pair for pair in failure.bindings if pair not in known))
    suffix = f" (with {where})" if where else ""
    if failure.reason == "missing-input":
        return f"{failure.instantiated} is not in the record{suffix}"
    if failure.reason == "false-comparison":
        return f"{failure.instantiated} is false{suffix}"
    if failure.reason == "negation-holds":
        positive = failure.proof.fact if failure.proof is not None else failure.instantiated
        return f"{positive} holds, so `{failure.instantiated}` fails{suffix}"
    return f"{failure.instantiated} does not hold{suffix}"
