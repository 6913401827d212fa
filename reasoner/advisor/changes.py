"""What would change an answer, and when: counterfactuals over a patient's record, worded.

:func:`find_changes` runs the generic search of :mod:`..explain.counterfactual` over a
:class:`.record_world.RecordWorld` (the record as the changes file,
:mod:`.change_spec`, lets it change) and returns what it found as a :class:`Changes`
value, worded with the knowledge base's own phrases; :mod:`..render.changes` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..explain.counterfactual import Blocker, Counterfactual, Crossing, search
from ..explain.explanation import Proof, WhyNot
from ..language.program import Atom, Constant
from .change_spec import ChangeSpec
from .record_world import RecordChange, RecordWorld, label_of
from .records import Record, RecordSpec

if TYPE_CHECKING:
    from .advisor import Advisor

Direction = Literal["make-hold", "remove"]


@dataclass(frozen=True)
class Reached:
    """A value a growing field reaches on the day of a counterfactual, and the rules that compare it."""

    field: str
    attribute: str | None
    code: str | None
    value: int
    rules: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Option:
    """One counterfactual: the changes made today, the day it holds (or ends), and the record then."""

    changes: tuple[RecordChange, ...]
    days: int
    reached: tuple[Reached, ...]
    record: Mapping[str, Any]


@dataclass(frozen=True)
class BlockingFact:
    """A fact no allowed change and no day within the horizon removes, which keeps rule ``blocks`` from concluding."""

    fact: str
    record: tuple[str, ...]
    """The patient's facts the blocking fact rests on, worded from the record description."""
    rules: tuple[str, ...]
    statement: str | None
    evidence: tuple[str, ...]
    blocks: tuple[str, ...]
    """The rules it keeps from concluding."""
    fixed: tuple[str, ...] = ()
    """Why the changes file does not let those facts change (its ``fixed`` of their fields)."""


@dataclass(frozen=True)
class Changes:
    """What would change ``item(code, kind)`` for one patient, and when.

    ``holds`` is whether the answer has it now; ``direction`` is what was searched:
    ``make-hold`` (the smallest changes that make it hold) or ``remove`` (that end it).
    ``options`` are the smallest found (fewest changes, each at its soonest day), each
    verified by answering its record; empty when none exists within ``horizon_days``
    and ``max_changes``: then ``blockers`` name what provably blocks it, when known, and
    ``why_not`` says where its rules fail now.
    """

    code: str
    kind: str
    fact: str
    holds: bool
    horizon_days: int
    max_changes: int
    options: tuple[Option, ...]
    blockers: tuple[BlockingFact, ...] = ()
    why_not: WhyNot | None = None
    evaluations: int = 0

    @property
    def direction(self) -> Direction:
        return "remove" if self.holds else "make-hold"

    @property
    def never(self) -> bool:
        return not self.options


def find_changes(
    advisor: Advisor,
    record: Record,
    code: str,
    kind: str,
    *,
    horizon_days: int | None = None,
    max_changes: int | None = None,
    why_not: WhyNot | None = None,
) -> Changes:
    """The smallest changes of ``record`` that give or end ``item(code, kind)``; see :class:`Changes`.

    ``why_not``, the item's explanation for this record when the caller has it, is reused.
    """
    spec = advisor.change_spec
    horizon = spec.horizon_days if horizon_days is None else horizon_days
    most = spec.max_changes if max_changes is None else max_changes
    world = RecordWorld(advisor.record_spec, spec, advisor.record_spec.data_of(record), horizon, most)
    target = Atom(advisor.answer_spec.items, (Constant(code), Constant(kind)))
    found = search(advisor.kb, world, target, advisor.analysis, why_not)
    words = _Words(advisor.record_spec, spec)
    return Changes(
        code,
        kind,
        str(target),
        found.holds,
        horizon,
        most,
        tuple(words.option(world, counterfactual) for counterfactual in found.found),
        words.blockers(found.blockers),
        found.why_not,
        found.evaluations,
    )


