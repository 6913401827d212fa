"""An explanation in sentences, for a reader: the rules' own statements and the subject's facts, never Datalog trees.

``why`` reads as the explained fact's statement and, when other rules led to it, a
bullet list: one bullet per rule on the decisive path (its statement, with the record
facts it read), then one per negated condition, listing what was checked and did not
hold (``not relaxant excluded: age 38 < 65, no red flags``). ``why not`` reads as one
bullet per rule that could have concluded the fact, with the first condition it failed
on. Statements are filled with the item's parameters and the rule's values
(:mod:`.vocabulary`); facts are said in the record's words. Nothing is nested: the
renderer adds no brackets of its own, so a statement's own parentheses are the only ones.
"""

from __future__ import annotations

from ..explain.decisive import decisive_path
from ..explain.explanation import Absence, Explanation, Proof, WhyNot
from ..language.program import Atom
from .phrases import Phrasing, embedded_statement
from .vocabulary import Vocabulary, join_words
from .words import rule_label


def render_sentence(explanation: Explanation, vocabulary: Vocabulary | None = None) -> str:
    """A sentence, or a sentence ending in ``:`` and a bullet list; no final newline."""
    phrasing = Phrasing(vocabulary or Vocabulary(), datalog=False)
    if isinstance(explanation, WhyNot):
        return _why_not(explanation, phrasing)
    return _why(explanation, phrasing)


def _why(proof: Proof, phrasing: Phrasing) -> str:
    vocabulary = phrasing.vocabulary
    if proof.source == "record":
        return _capital(f"{vocabulary.fact(proof.fact)} is recorded.")
    path = decisive_path(proof)
    [top, *below] = path.links
    lead = _claim(top.proof, phrasing, capital=True) + _with(top.record, phrasing)
    bullets: list[str] = []
    for link in below:
        bullets.append(_claim(link.proof, phrasing) + _with(link.record, phrasing))
        bullets += [_ruled_out(absence, phrasing) for absence in link.negated]
    bullets += [_ruled_out(absence, phrasing) for absence in top.negated]
    if not bullets:
        return f"{lead}."
    return f"{lead}, because:\n" + ";\n".join(f"- {bullet}" for bullet in bullets) + "."


def _ruled_out(absence: Absence, phrasing: Phrasing) -> str:
    """A negated condition: what was checked for each rule that could have broken it, each phrase once."""
    checked = dict.fromkeys(reason for _, reason in phrasing.ruled_out(absence))
    return f"not {phrasing.vocabulary.derived(absence.fact)}: {', '.join(checked)}"


def _claim(proof: Proof, phrasing: Phrasing, capital: bool = False) -> str:
    statement = phrasing.vocabulary.statement(proof.rule, proof.bindings)
    if statement is not None:
        said = embedded_statement(statement)
    elif proof.source == "kb-fact":
        said = f"{phrasing.vocabulary.derived(proof.fact)} is a fact of the knowledge base"
    else:
        said = f"{phrasing.vocabulary.derived(proof.fact)} holds"
    return _capital(said) if capital else said


def _with(facts: tuple[Atom, ...], phrasing: Phrasing) -> str:
    said = [phrasing.vocabulary.fact(fact) for fact in facts]
    return f", with {join_words(said)}" if said else ""


def _why_not(explanation: WhyNot, phrasing: Phrasing) -> str:
    fact = explanation.fact
    if explanation.kind == "holds":
        return f"{fact} holds."
    if explanation.kind == "not-in-record":
        return f"{fact} is not in the record."
    if explanation.kind == "no-rule":
        if not explanation.related:
            return f"{fact} does not hold because no rule or fact of the knowledge base concludes it."
        instead = join_words(
            [
                embedded_statement(phrasing.vocabulary.statement(rule) or f"{rule.head} holds")
                for rule in explanation.related
            ]
        )
        return f"{fact} does not hold; the knowledge base says instead that {instead}."
    if not explanation.attempts:
        return f"{fact} does not hold."
    bullets = []
    for attempt in explanation.attempts:
        statement = phrasing.vocabulary.statement(attempt.rule, attempt.bindings)
        rule = f'"{statement.rstrip().rstrip(".")}"' if statement else f"{rule_label(attempt.rule)} {attempt.rule}"
        bullets.append(f"- {rule} does not apply: {phrasing.attempt(attempt)}")
    return f"{fact} does not hold:\n" + ";\n".join(bullets) + "."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
