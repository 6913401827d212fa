"""The decisive path as text: what ``why`` prints unless asked for the whole tree (``--full``).

One line for the explained fact with its rule's statement; one line naming the
subject's facts the proof rests on; one line per rule on the path, indented under the
fact it serves, with its statement and, in brackets, the rule's id and what it tested;
and for each negated condition that more than one rule could have broken, one line per
such rule with what was checked and did not hold (``relaxant_excluded_elderly: age 38 <
65``). A negated condition with a single rule is said inside its rule's brackets. Rules
that were checked and did not apply for the same reason share a line. Statements are
filled with the item's parameters and the rule's values; the Datalog, the evidence and
the nested why-nots stay in the full tree (:mod:`.text`) and in JSON.
"""

from __future__ import annotations

from typing import Any

from ..explain.decisive import DecisivePath, Link, decisive_path
from ..explain.explanation import Absence, Attempt, Proof
from ..language.program import variables_of
from .phrases import Phrasing
from .vocabulary import Vocabulary

INDENT = "  "


def render_decisive(proof: Proof, vocabulary: Vocabulary | None = None) -> str:
    """The decisive path of ``proof``, one statement per line, ending with a newline."""
    return "\n".join(_lines(proof, vocabulary or Vocabulary())) + "\n"


def _lines(proof: Proof, vocabulary: Vocabulary) -> list[str]:
    if proof.source == "record":
        return [f"{proof.fact}: from the record ({vocabulary.fact(proof.fact)})"]
    phrasing = Phrasing(vocabulary)
    path = decisive_path(proof)
    lines: list[str] = []
    pending: list[tuple[int, list[str]]] = []
    for link in path.links:
        while pending and pending[-1][0] >= link.depth:
            lines += pending.pop()[1]
        lines.append(_link_line(link, phrasing))
        if link.depth == 0 and path.record:
            facts = vocabulary.in_record_order(path.record)
            lines.append(f"{INDENT}from the record: {', '.join(vocabulary.fact(fact) for fact in facts)}")
        blocks = [
            _ruled_out_block(absence, link.depth + 1, phrasing) for absence in link.negated if _has_block(absence)
        ]
        if blocks:
            pending.append((link.depth, [line for block in blocks for line in block]))
    while pending:
        lines += pending.pop()[1]
    return lines


def _link_line(link: Link, phrasing: Phrasing) -> str:
    proof = link.proof
    statement = phrasing.vocabulary.statement(proof.rule, proof.bindings)
    tested = _tested(link, phrasing)
    rule_id = proof.rule.rule_id if proof.rule is not None else None
    bracket = ": ".join(part for part in (rule_id, "; ".join(tested)) if part)
    said = statement or ("knowledge-base fact" if proof.source == "kb-fact" else f"{proof.fact} holds")
    if link.depth == 0:
        said = f"{proof.fact}: {said}" if statement or proof.source == "kb-fact" else said
    else:
        said = f"{INDENT * link.depth}- {said}"
    return f"{said} [{bracket}]" if bracket else said


def _tested(link: Link, phrasing: Phrasing) -> list[str]:
    """What the link's own rule read from the record and tested, and its negated conditions said in a phrase."""
    proof = link.proof
    rule = proof.rule
    if rule is None or proof.source != "rule":
        return []
    values = dict(proof.bindings)
    compared = {
        variable.name for check in link.checks if check.kind == "comparison" for variable in variables_of(check.literal)
    }
    tested = [
        phrasing.vocabulary.fact(step.fact)
        for literal, step in zip(rule.body, proof.steps, strict=True)
        if isinstance(step, Proof)
        and step.source == "record"
        and not {variable.name for variable in variables_of(literal)} & compared
    ]
    tested += [phrasing.check(rule, check, values) for check in link.checks]
    for absence in link.negated:
        if not _has_block(absence):
            [(_, reason)] = phrasing.ruled_out(absence)
            tested.append(f"not {phrasing.atom(absence.fact)} ({reason})")
    return tested


def _has_block(absence: Absence) -> bool:
    """Whether a negated condition gets lines of its own: when more than one rule could have broken it."""
    return absence.why_not.kind == "rules-fail" and len(absence.why_not.attempts) > 1


def _ruled_out_block(absence: Absence, depth: int, phrasing: Phrasing) -> list[str]:
    said = phrasing.ruled_out(absence)
    lines = [f"{INDENT * depth}- not {phrasing.atom(absence.fact)}: none of its {len(said)} rules applies"]
    for names, reason in _shared(said):
        lines.append(f"{INDENT * (depth + 1)}- {names}: {reason}")
    return lines


def _shared(said: list[tuple[Attempt | None, str]]) -> list[tuple[str, str]]:
    """The rules checked, those that failed for the same reason on one line, in the order first met."""
    by_reason: dict[str, list[str]] = {}
    for attempt, reason in said:
        name = _rule_name(attempt) if attempt is not None else ""
        by_reason.setdefault(reason, []).append(name)
    return [(", ".join(names), reason) for reason, names in by_reason.items()]


def _rule_name(attempt: Attempt) -> str:
    return attempt.rule.rule_id or str(attempt.rule).removesuffix(".")


def decisive_json(proof: Proof, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The decisive path as data (the ``decisive`` part of ``why --format json``)."""
    vocabulary = vocabulary or Vocabulary()
    phrasing = Phrasing(vocabulary)
    path: DecisivePath = decisive_path(proof)
    return {
        "fact": str(proof.fact),
        "record": [
            {"fact": str(fact), "words": vocabulary.fact(fact)} for fact in vocabulary.in_record_order(path.record)
        ],
        "rules": [
            {
                "fact": str(link.proof.fact),
                "rule": link.proof.rule.rule_id if link.proof.rule is not None else None,
                "statement": vocabulary.statement(link.proof.rule, link.proof.bindings),
                "depth": link.depth,
                "tested": _tested(link, phrasing),
            }
            for link in path.links
        ],
        "ruled_out": [
            {
                "negation": f"not {absence.fact}",
                "rule": attempt.rule.rule_id,
                "checked": phrasing.attempt(attempt),
            }
            for absence, attempt in path.exclusions
        ],
    }
