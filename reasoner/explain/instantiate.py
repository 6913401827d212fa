"""Rule instances as queries: unify a head with a fact, fill in values, name the anonymous.

The tracer asks pyDatalog about rule instances rather than evaluating them itself. A
value is never written into an arithmetic comparison before it is sent (pyDatalog
cannot evaluate ``16 = 21 - 5`` with no variable in it); instead the query starts with
one equality per known value, ``R = 16, T = 5, R = 21 - T``, which pyDatalog evaluates
like any rule body. Substituted literals are only built for display and comparison.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from ..language.program import (
    Arithmetic,
    Atom,
    BodyLiteral,
    Comparison,
    Constant,
    Expression,
    Negation,
    Rule,
    Term,
    Value,
    Variable,
    variables_of,
)

FRESH = "_#{index}"
"""Name of the n-th anonymous variable of a positive atom; ``#`` keeps it apart from any program name."""


def unify_head(head: Atom, goal: Atom) -> tuple[dict[str, Value], tuple[Comparison, ...]] | None:
    """The head variables' values when ``head`` matches ``goal``, plus equalities it imposes; None if not.

    ``goal`` may hold variables: a head variable facing one stays free, and two head
    positions facing the same goal variable must be equal, which the returned
    equalities say.
    """
    if head.key != goal.key:
        return None
    values: dict[str, Value] = {}
    first_for_goal_variable: dict[str, Term] = {}
    equalities: list[Comparison] = []
    for head_term, goal_term in zip(head.arguments, goal.arguments, strict=True):
        if isinstance(goal_term, Variable):
            if goal_term.is_anonymous:
                continue
            first = first_for_goal_variable.setdefault(goal_term.name, head_term)
            if first is not head_term:
                equalities.append(Comparison(first, "=", head_term))
            continue
        if isinstance(head_term, Constant):
            if head_term.value != goal_term.value:
                return None
        elif head_term.name in values:
            if values[head_term.name] != goal_term.value:
                return None
        else:
            values[head_term.name] = goal_term.value
    kept: list[Comparison] = []
    for equality in equalities:
        left, right = substitute(equality.left, values), substitute(equality.right, values)
        if isinstance(left, Constant) and isinstance(right, Constant):
            if left.value != right.value:
                return None
            continue
        kept.append(Comparison(left, "=", right))
    return values, tuple(kept)


def name_anonymous(body: tuple[BodyLiteral, ...]) -> tuple[BodyLiteral, ...]:
    """The body with each ``_`` of a positive atom given a fresh name, so its value is reported.

    ``_`` inside a negation keeps its meaning (no tuple at all) and stays anonymous.
    """
    counter = itertools.count(1)
    named: list[BodyLiteral] = []
    for literal in body:
        if isinstance(literal, Atom):
            arguments = tuple(
                Variable(FRESH.format(index=next(counter)), argument.position)
                if isinstance(argument, Variable) and argument.is_anonymous
                else argument
                for argument in literal.arguments
            )
            named.append(Atom(literal.predicate, arguments, literal.position))
        else:
            named.append(literal)
    return tuple(named)


def anonymous_again(literal: BodyLiteral) -> BodyLiteral:
    """Undo :func:`name_anonymous` for display: a fresh variable still unbound reads ``_`` again."""
    prefix = FRESH.format(index="")
    fresh = {variable.name: "_" for variable in variables_of(literal) if variable.name.startswith(prefix)}
    return _rename(literal, fresh) if fresh else literal


def _rename(literal: BodyLiteral, names: Mapping[str, str]) -> BodyLiteral:
    def term(argument: Term) -> Term:
        if isinstance(argument, Variable) and argument.name in names:
            return Variable(names[argument.name], argument.position)
        return argument

    if isinstance(literal, Atom):
        return Atom(literal.predicate, tuple(term(argument) for argument in literal.arguments), literal.position)
    if isinstance(literal, Negation):
        renamed = _rename(literal.atom, names)
        assert isinstance(renamed, Atom)
        return Negation(renamed, literal.position)
    return literal


def value_equalities(values: Mapping[str, Value]) -> tuple[Comparison, ...]:
    """``V = value`` for each known value: the prefix that instantiates a query for pyDatalog."""
    return tuple(Comparison(Variable(name), "=", Constant(value)) for name, value in values.items())


def substitute(expression: Expression, values: Mapping[str, Value]) -> Expression:
    if isinstance(expression, Variable):
        if not expression.is_anonymous and expression.name in values:
            return Constant(values[expression.name])
        return expression
    if isinstance(expression, Constant):
        return expression
    return Arithmetic(substitute(expression.left, values), expression.operator, substitute(expression.right, values))


def substitute_atom(atom: Atom, values: Mapping[str, Value]) -> Atom:
    arguments: list[Term] = []
    for argument in atom.arguments:
        replaced = substitute(argument, values)
        assert not isinstance(replaced, Arithmetic)
        arguments.append(replaced)
    return Atom(atom.predicate, tuple(arguments), atom.position)


def substitute_literal(literal: BodyLiteral, values: Mapping[str, Value]) -> BodyLiteral:
    if isinstance(literal, Atom):
        return substitute_atom(literal, values)
    if isinstance(literal, Negation):
        return Negation(substitute_atom(literal.atom, values), literal.position)
    return Comparison(substitute(literal.left, values), literal.operator, substitute(literal.right, values))


def is_ground(atom: Atom) -> bool:
    return all(isinstance(argument, Constant) for argument in atom.arguments)


def ground_atom(predicate: str, row: tuple[Value, ...]) -> Atom:
    return Atom(predicate, tuple(Constant(value) for value in row))


def atom_values(atom: Atom) -> tuple[Value, ...]:
    """The values of a ground atom."""
    return tuple(argument.value for argument in atom.arguments if isinstance(argument, Constant))


def rule_order(rule: Rule, rules: tuple[Rule, ...]) -> int:
    """Position of a clause in its program: the first tie-break between equally small proofs."""
    for index, candidate in enumerate(rules):
        if candidate is rule:
            return index
    return rules.index(rule)
