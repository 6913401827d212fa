"""Which variables a rule body binds, and in what order its literals can be evaluated.

pyDatalog evaluates a body left to right and needs every variable of a comparison or a
negation bound before it is reached. Authors should not have to write bodies in that
order, so the engine evaluates positive atoms in source order and moves each test to
the first place where its variables are bound. The same walk tells validation which
variables are never bound (range restriction).

An equality ``V = expression`` whose left (or right) side is a still-unbound variable
binds it, as in Souffle; every other comparison only tests.
"""

from __future__ import annotations

from typing import NamedTuple

from .program import Atom, BodyLiteral, Comparison, Negation, Variable, variables_of


class BodyPlan(NamedTuple):
    """The evaluation order of a body and what it leaves unbound (made for every rule an engine compiles)."""

    order: tuple[BodyLiteral, ...]
    bound: frozenset[str]
    unplaceable: tuple[BodyLiteral, ...]
    assignments: frozenset[int]
    """Indexes into ``order`` of the equalities that bind a variable rather than test."""


def named_variables(literal: BodyLiteral | Atom) -> set[str]:
    return {variable.name for variable in variables_of(literal) if not variable.is_anonymous}


def assigned_variable(comparison: Comparison, bound: set[str] | frozenset[str]) -> Variable | None:
    """The variable an equality binds, given what is already bound, or None if it only tests."""
    if comparison.operator != "=":
        return None
    for side, other in ((comparison.left, comparison.right), (comparison.right, comparison.left)):
        if isinstance(side, Variable) and not side.is_anonymous and side.name not in bound:
            if {variable.name for variable in variables_of(other)} <= bound:
                return side
    return None


def plan_body(body: tuple[BodyLiteral, ...]) -> BodyPlan:
    bound: set[str] = set()
    pending_tests: list[BodyLiteral] = [literal for literal in body if not isinstance(literal, Atom)]
    order: list[BodyLiteral] = []
    assignments: set[int] = set()

    def place_ready_tests() -> None:
        progress = True
        while progress:
            progress = False
            for literal in list(pending_tests):
                if isinstance(literal, Comparison):
                    target = assigned_variable(literal, bound)
                    if target is not None:
                        assignments.add(len(order))
                        order.append(literal)
                        bound.add(target.name)
                        pending_tests.remove(literal)
                        progress = True
                        continue
                if named_variables(literal) <= bound:
                    order.append(literal)
                    pending_tests.remove(literal)
                    progress = True

    place_ready_tests()
    for literal in body:
        if isinstance(literal, Atom):
            order.append(literal)
            bound.update(named_variables(literal))
            place_ready_tests()
    return BodyPlan(tuple(order), frozenset(bound), tuple(pending_tests), frozenset(assignments))


def answer_variables(goal: tuple[BodyLiteral, ...]) -> list[str]:
    """The named variables a conjunctive query returns, in order of first appearance."""
    names: list[str] = []
    for literal in goal:
        if isinstance(literal, Comparison | Negation):
            continue
        for variable in variables_of(literal):
            if not variable.is_anonymous and variable.name not in names:
                names.append(variable.name)
    for literal in goal:
        if isinstance(literal, Comparison):
            for variable in variables_of(literal):
                if not variable.is_anonymous and variable.name not in names:
                    names.append(variable.name)
    return names
