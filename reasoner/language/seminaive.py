"""Semi-naive, bottom-up evaluation of one recursive component, with hash-indexed joins.

pyDatalog 0.22.4's tabled resolution loops forever on some recursive programs (right
recursion over a cyclic relation) and is slow on the others, so the engine never gives
it a recursive rule. A recursive component (predicates that depend on each other) is
computed here instead, to its fixpoint, in rounds:

* the rules of the component with no literal of the component run once;
* each later round runs, for every rule and every literal of the component in its body,
  a *variant* of the rule in which that literal reads only the facts new in the last round
  (the delta), the component's literals before it the facts older than the last round,
  and the others every fact so far; a round's new facts are the next round's delta, and
  the fixpoint is reached when a round finds nothing new.

Every body is evaluated in the order :func:`reasoner.binding.plan_body` gives (positive
atoms in source order, each test as soon as its variables are bound). A join step looks
its candidate rows up in a hash index on the argument positions already bound, so a
round costs what it derives, not the product of the relations' sizes (:mod:`.joins`).
Indexes of the component's own relations grow with each round; indexes of the delta are
built per round.

Predicates below the component (inputs, non-recursive rules, earlier components) are read
once, whole, through the ``lower`` callback. The query's :class:`.budget.Meter`
is charged for every candidate row of every join step and every new fact, so a runaway
program stops within its budget, in the middle of a round if need be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from .binding import plan_body
from .budget import Meter
from .joins import Partial, Relation, Row, Step, absent_step, comparison_step, key_of, scan_step, solutions, value_of
from .program import (
    Atom,
    BodyLiteral,
    Negation,
    PredicateKey,
    Rule,
)

Lower = Callable[[PredicateKey], Iterable[Row]]
"""The rows of a predicate below the component, read once per fixpoint."""


class _Variant(NamedTuple):
    """One way to run a rule: its steps, and how to build the head row from the slots."""

    head: PredicateKey
    steps: list[Step]
    head_row: Callable[[Partial], Row]


def fixpoint(
    rules: Sequence[Rule], component: frozenset[PredicateKey], lower: Lower, meter: Meter
) -> dict[PredicateKey, frozenset[Row]]:
    """Every fact of the ``component``'s predicates that ``rules`` derive, given ``lower``."""
    full = {key: Relation() for key in component}
    delta = {key: Relation() for key in component}
    old = {key: Relation() for key in component}
    """Every fact but the last round's: what a recursive literal before the delta one reads."""
    lower_relations: dict[PredicateKey, Relation] = {}

    def lower_relation(key: PredicateKey) -> Callable[[], Relation]:
        def read() -> Relation:
            relation = lower_relations.get(key)
            if relation is None:
                relation = lower_relations[key] = Relation(lower(key))
            return relation

        return read

    base_variants: list[_Variant] = []
    recursive_variants: list[_Variant] = []
    for rule in rules:
        order = plan_body(rule.body).order
        recursive = [i for i, literal in enumerate(order) if isinstance(literal, Atom) and literal.key in component]
        if not recursive:
            base_variants.append(_compile(rule.head, order, {}, full, lower_relation))
        for number, position in enumerate(recursive):
            # Literals before the delta one read only older facts, so no two variants derive a
            # row from the same combination of facts.
            reads = {earlier: old for earlier in recursive[:number]} | {position: delta}
            recursive_variants.append(_compile(rule.head, order, reads, full, lower_relation))

    new = _run(base_variants, full, meter)
    while any(new.values()):
        for key, rows in new.items():
            old[key].add_all(delta[key].rows)
            delta[key] = Relation(rows)
            full[key].add_all(rows)
        new = _run(recursive_variants, full, meter)
    return {key: frozenset(relation.rows) for key, relation in full.items()}


def _run(variants: list[_Variant], full: dict[PredicateKey, Relation], meter: Meter) -> dict[PredicateKey, set[Row]]:
    """The facts the variants derive that are not known yet."""
    new: dict[PredicateKey, set[Row]] = {key: set() for key in full}
    for variant in variants:
        known, found, head_row = full[variant.head].rows, new[variant.head], variant.head_row
        for rows in solutions(variant.steps, meter):
            before = len(found)
            found.update(row for row in map(head_row, rows) if row not in known)
            meter.derived(len(found) - before)
    return new


def _compile(
    head: Atom,
    order: tuple[BodyLiteral, ...],
    reads: dict[int, dict[PredicateKey, Relation]],
    full: dict[PredicateKey, Relation],
    lower_relation: Callable[[PredicateKey], Callable[[], Relation]],
) -> _Variant:
    """The steps of one variant of a rule; literal ``i`` reads ``reads[i]`` (the delta) when given."""
    slots: dict[str, int] = {}
    steps: list[Step] = []

    def relation_of(position: int, key: PredicateKey) -> Callable[[], Relation]:
        source = reads.get(position, full if key in full else None)
        if source is None:
            return lower_relation(key)
        return lambda: source[key]

    for position, literal in enumerate(order):
        if isinstance(literal, Atom):
            steps.append(scan_step(literal, slots, relation_of(position, literal.key)))
        elif isinstance(literal, Negation):
            steps.append(absent_step(literal.atom, slots, lower_relation(literal.atom.key)))
        else:
            steps.append(comparison_step(literal, slots))
    head_parts = [value_of(argument, slots) for argument in head.arguments]
    head_key = key_of(head_parts)
    if len(head_parts) == 1:
        return _Variant(head.key, steps, lambda partial: (head_key(partial),))  # type: ignore[arg-type,return-value]
    return _Variant(head.key, steps, head_key)  # type: ignore[arg-type]


__all__ = ["Lower", "fixpoint"]
