"""An indented plain-text tree a clinician can read in a terminal, and a test can compare.

The whole proof, as ``why --full`` prints it (``why`` alone prints the decisive path,
:mod:`.decisive`), and the why-not tree. At each derived fact the rule's human statement
comes first (filled with the item's parameters and the rule's values), then its Datalog,
its evidence with grades and the values it was used with; every leaf says where it comes
from. No colour codes: the output is golden-tested.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..explain.explanation import Absence, Attempt, Bindings, Check, Explanation, Failure, Proof, Step, WhyNot
from ..language.program import Rule
from .vocabulary import Vocabulary
from .words import (
    EvidenceRegistry,
    bindings_text,
    cited_evidence,
    failure_words,
    rule_label,
)

INDENT = "  "


def render_text(
    explanation: Explanation, evidence: EvidenceRegistry | None = None, vocabulary: Vocabulary | None = None
) -> str:
    """The explanation as an indented tree, one line per statement, ending with a newline.

    ``vocabulary`` fills the statements' placeholders (the item's parameters, the rule's values).
    """
    context = _Context(evidence, vocabulary or Vocabulary())
    lines = _proof(explanation, 0, context) if isinstance(explanation, Proof) else _why_not(explanation, 0, context)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Context:
    evidence: EvidenceRegistry | None
    vocabulary: Vocabulary


def _rule_lines(rule: Rule, depth: int, context: _Context, bindings: Bindings = ()) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    statement = context.vocabulary.statement(rule, bindings)
    if statement:
        lines.append(f"{pad}{statement}")
    lines.append(f"{pad}{rule_label(rule)}: {rule}")
    cited = cited_evidence(rule, context.evidence)
    if cited:
        lines.append(f"{pad}evidence: {', '.join(str(item) for item in cited)}")
    return lines


def _proof(proof: Proof, depth: int, context: _Context, bullet: str = "") -> list[str]:
    pad = INDENT * depth
    if proof.source == "record":
        return [f"{pad}{bullet}{proof.fact}: from the record"]
    if proof.source == "kb-fact":
        lines = [f"{pad}{bullet}{proof.fact}: knowledge-base fact"]
        if proof.rule is not None and (proof.rule.rule_id or proof.rule.metadata.statement):
            lines += _rule_lines(proof.rule, depth + 2, context)
        return lines
    assert proof.rule is not None
    lines = [f"{pad}{bullet}{proof.fact}"]
    detail = depth + (2 if bullet else 1)
    lines += _rule_lines(proof.rule, detail, context, proof.bindings)
    where = bindings_text(proof.bindings)
    if where:
        lines.append(f"{INDENT * detail}with {where}")
    for step in proof.steps:
        lines += _step(step, detail, context)
    return lines


def _step(step: Step, depth: int, context: _Context) -> list[str]:
    pad = INDENT * depth
    if isinstance(step, Proof):
        return _proof(step, depth, context, "- ")
    if isinstance(step, Check):
        return [f"{pad}- {step.instantiated}: {step.kind} {step.literal}"]
    return _absence(step, depth, context)


def _absence(step: Absence, depth: int, context: _Context) -> list[str]:
    pad = INDENT * depth
    return [f"{pad}- {step.literal}: {step.fact} does not hold"] + _why_not_body(step.why_not, depth + 2, context)


def _why_not(explanation: WhyNot, depth: int, context: _Context, bullet: str = "") -> list[str]:
    pad = INDENT * depth
    fact = explanation.fact
    headline = {
        "holds": f"{fact} holds; ask why, not why not",
        "not-in-record": f"{fact} is not in the record",
        "rules-fail": f"{fact} does not hold",
        "no-rule": f"{fact} does not hold",
        "cycle": f"{fact} does not hold (already being explained above)",
        "depth-limit": f"{fact} does not hold (not explored further)",
    }[explanation.kind]
    detail = depth + (2 if bullet else 1)
    return [f"{pad}{bullet}{headline}"] + _why_not_body(explanation, detail, context)


def _why_not_body(explanation: WhyNot, depth: int, context: _Context) -> list[str]:
    pad = INDENT * depth
    if explanation.kind == "not-in-record":
        held = ", ".join(str(fact) for fact in explanation.record)
        return [f"{pad}the record has {held}" if held else f"{pad}the record has no {explanation.fact.predicate} fact"]
    if explanation.kind == "no-rule":
        if not explanation.related:
            return [f"{pad}no rule or fact of the knowledge base can conclude it"]
        instead = [f"{pad}no rule concludes it; the knowledge base holds instead:"]
        for rule in explanation.related:
            instead.append(f"{pad}- {rule.head}")
            instead += _rule_lines(rule, depth + 2, context)
        return instead
    return [line for attempt in explanation.attempts for line in _attempt(attempt, depth, context)]


def _attempt(attempt: Attempt, depth: int, context: _Context) -> list[str]:
    pad = INDENT * depth
    name = f"rule {attempt.rule.rule_id}" if attempt.rule.rule_id else "a rule"
    lines = [f"{pad}- {name} does not apply"]
    lines += _rule_lines(attempt.rule, depth + 2, context, attempt.bindings)
    inner = INDENT * (depth + 2)
    where = bindings_text(attempt.bindings)
    if where:
        lines.append(f"{inner}with {where}")
    if attempt.literal is None:
        lines.append(f"{inner}its body holds")
        return lines
    lines.append(f"{inner}fails at {attempt.literal}:")
    for failure in attempt.failures:
        lines += _failure(failure, attempt.bindings, depth + 2, context)
    if attempt.more:
        lines.append(f"{inner}- and {attempt.more} more binding(s) of the earlier literals, each failing here")
    return lines


def _failure(failure: Failure, known: Bindings, depth: int, context: _Context) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}- {failure_words(failure, known)}"]
    if failure.proof is not None:
        lines += _proof(failure.proof, depth + 2, context, "- ")
    if failure.why_not is not None and failure.why_not.kind not in ("not-in-record",):
        lines += _why_not_body(failure.why_not, depth + 2, context)
        if failure.why_not.kind in ("cycle", "depth-limit"):
            reason = "already being explained above" if failure.why_not.kind == "cycle" else "not explored further"
            lines.append(f"{INDENT * (depth + 2)}({reason})")
    return lines
