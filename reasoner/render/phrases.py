"""Short phrases for what a proof tested and why a condition failed, in the knowledge base's words.

The short explanations (:mod:`.decisive` for the terminal, :mod:`.sentence` for a
reader) say each test in one phrase: a comparison with the record's name for each value
(``age 38 >= 16``), a false comparison as the true one (``age 38 < 65`` for ``Age >=
65``), a fact the record does not hold (``no red flags``), a derived fact that does not
hold and, when a single rule could give it, why (``phase(chronic) does not hold:
symptom days 42 <= 84``). The phrases are built from the rule's own literals and the
values the tracer found; nothing is written per rule, and a negative finding is only
ever said as what was looked for and not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..explain.explanation import Absence, Attempt, Check, Failure, Proof, WhyNot
from ..explain.instantiate import anonymous_again, substitute
from ..language.program import Atom, Comparison, Constant, Expression, Negation, Rule, Value, Variable
from .vocabulary import Vocabulary, embedded, join_words

NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "=": "!=", "!=": "="}
"""The comparison that holds when one is false: ``Age >= 65`` false is ``age < 65``."""


@dataclass(frozen=True)
class Phrasing:
    """One way of saying the phrases: derived facts as Datalog (``datalog``, the terminal's view) or in words."""

    vocabulary: Vocabulary
    datalog: bool = True

    def atom(self, atom: Atom) -> str:
        """A derived fact: ``phase(chronic)`` (an unbound variable reads ``_``) or ``phase chronic``."""
        if not self.datalog:
            return self.vocabulary.derived(atom)
        shown = anonymous_again(atom)
        assert isinstance(shown, Atom)
        return str(Atom(shown.predicate, tuple(_blank(argument) for argument in shown.arguments)))

    def comparison(self, rule: Rule, literal: Comparison, values: Mapping[str, Value], negate: bool = False) -> str:
        """``age 38 >= 16``: each variable with the name of what it stands for, when the rule says it."""
        operator = NEGATED[literal.operator] if negate else literal.operator
        left, right = self._side(rule, literal.left, values), self._side(rule, literal.right, values)
        named = [self._name(rule, side, values) for side in (literal.left, literal.right)]
        if named[0] is not None and named[0] == named[1]:
            right = right.removeprefix(f"{named[1]} ")
        return f"{left} {operator} {right}"

    def check(self, rule: Rule, check: Check, values: Mapping[str, Value]) -> str:
        """A test that held: an assignment with its values (``16 = 21 - 5``), a comparison by :meth:`comparison`."""
        if check.kind == "assignment":
            return str(check.instantiated)
        return self.comparison(rule, check.literal, values)

    def failure(self, attempt: Attempt, failure: Failure) -> str:
        """Why one rule stopped at one literal, for one binding of the literals before it."""
        values = dict(failure.bindings)
        if failure.reason == "missing-input":
            assert isinstance(failure.instantiated, Atom)
            return self.vocabulary.missing(failure.instantiated)
        if failure.reason == "false-comparison":
            literal = attempt.literal if isinstance(attempt.literal, Comparison) else failure.instantiated
            assert isinstance(literal, Comparison)
            return self.comparison(attempt.rule, literal, values, negate=True)
        if failure.reason == "negation-holds":
            return self.blocking(failure)
        assert isinstance(failure.instantiated, Atom)
        why_not = failure.why_not
        if not self.datalog and why_not is not None and why_not.kind == "rules-fail" and len(why_not.attempts) > 1:
            return self.vocabulary.missing(failure.instantiated)
        said = f"{self.atom(failure.instantiated)} does not hold"
        reason = self.absent(why_not) if why_not is not None else None
        return f"{said}{self._because}{reason}" if reason else said

    def blocking(self, failure: Failure) -> str:
        """A negated condition that failed: its positive form holds, and by which rule when derived."""
        proof = failure.proof
        if proof is None:
            instantiated = failure.instantiated
            if isinstance(instantiated, Negation):
                return f"{self.atom(instantiated.atom)} holds"
            return f"{instantiated} fails"
        if proof.source == "record":
            return f"{self.vocabulary.fact(proof.fact)} is recorded"
        said = f"{self.atom(proof.fact)} holds"
        statement = self.vocabulary.statement(proof.rule, proof.bindings)
        if statement is None:
            return said
        facts = join_words([self.vocabulary.fact(fact) for fact in record_facts(proof)])
        reason = embedded_statement(statement) + (f", with {facts}" if facts else "")
        return f"{said}, since {reason}"

    def attempt(self, attempt: Attempt) -> str:
        """Why one rule did not apply, in one phrase (the failures of its first failing literal)."""
        if attempt.literal is None:
            return "its conditions hold"
        said = [self.failure(attempt, failure) for failure in attempt.failures]
        if attempt.more:
            said.append(f"{attempt.more} more like it")
        if not said:
            return f"{attempt.literal} fails"
        return "; ".join(said) if self.datalog else join_words(said)

    def absent(self, why_not: WhyNot) -> str | None:
        """Why a fact does not hold, when it fits a phrase: its one rule's failure, or how many rules failed."""
        if why_not.kind == "rules-fail":
            if len(why_not.attempts) == 1:
                return self.attempt(why_not.attempts[0])
            return f"none of its {len(why_not.attempts)} rules applies"
        if why_not.kind == "not-in-record":
            return self.vocabulary.missing(why_not.fact)
        if why_not.kind == "no-rule":
            return "no rule or fact gives it"
        return None

    def ruled_out(self, absence: Absence) -> list[tuple[Attempt | None, str]]:
        """A negated condition that held: one phrase per rule that could have concluded its positive form."""
        why_not = absence.why_not
        if why_not.kind == "rules-fail":
            return [(attempt, self.attempt(attempt)) for attempt in why_not.attempts]
        return [(None, self.absent(why_not) or f"{self.atom(absence.fact)} does not hold")]

    @property
    def _because(self) -> str:
        return ": " if self.datalog else " since "

    def _name(self, rule: Rule, expression: Expression, values: Mapping[str, Value]) -> str | None:
        if isinstance(expression, Variable) and expression.name in values:
            return self.vocabulary.operand(rule, expression.name, values)
        return None

    def _side(self, rule: Rule, expression: Expression, values: Mapping[str, Value]) -> str:
        if isinstance(expression, Variable):
            if expression.name not in values:
                return expression.name
            value = self.vocabulary.value(values[expression.name])
            name = self._name(rule, expression, values)
            return f"{name} {value}" if name else value
        if isinstance(expression, Constant):
            return self.vocabulary.value(expression.value)
        return str(substitute(expression, values))


def record_facts(proof: Proof) -> list[Atom]:
    """The subject's facts at the leaves of a proof, each once, in the order the proof uses them."""
    if proof.source == "record":
        return [proof.fact]
    found: dict[Atom, None] = {}
    for step in proof.steps:
        if isinstance(step, Proof):
            found.update(dict.fromkeys(record_facts(step)))
    return list(found)


def embedded_statement(statement: str) -> str:
    """A statement inside a sentence: its final full stop and its capital dropped (not an acronym's)."""
    return embedded(statement.rstrip().rstrip("."))


def _blank(term: Variable | Constant) -> Variable | Constant:
    return Variable("_") if isinstance(term, Variable) else term
