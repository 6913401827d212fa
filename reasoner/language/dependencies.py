"""The predicate dependency graph: who depends on whom, through which sign.

Validation uses it to reject recursion through negation; linting uses it to find
predicates nobody reads. Components and reachability, which every engine needs when it
loads, are :mod:`.graph`'s, on predicate keys alone.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from .graph import components
from .program import ANONYMOUS, Atom, Constant, Negation, PredicateKey, Program, Rule, Term, Value, Variable


@dataclass(frozen=True)
class Dependency:
    """``head`` depends on ``body`` in ``rule``; ``negative`` when through ``not``."""

    head: PredicateKey
    body: PredicateKey
    negative: bool
    rule: Rule
    literal: Atom | Negation


def dependencies(program: Program) -> list[Dependency]:
    edges: list[Dependency] = []
    for rule in program.rules:
        for literal in rule.body:
            if isinstance(literal, Atom):
                edges.append(Dependency(rule.head.key, literal.key, False, rule, literal))
            elif isinstance(literal, Negation):
                edges.append(Dependency(rule.head.key, literal.atom.key, True, rule, literal))
    return edges


def negative_cycles(program: Program) -> list[Dependency]:
    """The negative edges that lie on a cycle: each makes the program unstratifiable."""
    component_of = components(program)
    return [
        edge
        for edge in dependencies(program)
        if edge.negative and component_of.get(edge.head) == component_of.get(edge.body)
    ]


def readers(program: Program) -> dict[PredicateKey, list[Rule]]:
    """For each predicate, the rules that read it in their body."""
    result: dict[PredicateKey, list[Rule]] = defaultdict(list)
    for edge in dependencies(program):
        result[edge.body].append(edge.rule)
    return result


@dataclass(frozen=True)
class Relevance:
    """What the truth of one atom can depend on: the rules that may take part, and the input facts they read.

    ``inputs`` are input atoms with the constants the rules give them and ``_`` elsewhere
    (``medication_stopped_days(maoi, _)``): a fact matching none of them cannot change
    the atom, whatever its value.
    """

    rules: frozenset[int]
    inputs: tuple[Atom, ...]

    def reads(self, predicate: str, arguments: tuple[Value, ...]) -> bool:
        """True when an input fact ``predicate(arguments)`` matches one of :attr:`inputs`."""
        return any(
            pattern.predicate == predicate
            and pattern.arity == len(arguments)
            and all(
                not isinstance(term, Constant) or term.value == value
                for term, value in zip(pattern.arguments, arguments, strict=True)
            )
            for pattern in self.inputs
        )


def relevance(program: Program, atom: Atom) -> Relevance:
    """The rules (by index) and input patterns that can decide ``atom``, followed through ``not`` too.

    An over-approximation, never an under-approximation: a head unifies with a pattern
    unless two constants differ, and a body atom keeps the constants the head's
    unification gives it; a variable the rule joins with a table of the program's own
    facts (``relaxant_excluded(Reason), course_end_reason(Reason)``) takes each value
    of that table in turn; every other variable becomes ``_``.
    """
    inputs = program.inputs()
    tables = _fact_tables(program, inputs)
    visited: list[Atom] = []
    rules: set[int] = set()
    found_inputs: list[Atom] = []
    work = [_generalised(atom, {})]
    while work:
        pattern = work.pop()
        if any(_subsumes(seen, pattern) for seen in visited):
            continue
        visited.append(pattern)
        if pattern.key in inputs:
            found_inputs.append(pattern)
        for index, rule in enumerate(program.rules):
            if rule.head.key != pattern.key:
                continue
            values = _match(rule.head, pattern)
            if values is None:
                continue
            rules.add(index)
            domains = _domains(rule, values, tables)
            for literal in rule.body:
                if isinstance(literal, Atom):
                    work += _patterns(literal, values, domains)
                elif isinstance(literal, Negation):
                    work.append(_generalised(literal.atom, values))
    return Relevance(frozenset(rules), tuple(found_inputs))


MAX_PATTERNS = 64
"""Patterns one body atom expands to through its joins with fact tables; past it, the atom stays general."""


def _fact_tables(program: Program, inputs: Collection[PredicateKey]) -> dict[PredicateKey, list[Atom]]:
    """The predicates given only by ground facts of the program (``course_end_reason(course_complete).``)."""
    tables: dict[PredicateKey, list[Atom]] = defaultdict(list)
    derived: set[PredicateKey] = set()
    for rule in program.rules:
        if rule.body or not all(isinstance(term, Constant) for term in rule.head.arguments):
            derived.add(rule.head.key)
        else:
            tables[rule.head.key].append(rule.head)
    return {key: facts for key, facts in tables.items() if key not in derived and key not in inputs}


def _domains(rule: Rule, values: dict[str, Value], tables: dict[PredicateKey, list[Atom]]) -> dict[str, set[Value]]:
    """The values a variable of ``rule`` can take where the body joins it with a fact table."""
    domains: dict[str, set[Value]] = {}
    for literal in rule.body:
        if not isinstance(literal, Atom) or literal.key not in tables:
            continue
        rows = [fact for fact in tables[literal.key] if _generalised(literal, values) == _shape(literal, values, fact)]
        for position, term in enumerate(literal.arguments):
            if isinstance(term, Variable) and not term.is_anonymous and term.name not in values:
                possible = {row.arguments[position].value for row in rows}  # type: ignore[union-attr]
                domains[term.name] = domains[term.name] & possible if term.name in domains else possible
    return domains


def _shape(literal: Atom, values: dict[str, Value], fact: Atom) -> Atom:
    """``fact`` with ``_`` wherever ``literal`` has a free variable: equal to the literal's pattern when it matches."""
    terms: list[Term] = []
    for term, value in zip(literal.arguments, fact.arguments, strict=True):
        free = isinstance(term, Variable) and term.name not in values
        terms.append(Variable(ANONYMOUS) if free else value)
    return Atom(fact.predicate, tuple(terms))


