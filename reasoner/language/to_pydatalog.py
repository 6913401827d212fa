"""A validated program as pyDatalog clauses, built through pyDatalog's term and literal API.

No text ever reaches pyDatalog's parser, ``exec`` or ``eval``: constants become
``pyEngine.Const``, variables ``pyEngine.Var``, and each rule a ``pyEngine.Clause`` whose
body carries the budget's checkpoint literals (:mod:`.checkpoints`): one after each
positive atom past the first, with the variables bound so far, and one at the end, with
the rule's number; arithmetic is computed by checkpoint literals too. :class:`.engine.Engine`
asserts the clauses into a ``Logic`` of its own per thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from pyDatalog import pyEngine

from ..errors import QueryError
from . import checkpoints
from .binding import answer_variables, named_variables, plan_body
from .program import (
    Arithmetic,
    Atom,
    BodyLiteral,
    Constant,
    Expression,
    Negation,
    PredicateKey,
    Value,
    Variable,
)

# Internal predicate names contain a space, which no program can spell.
QUERY_PREDICATE = "query result"
BY_RULE = "by rule {predicate}/{arity}"
"""The twin of each rule whose head also carries the rule's number: which rule gives each row."""
QUERY_RULE = -1
"""The rule number the fact checkpoint of a conjunctive query carries."""


class Compiler:
    """Clauses and literals of one program's rules and queries; ``known`` are its predicates."""

    def __init__(self, known: Mapping[PredicateKey, None]) -> None:
        self.known = known
        self._anonymous = itertools.count()

    def clause(self, head: Atom, order: tuple[BodyLiteral, ...], rule_index: int) -> Any:
        """A pyDatalog clause with budget checkpoints: after each positive atom past the first, and at the end."""
        variables: dict[str, Any] = {}
        body = self.body(order, variables)
        compiled_head = self.atom(head, variables, check=False)
        if not order:
            return pyEngine.Clause(compiled_head, [])
        head_variables = [variables[name] for name in names_in_order(head.arguments) if name in variables]
        return pyEngine.Clause(compiled_head, [*body, checkpoints.fact_literal(rule_index, head_variables)])

    def body(self, order: tuple[BodyLiteral, ...], variables: dict[str, Any]) -> list[Any]:
        body: list[Any] = []
        bound: list[str] = []
        atoms = 0
        for literal in order:
            body += self.literal(literal, variables)
            if isinstance(literal, Negation):
                continue
            bound += [name for name in sorted(named_variables(literal)) if name not in bound]
            if isinstance(literal, Atom):
                atoms += 1
                if atoms > 1:
                    body.append(checkpoints.step_literal([variables[name] for name in bound]))
        return body

    def query_clause(self, goal: tuple[BodyLiteral, ...]) -> Any:
        variables: dict[str, Any] = {}
        body = self.body(plan_body(goal).order, variables)
        names = answer_variables(goal)
        answer = [variables[name] for name in names]
        head = pyEngine.Literal(QUERY_PREDICATE, answer)
        return pyEngine.Clause(head, [*body, checkpoints.fact_literal(QUERY_RULE, answer)])

    def literal(self, literal: BodyLiteral, variables: dict[str, Any]) -> list[Any]:
        """The pyDatalog literals of one body literal: arithmetic becomes literals of its own."""
        if isinstance(literal, Atom):
            return [self.atom(literal, variables)]
        if isinstance(literal, Negation):
            return [self.atom(literal.atom, variables, prefix="~")]
        before: list[Any] = []
        if literal.operator == "=":
            # An arithmetic side computes straight into the other side, bound or not.
            for side, other in ((literal.right, literal.left), (literal.left, literal.right)):
                if isinstance(side, Arithmetic) and not isinstance(other, Arithmetic):
                    target = self.expression(other, variables, before)
                    return self.arithmetic(side, variables, before, target)
        left = self.expression(literal.left, variables, before)
        right = self.expression(literal.right, variables, before)
        operator = "==" if literal.operator == "=" else literal.operator
        return [*before, pyEngine.Literal(operator, [left, right])]

    def atom(self, atom: Atom, variables: dict[str, Any], prefix: str = "", check: bool = True) -> Any:
        if check and atom.key not in self.known:
            arities = sorted(arity for name, arity in self.known if name == atom.predicate)
            if arities:
                raise QueryError(f"{atom.predicate} takes {arities[0]} argument(s), not {atom.arity}")
            raise QueryError(f"{atom.predicate} is not a predicate of this program")
        return pyEngine.Literal(prefix + atom.predicate, [self.expression(a, variables, []) for a in atom.arguments])

    def expression(self, expression: Expression, variables: dict[str, Any], before: list[Any]) -> Any:
        """The term for ``expression``; an arithmetic one appends the literals computing it to ``before``."""
        if isinstance(expression, Constant):
            return pyEngine.Const(expression.value)
        if isinstance(expression, Variable):
            if expression.is_anonymous:
                return pyEngine.Var(f"anonymous {next(self._anonymous)}")
            if expression.name not in variables:
                variables[expression.name] = pyEngine.Var(expression.name)
            return variables[expression.name]
        result = pyEngine.Var(f"arithmetic {next(self._anonymous)}")
        before[:] = self.arithmetic(expression, variables, before, result)
        return result

    def arithmetic(
        self, expression: Arithmetic, variables: dict[str, Any], before: list[Any], result: Any
    ) -> list[Any]:
        """``before`` followed by the literals that compute ``result = expression`` under the budget."""
        left = self.expression(expression.left, variables, before)
        right = self.expression(expression.right, variables, before)
        return [*before, checkpoints.arithmetic_literal(expression.operator, left, right, result)]


def assert_fact(predicate: str, arguments: tuple[Value, ...]) -> Any:
    """Assert one ground fact in the active ``Logic``; the clause returned retracts it."""
    literal = pyEngine.Literal(predicate, [pyEngine.Const(value) for value in arguments])
    return pyEngine.assert_(pyEngine.Clause(literal, []))


def names_in_order(arguments: Iterable[Expression]) -> list[str]:
    names: list[str] = []
    for argument in arguments:
        if isinstance(argument, Variable) and not argument.is_anonymous and argument.name not in names:
            names.append(argument.name)
    return names
