"""A paragraph in words, built from the rules' own @statement lines, never per-rule text.

A derived fact reads as its rule's statement (as written at the top, with its capital
dropped inside the sentence) followed by ``because`` and its reasons;
a reason that is itself derived carries its own reasons in parentheses. Facts of the
record, comparisons and assignments get a generic wording (``days is 10``,
``10 < 28``); a rule without a statement is read as its conclusion (``phase(early)
holds``).
"""

from __future__ import annotations

from ..explain.explanation import Absence, Check, Explanation, Step, WhyNot
from .words import assignment_words, failure_words, input_fact_words, rule_label, statement_text


def render_sentence(explanation: Explanation) -> str:
    """One paragraph: ``<top statement> because <reason>, <reason> and <reason>.``"""
    if isinstance(explanation, WhyNot):
        return _why_not(explanation) + "."
    return _clause(explanation, nested=False) + "."


def _clause(step: Step, nested: bool) -> str:
    if isinstance(step, Check):
        return assignment_words(step) if step.kind == "assignment" else str(step.instantiated)
    if isinstance(step, Absence):
        return f"{step.fact} does not hold"
    if step.source == "record":
        return input_fact_words(step)
    statement = statement_text(step.rule)
    claim = (
        (_embedded(statement) if nested else statement)
        if statement
        else (f"{step.fact} is a fact of the knowledge base" if step.source == "kb-fact" else f"{step.fact} holds")
    )
    if not step.steps:
        return claim
    reasons = _join([_clause(child, nested=True) for child in step.steps])
    return f"{claim} (because {reasons})" if nested else f"{claim} because {reasons}"


def _why_not(explanation: WhyNot) -> str:
    fact = explanation.fact
    if explanation.kind == "holds":
        return f"{fact} holds"
    if explanation.kind == "not-in-record":
        return f"{fact} is not in the record"
    if explanation.kind == "no-rule":
        if not explanation.related:
            return f"{fact} does not hold because no rule or fact of the knowledge base concludes it"
        instead = _join([_embedded(statement_text(rule) or f"{rule.head} holds") for rule in explanation.related])
        return f"{fact} does not hold; the knowledge base says instead that {instead}"
    if not explanation.attempts:
        return f"{fact} does not hold"
    reasons = []
    for attempt in explanation.attempts:
        name = statement_text(attempt.rule)
        rule = f'"{name}"' if name else f"{rule_label(attempt.rule)} {attempt.rule}"
        failures = (
            _join([failure_words(failure, attempt.bindings) for failure in attempt.failures]) or "its conditions fail"
        )
        reasons.append(f"{rule} does not apply because {failures}")
    return f"{fact} does not hold: " + "; ".join(reasons)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _embedded(statement: str) -> str:
    """A statement inside a sentence: its capital dropped, unless it starts with an acronym (TENS)."""
    if len(statement) > 1 and statement[0].isupper() and not statement[1].isupper():
        return statement[0].lower() + statement[1:]
    return statement
