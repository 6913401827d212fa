"""Where a knowledge base's answers can change: the thresholds its comparisons define.

A rule can only change its answer where one of its comparisons changes truth value. Every
comparison that, once the variables bound to facts, to arithmetic and to other rules'
heads are followed back, compares one numeric input slot with a constant gives a
:class:`Threshold`. :mod:`.verify` turns them into boundary records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ..language.program import (
    Atom,
    Comparison,
    Constant,
    Expression,
    PredicateKey,
    Program,
    Rule,
    Variable,
)

Slot = tuple[str, int]
"""An argument position of an ``.input`` predicate: ``("age", 0)``."""
MAX_ALTERNATIVES = 256
"""Unfolding a rule stops after this many alternative bindings; the KB's rules need a few."""


@dataclass(frozen=True)
class Linear:
    """``slope * x + offset`` for the value ``x`` of one input slot, or a constant (no slot)."""

    slot: Slot | None
    slope: Fraction
    offset: Fraction


Symbolic = Linear | None
"""What a variable is known to hold: a linear form, or nothing usable (a symbol, a product of slots)."""


@dataclass(frozen=True)
class Threshold:
    """A value of an input slot at which a comparison of ``rule_id`` changes truth value."""

    slot: Slot
    value: int
    rule: str


def thresholds(program: Program) -> list[Threshold]:
    """Every place where a comparison of the program flips on one numeric input slot."""
    unfolder = _Unfolder(program)
    found: dict[tuple[Slot, int, str], Threshold] = {}
    for rule in program.rules:
        for environment in unfolder.environments(rule):
            for literal in rule.body:
                if not isinstance(literal, Comparison) or _is_binding(literal, environment, rule):
                    continue
                left = _evaluate(literal.left, environment)
                right = _evaluate(literal.right, environment)
                for value in _crossings(left, right):
                    assert left is not None
                    slot = left.slot or (right.slot if right is not None else None)
                    assert slot is not None
                    name = rule.rule_id or str(rule)
                    found.setdefault((slot, value, name), Threshold(slot, value, name))
    return sorted(found.values(), key=lambda threshold: (threshold.slot, threshold.value, threshold.rule))


def _crossings(left: Symbolic, right: Symbolic) -> list[int]:
    if left is None or right is None:
        return []
    if left.slot is not None and right.slot is not None and left.slot != right.slot:
        return []
    slope = left.slope - right.slope
    if slope == 0 or (left.slot is None and right.slot is None):
        return []
    point = (right.offset - left.offset) / slope
    return sorted({int(point.numerator // point.denominator), -int(-point.numerator // point.denominator)})


def _is_binding(comparison: Comparison, environment: Mapping[str, Symbolic], rule: Rule) -> bool:
    """``Left = Limit - Taken`` where ``Left`` first appears here: an assignment, not a test."""
    return (
        comparison.operator == "="
        and isinstance(comparison.left, Variable)
        and comparison.left.name in environment
        and _assigned_here(rule, comparison)
    )


def _assigned_here(rule: Rule, comparison: Comparison) -> bool:
    assert isinstance(comparison.left, Variable)
    name = comparison.left.name
    for literal in rule.body:
        if literal is comparison:
            return True
        if isinstance(literal, Atom) and any(
            isinstance(argument, Variable) and argument.name == name for argument in literal.arguments
        ):
            return False
    return False


def _evaluate(expression: Expression, environment: Mapping[str, Symbolic]) -> Symbolic:
    if isinstance(expression, Constant):
        return Linear(None, Fraction(0), Fraction(expression.value)) if isinstance(expression.value, int) else None
    if isinstance(expression, Variable):
        return environment.get(expression.name)
    left = _evaluate(expression.left, environment)
    right = _evaluate(expression.right, environment)
    if left is None or right is None:
        return None
    if left.slot is not None and right.slot is not None and left.slot != right.slot:
        return None
    slot = left.slot or right.slot
    if expression.operator == "+":
        return Linear(slot, left.slope + right.slope, left.offset + right.offset)
    if expression.operator == "-":
        return Linear(slot, left.slope - right.slope, left.offset - right.offset)
    if left.slot is not None and right.slot is not None:
        return None
    if left.slot is None:
        left, right = right, left
    return Linear(slot, left.slope * right.offset, left.offset * right.offset)


class _Unfolder:
    """Follows variables back to input slots, facts and other rules' heads (non-recursively)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.inputs = program.inputs()
        self._heads: dict[int, list[tuple[Symbolic, ...]]] = {}
        self._open: set[int] = set()

    def environments(self, rule: Rule) -> list[dict[str, Symbolic]]:
        environments: list[dict[str, Symbolic]] = [{}]
        for literal in rule.body:
            if isinstance(literal, Atom):
                environments = [
                    extended for environment in environments for extended in self._bind_atom(literal, environment)
                ][:MAX_ALTERNATIVES]
            elif (
                isinstance(literal, Comparison)
                and literal.operator == "="
                and isinstance(literal.left, Variable)
                and _assigned_here(rule, literal)
            ):
                for environment in environments:
                    environment.setdefault(literal.left.name, _evaluate(literal.right, environment))
        return environments

    def _bind_atom(self, atom: Atom, environment: dict[str, Symbolic]) -> list[dict[str, Symbolic]]:
        if atom.key in self.inputs:
            declaration = self.inputs[atom.key]
            bound = dict(environment)
            for index, argument in enumerate(atom.arguments):
                if isinstance(argument, Variable) and not argument.is_anonymous and argument.name not in bound:
                    numeric = declaration.parameters[index].type == "number"
                    bound[argument.name] = (
                        Linear((atom.predicate, index), Fraction(1), Fraction(0)) if numeric else None
                    )
            return [bound]
        alternatives: list[dict[str, Symbolic]] = []
        for head in self._head_values(atom.key):
            bound = dict(environment)
            for argument, value in zip(atom.arguments, head, strict=True):
                if isinstance(argument, Variable) and not argument.is_anonymous and argument.name not in bound:
                    bound[argument.name] = value
            alternatives.append(bound)
        return alternatives or [dict(environment)]

    def _head_values(self, key: PredicateKey) -> list[tuple[Symbolic, ...]]:
        values: list[tuple[Symbolic, ...]] = []
        for index, rule in enumerate(self.program.rules):
            if rule.head.key != key or index in self._open:
                continue
            if index not in self._heads:
                self._open.add(index)
                try:
                    self._heads[index] = [
                        tuple(_evaluate(argument, environment) for argument in rule.head.arguments)
                        for environment in self.environments(rule)
                    ]
                finally:
                    self._open.discard(index)
            values += self._heads[index]
        return values[:MAX_ALTERNATIVES]