class _Words:
    """Words for what the search found, from the record description and the changes file."""

    def __init__(self, record_spec: RecordSpec, change_spec: ChangeSpec) -> None:
        self.record_spec = record_spec
        self.change_spec = change_spec

    def option(self, world: RecordWorld, counterfactual: Counterfactual) -> Option:
        return Option(
            tuple(world.options[index] for index in counterfactual.changes),
            counterfactual.days,
            tuple(self.reached(crossing) for crossing in counterfactual.crossings),
            world.record(counterfactual.changes, counterfactual.days),
        )

    def reached(self, crossing: Crossing) -> Reached:
        fact = crossing.growth.fact
        rules = tuple(rule.rule_id or str(rule) for rule in crossing.rules)
        for growth in self.change_spec.growth:
            spec = self.record_spec.field(growth.field)
            assert spec is not None
            if growth.attribute is None and (spec.fact or spec.name) == fact.predicate:
                text = growth.reached.format(value=crossing.value)
                return Reached(spec.name, None, None, crossing.value, rules, text)
            attribute = next((each for each in spec.attributes if each.name == growth.attribute), None)
            if attribute is not None and attribute.fact == fact.predicate:
                code = str(fact.arguments[0])
                text = growth.reached.format(value=crossing.value, label=label_of(spec, code))
                return Reached(spec.name, attribute.name, code, crossing.value, rules, text)
        raise ValueError(f"{fact} does not grow under the changes file")

    def blockers(self, blockers: Sequence[Blocker]) -> tuple[BlockingFact, ...]:
        """One entry per blocking fact, naming every rule it blocks."""
        blocked: dict[Atom, list[Blocker]] = {}
        for blocker in blockers:
            blocked.setdefault(blocker.fact, []).append(blocker)
        return tuple(self.blocker(found) for found in blocked.values())

    def blocker(self, blockers: list[Blocker]) -> BlockingFact:
        proof = blockers[0].proof
        rules = proof.rules
        evidence = tuple(dict.fromkeys(each for rule in rules for each in rule.metadata.evidence))
        leaves = record_leaves(proof)
        fixed = (self.change_spec.fixed.get(self.field_of(fact)) for fact in leaves)
        return BlockingFact(
            str(blockers[0].fact),
            tuple(dict.fromkeys(self.fact_words(fact) for fact in leaves)),
            tuple(rule.rule_id or str(rule) for rule in rules if rule.rule_id),
            proof.rule.metadata.statement if proof.rule is not None else None,
            evidence,
            tuple(dict.fromkeys(blocker.rule.rule_id or str(blocker.rule) for blocker in blockers)),
            tuple(dict.fromkeys(reason for reason in fixed if reason is not None)),
        )

    def field_of(self, fact: Atom) -> str:
        """The record field (``field.attribute`` for an attribute) a fact comes from."""
        for spec in self.record_spec.fields:
            if (spec.fact or spec.name) == fact.predicate:
                return spec.name
            for attribute in spec.attributes:
                if attribute.fact == fact.predicate:
                    return f"{spec.name}.{attribute.name}"
        return fact.predicate

    def fact_words(self, fact: Atom) -> str:
        """A record fact as the record says it: ``age 80``, ``Hyperthyroidism``, ``Pregnancy, gestational week 24``."""
        values = [argument.value for argument in fact.arguments if isinstance(argument, Constant)]
        for spec in self.record_spec.fields:
            if (spec.fact or spec.name) == fact.predicate:
                if spec.type == "codes":
                    return label_of(spec, str(values[0]))
                return f"{spec.name.replace('_', ' ')} {values[0]}" if values else spec.name.replace("_", " ")
            for attribute in spec.attributes:
                if attribute.fact == fact.predicate:
                    return f"{label_of(spec, str(values[0]))}, {attribute.name.replace('_', ' ')} {values[1]}"
        return str(fact)


def record_leaves(proof: Proof) -> list[Atom]:
    """The record facts at the leaves of ``proof``, in the order they appear."""
    found: list[Atom] = []
    if proof.source == "record":
        found.append(proof.fact)
    for step in proof.steps:
        if isinstance(step, Proof):
            found += record_leaves(step)
    return found


def why_not_changes(advisor: Advisor, record: Record, explanations: Sequence[WhyNot]) -> list[Changes]:
    """The changes of each item an explanation of :meth:`Advisor.absences` is about, in the same order."""
    found = []
    for explanation in explanations:
        code, kind = (argument.value for argument in explanation.fact.arguments if isinstance(argument, Constant))
        found.append(find_changes(advisor, record, str(code), str(kind), why_not=explanation))
    return found
