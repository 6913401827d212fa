"""The decisive path of a proof: the subject's facts, the rules that used them, and what was ruled out.

A proof tree holds everything the tracer found: every rule instance with its Datalog,
every comparison, and under each negated literal why every rule that could have
concluded its positive form did not apply. A reader asking "why?" first wants less:
which of the subject's facts made the fact hold, through which rules, and, for each
negated condition, each rule that was checked and did not apply. This module selects
that from a :class:`~.explanation.Proof`; it adds nothing and evaluates nothing, so the
short explanation says exactly what the whole tree says.

>>> from backspasm.reasoner import load_kb
>>> from backspasm.reasoner.explain.tracer import why
>>> from backspasm.reasoner.language.syntax import parse_query
>>> kb = load_kb(text='.input age(years: number). adult :- age(A), A >= 18, not minor. minor :- age(A), A < 18.')
>>> with kb.session([("age", (40,))]) as session:
...     [proof] = why(session, parse_query("adult")[0])
>>> path = decisive_path(proof)
>>> [str(fact) for fact in path.record], [str(link.proof.fact) for link in path.links]
(['age(40)'], ['adult'])
>>> [(str(negated.literal), str(attempt.literal)) for negated, attempt in path.exclusions]
[('not minor', 'A < 18')]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..language.program import Atom
from .explanation import Absence, Attempt, Check, Proof


@dataclass(frozen=True)
class Link:
    """One fact on the path, derived by a rule (or a clause of the knowledge base at the top).

    ``record`` and ``checks`` are what its own rule read from the record and tested;
    ``negated`` its negated conditions, each holding because its positive form does not.
    """

    proof: Proof
    depth: int
    record: tuple[Atom, ...]
    checks: tuple[Check, ...]
    negated: tuple[Absence, ...]


@dataclass(frozen=True)
class DecisivePath:
    """What made ``proof.fact`` hold, in the order a reader follows it (pre-order, each derived fact once)."""

    proof: Proof
    record: tuple[Atom, ...]
    """The subject's facts at the leaves, each once, in the order the proof first uses them."""
    links: tuple[Link, ...]

    @property
    def exclusions(self) -> tuple[tuple[Absence, Attempt], ...]:
        """Each rule that could have concluded a negated condition, with that condition; each pair once."""
        found: dict[tuple[Atom, Attempt], tuple[Absence, Attempt]] = {}
        for link in self.links:
            for absence in link.negated:
                for attempt in absence.why_not.attempts:
                    found.setdefault((absence.fact, attempt), (absence, attempt))
        return tuple(found.values())


def decisive_path(proof: Proof) -> DecisivePath:
    """The record facts, the rules and the negated conditions of ``proof``, without the rest of the tree."""
    record: dict[Atom, None] = {}
    links: list[Link] = []
    seen: set[Atom] = set()

    def visit(node: Proof, depth: int) -> None:
        if node.source == "record":
            record.setdefault(node.fact, None)
            return
        if node.source == "kb-fact":
            if depth == 0:
                links.append(Link(node, depth, (), (), ()))
            return
        if node.fact in seen:
            return
        seen.add(node.fact)
        links.append(
            Link(
                node,
                depth,
                tuple(step.fact for step in node.steps if isinstance(step, Proof) and step.source == "record"),
                tuple(step for step in node.steps if isinstance(step, Check)),
                tuple(step for step in node.steps if isinstance(step, Absence)),
            )
        )
        for step in node.steps:
            if isinstance(step, Proof):
                visit(step, depth + 1)

    visit(proof, 0)
    return DecisivePath(proof, tuple(record), tuple(links))
