"""What an explanation is: proof trees for facts that hold, failure reports for facts that do not.

These values are the one data structure every renderer (text, JSON, DOT, Mermaid,
sentence) reads; the search that builds them lives in :mod:`reasoner.explain` and the
re-check in :mod:`reasoner.proofcheck`. They hold the program's own objects (rules,
literals, atoms) and the values pyDatalog found, nothing rendered, so each renderer
decides its own wording and none of them re-derives anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral

from ..language.engine import Fact
from ..language.program import Atom, Comparison, Negation, Rule, Value

Bindings = tuple[tuple[str, Value], ...]
"""Variable name to value, in the order the rule's variables first appear."""

ProofSource = TypingLiteral["rule", "record", "kb-fact"]
CheckKind = TypingLiteral["comparison", "assignment"]
FailureReason = TypingLiteral["missing-input", "false-comparison", "negation-holds", "not-derived"]


@dataclass(frozen=True)
class Proof:
    """Why a ground fact holds.

    ``source`` says where the fact comes from: ``record`` (an input fact of the subject),
    ``kb-fact`` (a clause of the knowledge base with an empty body; ``rule`` is that
    clause) or ``rule`` (``rule`` instantiated with ``bindings``; ``steps`` hold one
    entry per body literal, in the order the rule's body is written).
    """

    fact: Atom
    source: ProofSource
    rule: Rule | None = None
    bindings: Bindings = ()
    steps: tuple[Step, ...] = ()

    @property
    def size(self) -> int:
        """Nodes in the tree; the smallest proof is the one a reader can check fastest."""
        return 1 + sum(step.size for step in self.steps)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every clause the proof uses, outermost first, each once."""
        found: dict[Rule, None] = {}
        if self.rule is not None:
            found[self.rule] = None
        for step in self.steps:
            if isinstance(step, Proof):
                found.update(dict.fromkeys(step.rules))
        return tuple(found)


@dataclass(frozen=True)
class Check:
    """A comparison that holds, or an assignment ``V = expression``, with its values filled in."""

    literal: Comparison
    kind: CheckKind
    bindings: Bindings
    instantiated: Comparison
    """The literal with every variable replaced by its value: ``10 < 28`` for ``D < 28``."""

    size = 1


@dataclass(frozen=True)
class Absence:
    """A negated literal that holds, and why its positive form does not."""

    literal: Negation
    fact: Atom
    """The positive form with the rule's values filled in (``_`` stays anonymous)."""
    why_not: WhyNot

    size = 1


Step = Proof | Check | Absence


@dataclass(frozen=True)
class Failure:
    """Why a rule's body stops at one literal, for one binding of the literals before it."""

    reason: FailureReason
    bindings: Bindings
    """Values of the variables bound before the failing literal (head values included)."""
    instantiated: Atom | Comparison | Negation
    """The failing literal with those values filled in: the missing fact, the false comparison …"""
    proof: Proof | None = None
    """For ``negation-holds``: the proof of the positive form that blocks the rule."""
    why_not: WhyNot | None = None
    """For ``not-derived``: why the atom does not hold (absent when the depth limit was reached)."""


@dataclass(frozen=True)
class Attempt:
    """One rule whose head unifies with the fact, and the first body literal that fails."""

    rule: Rule
    bindings: Bindings
    """What the head's unification with the fact binds."""
    literal: Atom | Comparison | Negation | None
    """The first failing body literal, as written in the rule; None when the body holds."""
    position: int
    """Index of ``literal`` in the rule's evaluation order (``binding.plan_body``)."""
    failures: tuple[Failure, ...]
    more: int = 0
    """Further bindings of the earlier literals that fail the same way but are not shown."""


WhyNotKind = TypingLiteral["holds", "not-in-record", "rules-fail", "no-rule", "cycle", "depth-limit"]


@dataclass(frozen=True)
class WhyNot:
    """Why a fact does not hold.

    ``kind`` is the headline: ``not-in-record`` (an input predicate; ``record`` lists the
    subject's facts of that predicate), ``rules-fail`` (every rule whose head unifies
    fails; see ``attempts``), ``no-rule`` (no head unifies: ``related`` lists the
    clauses about the same first argument, such as evidence for another kind), ``cycle``
    (the question is already being asked further up), ``depth-limit`` (not explored
    further), or ``holds`` (the fact does hold: ask :func:`reasoner.explain.why`).
    """

    fact: Atom
    kind: WhyNotKind
    attempts: tuple[Attempt, ...] = ()
    related: tuple[Rule, ...] = ()
    record: tuple[Fact, ...] = ()

    @property
    def holds(self) -> bool:
        return self.kind == "holds"


Explanation = Proof | WhyNot


def binding_map(bindings: Bindings) -> dict[str, Value]:
    return dict(bindings)