def _patterns(atom: Atom, values: dict[str, Value], domains: dict[str, set[Value]]) -> list[Atom]:
    """The patterns of a body atom: one per combination of the values its joined variables can take."""
    names = list(
        dict.fromkeys(
            term.name
            for term in atom.arguments
            if isinstance(term, Variable) and term.name in domains and term.name not in values
        )
    )
    count = 1
    for name in names:
        count *= len(domains[name])
    if not names or count > MAX_PATTERNS:
        return [_generalised(atom, values)]
    choices = itertools.product(*(sorted(domains[name], key=str) for name in names))
    return [_generalised(atom, {**values, **dict(zip(names, choice, strict=True))}) for choice in choices]


def _generalised(atom: Atom, values: dict[str, Value]) -> Atom:
    """``atom`` with the variables of ``values`` replaced by their constants and every other variable ``_``."""
    terms: list[Term] = []
    for term in atom.arguments:
        if isinstance(term, Constant):
            terms.append(term)
        elif term.name in values:
            terms.append(Constant(values[term.name]))
        else:
            terms.append(Variable(ANONYMOUS))
    return Atom(atom.predicate, tuple(terms))


def _match(head: Atom, pattern: Atom) -> dict[str, Value] | None:
    values: dict[str, Value] = {}
    for head_term, term in zip(head.arguments, pattern.arguments, strict=True):
        if not isinstance(term, Constant):
            continue
        if isinstance(head_term, Constant):
            if head_term.value != term.value:
                return None
        elif values.setdefault(head_term.name, term.value) != term.value:
            return None
    return values


def _subsumes(general: Atom, specific: Atom) -> bool:
    return general.key == specific.key and all(
        not isinstance(wide, Constant) or (isinstance(narrow, Constant) and wide.value == narrow.value)
        for wide, narrow in zip(general.arguments, specific.arguments, strict=True)
    )
