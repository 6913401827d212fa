"""The order a compiled program's work runs in: by rules, not predicates.

A body atom depends only on the rules whose head can match it (same predicate, no two
different constants in one place). So a predicate-level cycle that is acyclic at that
level (the bundled KB's ``item`` and ``relaxant_offered``) runs rule by rule, and only a
truly recursive group of rules becomes a :class:`RecursiveStep`, evaluated semi-naively.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from .graph import descendants
from .program import Atom, Constant, Negation, PredicateKey, Program


@dataclass(frozen=True)
class FactStep:
    """The KB's facts of one predicate, inserted in one statement."""

    key: PredicateKey
    rules: tuple[int, ...]


@dataclass(frozen=True)
class RuleStep:
    """One non-recursive rule: one ``INSERT … SELECT``."""

    rule: int


@dataclass(frozen=True)
class RecursiveStep:
    """Rules that depend on each other: evaluated semi-naively to a fixpoint."""

    rules: tuple[int, ...]
    recursive_atoms: dict[int, tuple[int, ...]] = field(compare=False)
    """For each rule, the body positions of the positive atoms that read the group's own rules."""


Step = FactStep | RuleStep | RecursiveStep


def can_match(head: Atom, atom: Atom) -> bool:
    """Whether a rule with ``head`` can give a row that ``atom`` reads."""
    if head.key != atom.key:
        return False
    return not any(
        isinstance(h, Constant) and isinstance(a, Constant) and h.value != a.value
        for h, a in zip(head.arguments, atom.arguments, strict=True)
    )


def rule_dependencies(program: Program) -> dict[int, set[int]]:
    """For each rule with a body, the rules whose rows its body literals can read."""
    by_key: dict[PredicateKey, list[int]] = defaultdict(list)
    for index, rule in enumerate(program.rules):
        by_key[rule.head.key].append(index)
    result: dict[int, set[int]] = {}
    for index, rule in enumerate(program.rules):
        needs: set[int] = set()
        for literal in rule.body:
            atom = literal if isinstance(literal, Atom) else literal.atom if isinstance(literal, Negation) else None
            if atom is not None:
                needs.update(other for other in by_key[atom.key] if can_match(program.rules[other].head, atom))
        result[index] = needs
    return result


def steps(program: Program) -> Iterator[Step]:
    """The KB's facts first, one step a predicate; then the rules in dependency order."""
    facts: dict[PredicateKey, list[int]] = defaultdict(list)
    for index, rule in enumerate(program.rules):
        if rule.is_fact:
            facts[rule.head.key].append(index)
    for key in sorted(facts):
        yield FactStep(key, tuple(facts[key]))
    needs = rule_dependencies(program)
    rules = [index for index, rule in enumerate(program.rules) if not rule.is_fact]
    component = _components(rules, needs)
    members: dict[int, list[int]] = defaultdict(list)
    for index in rules:
        members[component[index]].append(index)
    order = TopologicalSorter(
        {c: {component[n] for i in group for n in needs[i] if n in component} - {c} for c, group in members.items()}
    )
    for c in order.static_order():
        group = members[c]
        recursive = len(group) > 1 or group[0] in needs[group[0]]
        if not recursive:
            yield RuleStep(group[0])
            continue
        inside = set(group)
        recursive_atoms = {
            index: tuple(
                position
                for position, literal in enumerate(program.rules[index].body)
                if isinstance(literal, Atom) and any(can_match(program.rules[other].head, literal) for other in inside)
            )
            for index in group
        }
        yield RecursiveStep(tuple(sorted(group)), recursive_atoms)


def _components(nodes: list[int], needs: dict[int, set[int]]) -> dict[int, int]:
    """Strongly connected components (mutual reachability) of the rule graph."""
    reach = {node: descendants(needs, node) for node in nodes}
    component: dict[int, int] = {}
    for node in nodes:
        if node in component:
            continue
        component[node] = node
        for other in reach[node]:
            if other in component or other not in reach:
                continue
            if node in reach[other]:
                component[other] = node
    return component


__all__ = ["FactStep", "RecursiveStep", "RuleStep", "Step", "can_match", "rule_dependencies", "steps"]
