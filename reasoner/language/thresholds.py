"""Where a program's answers can change: its comparisons as linear forms of the input slots.

A rule can only change its answer where one of its comparisons changes truth value. The
variables of a comparison are followed back to what binds them (input facts, arithmetic,
facts and other rules' heads, non-recursively), and each side becomes a linear form of
the numeric input slots, ``2 * relaxant_days_taken - 7`` and the like. A comparison that
compares one slot with a constant gives a :class:`Threshold` (``kb verify`` builds its
boundary records from them); every comparison, with any number of slots, is a
:class:`LinearComparison` (the counterfactual search of :mod:`..explain.counterfactual`
finds from them the days on which a growing slot can change an answer). A comparison the
analysis cannot write as a linear form (a product of two slots, a value from a recursive
predicate) says so, with the slots it reads when they are known, so a caller never
mistakes "not understood" for "does not change".

Besides written comparisons, a rule compares values where a variable is shared between
a numeric slot and another atom, or an atom names a number (``age(65)``): these implicit
equalities are comparisons too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .program import (
    Atom,
    Comparison,
    Constant,
    Expression,
    Negation,
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
    """``sum(coefficient * slot) + offset`` over the values of input slots; a constant has no terms."""

    terms: tuple[tuple[Slot, Fraction], ...]
    offset: Fraction

    @staticmethod
    def constant(value: int | Fraction) -> Linear:
        return Linear((), Fraction(value))

    @staticmethod
    def of_slot(slot: Slot) -> Linear:
        return Linear(((slot, Fraction(1)),), Fraction(0))

    @property
    def slots(self) -> frozenset[Slot]:
        return frozenset(slot for slot, _ in self.terms)

    def plus(self, other: Linear, sign: int = 1) -> Linear:
        coefficients = dict(self.terms)
        for slot, coefficient in other.terms:
            coefficients[slot] = coefficients.get(slot, Fraction(0)) + sign * coefficient
        return Linear(_terms(coefficients), self.offset + sign * other.offset)

    def times(self, factor: Fraction) -> Linear:
        return Linear(_terms({slot: coefficient * factor for slot, coefficient in self.terms}), self.offset * factor)


def _terms(coefficients: Mapping[Slot, Fraction]) -> tuple[tuple[Slot, Fraction], ...]:
    return tuple(sorted((slot, value) for slot, value in coefficients.items() if value != 0))


@dataclass(frozen=True)
class Opaque:
    """A number the analysis cannot write linearly; ``slots`` it reads, or None when they are unknown."""

    slots: frozenset[Slot] | None


Symbolic = Linear | Opaque | str | None
"""What a variable is known to hold: a linear form, an opaque number, a known symbol, or None for any symbol."""
UNKNOWN = Opaque(None)


@dataclass(frozen=True)
class Threshold:
    """A value of an input slot at which a comparison of ``rule_id`` changes truth value."""

    slot: Slot
    value: int
    rule: str


@dataclass(frozen=True)
class LinearComparison:
    """One comparison of a rule (for one way of binding its variables) as ``form operator 0``.

    ``form`` is ``left - right``; None when either side is not linear, and then ``slots``
    are the slots it reads (None: not known, a value of a recursive predicate).
    """

    rule: Rule
    operator: str
    form: Linear | None
    slots: frozenset[Slot] | None


def thresholds(program: Program) -> list[Threshold]:
    """Every place where a comparison of the program flips on one numeric input slot."""
    found: dict[tuple[Slot, int, str], Threshold] = {}
    for comparison in comparisons(program):
        if comparison.form is None or len(comparison.form.terms) != 1:
            continue
        [(slot, _)] = comparison.form.terms
        name = comparison.rule.rule_id or str(comparison.rule)
        for value in crossings(comparison.form):
            found.setdefault((slot, value, name), Threshold(slot, value, name))
    return sorted(found.values(), key=lambda threshold: (threshold.slot, threshold.value, threshold.rule))


def crossings(form: Linear) -> list[int]:
    """The whole values next to the point where a one-slot ``form`` is zero: where ``form op 0`` flips."""
    [(_, coefficient)] = form.terms
    point = -form.offset / coefficient
    return sorted({point.numerator // point.denominator, -(-point.numerator // point.denominator)})


def comparisons(program: Program, rules: Iterable[int] | None = None) -> list[LinearComparison]:
    """The comparisons of the program (of the rules numbered ``rules`` only, when given), written and implicit."""
    unfolder = _Unfolder(program)
    chosen = range(len(program.rules)) if rules is None else sorted(set(rules))
    found: dict[LinearComparison, None] = {}
    for index in chosen:
        rule = program.rules[index]
        for environment, implicit in unfolder.environments(rule):
            for literal in rule.body:
                if not isinstance(literal, Comparison) or _is_binding(literal, environment, rule):
                    continue
                left = _evaluate(literal.left, environment)
                right = _evaluate(literal.right, environment)
                found.setdefault(_comparison(rule, literal.operator, left, right), None)
            for left, right in implicit:
                found.setdefault(_comparison(rule, "=", left, right), None)
    return [
        comparison
        for comparison in found
        if (comparison.form.terms if comparison.form is not None else comparison.slots != frozenset())
    ]


def _comparison(rule: Rule, operator: str, left: Symbolic, right: Symbolic) -> LinearComparison:
    if isinstance(left, Linear) and isinstance(right, Linear):
        return LinearComparison(rule, operator, left.plus(right, -1), None)
    return LinearComparison(rule, operator, None, _slots_read(left, right))


def _numeric(value: Symbolic) -> bool:
    return isinstance(value, Linear | Opaque)


def _slots_read(*values: Symbolic) -> frozenset[Slot] | None:
    slots: set[Slot] = set()
    for value in values:
        if isinstance(value, Opaque):
            if value.slots is None:
                return None
            slots |= value.slots
        elif isinstance(value, Linear):
            slots |= value.slots
    return frozenset(slots)


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
        return Linear.constant(expression.value) if isinstance(expression.value, int) else expression.value
    if isinstance(expression, Variable):
        return environment.get(expression.name, UNKNOWN)
    left = _evaluate(expression.left, environment)
    right = _evaluate(expression.right, environment)
    if not _numeric(left) or not _numeric(right):
        return None
    if not isinstance(left, Linear) or not isinstance(right, Linear):
        return Opaque(_slots_read(left, right))
    if expression.operator == "+":
        return left.plus(right)
    if expression.operator == "-":
        return left.plus(right, -1)
    if left.terms and right.terms:
        return Opaque(left.slots | right.slots)
    if not left.terms:
        left, right = right, left
    return left.times(right.offset)


Environment = dict[str, Symbolic]
Equalities = tuple[tuple[Symbolic, Symbolic], ...]
"""The implicit equalities of one way of binding a rule: a shared variable, a number in an atom."""


class _Unfolder:
    """Follows variables back to input slots, facts and other rules' heads (non-recursively)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.inputs = program.inputs()
        self._rules: dict[PredicateKey, list[int]] = {}
        for index, rule in enumerate(program.rules):
            self._rules.setdefault(rule.head.key, []).append(index)
        self._heads: dict[int, list[tuple[Symbolic, ...]]] = {}
        self._open: set[int] = set()

    def environments(self, rule: Rule) -> list[tuple[Environment, Equalities]]:
        environments: list[tuple[Environment, Equalities]] = [({}, ())]
        for literal in rule.body:
            if isinstance(literal, Atom):
                environments = [
                    extended
                    for environment, implicit in environments
                    for extended in self._bind_atom(literal, environment, implicit)
                ][:MAX_ALTERNATIVES]
            elif (
                isinstance(literal, Comparison)
                and literal.operator == "="
                and isinstance(literal.left, Variable)
                and _assigned_here(rule, literal)
            ):
                for environment, _ in environments:
                    environment.setdefault(literal.left.name, _evaluate(literal.right, environment))
            elif isinstance(literal, Negation):
                environments = [
                    (environment, implicit + self._negated_equalities(literal.atom, environment))
                    for environment, implicit in environments
                ]
        return environments

    def _bind_atom(
        self, atom: Atom, environment: Environment, implicit: Equalities
    ) -> list[tuple[Environment, Equalities]]:
        if atom.key in self.inputs:
            bound = self._bind(atom, self._input_values(atom.key), environment, implicit)
            return [bound] if bound is not None else []
        heads = self._head_values(atom.key)
        if not heads:
            return [(dict(environment), implicit)]
        return [bound for head in heads if (bound := self._bind(atom, head, environment, implicit)) is not None]

    def _input_values(self, key: PredicateKey) -> tuple[Symbolic, ...]:
        declaration = self.inputs[key]
        return tuple(
            Linear.of_slot((key[0], index)) if parameter.type == "number" else None
            for index, parameter in enumerate(declaration.parameters)
        )

    @staticmethod
    def _bind(
        atom: Atom, values: tuple[Symbolic, ...], environment: Environment, implicit: Equalities
    ) -> tuple[Environment, Equalities] | None:
        """The environment extended by ``atom`` facing ``values``; None when two known symbols differ."""
        bound = dict(environment)
        found = list(implicit)
        for argument, value in zip(atom.arguments, values, strict=True):
            if isinstance(argument, Variable):
                if argument.is_anonymous:
                    continue
                if argument.name not in bound:
                    bound[argument.name] = value
                    continue
                known = bound[argument.name]
                if isinstance(known, str) and isinstance(value, str) and known != value:
                    return None
                if _numeric(known) and _numeric(value):
                    found.append((known, value))
            elif isinstance(value, str) and value != argument.value:
                return None
            elif isinstance(argument.value, int) and _numeric(value):
                found.append((Linear.constant(argument.value), value))
        return bound, tuple(found)

    def _negated_equalities(self, atom: Atom, environment: Environment) -> Equalities:
        """``not p(X)`` with ``X`` a number compares ``X`` with every value ``p`` can hold there."""
        if not any(
            (isinstance(argument, Variable) and environment.get(argument.name) is not None)
            or (isinstance(argument, Constant) and isinstance(argument.value, int))
            for argument in atom.arguments
        ):
            return ()
        values = (
            [self._input_values(atom.key)]
            if atom.key in self.inputs
            else [head for head in self._head_values(atom.key)]
        )
        found: list[tuple[Symbolic, Symbolic]] = []
        for head in values:
            bound = self._bind(atom, head, environment, ())
            if bound is not None:
                found += bound[1]
        return tuple(found)

    def _head_values(self, key: PredicateKey) -> list[tuple[Symbolic, ...]]:
        values: list[tuple[Symbolic, ...]] = []
        for index in self._rules.get(key, []):
            rule = self.program.rules[index]
            if index in self._open:
                values.append(tuple(UNKNOWN for _ in rule.head.arguments))
                continue
            if index not in self._heads:
                self._open.add(index)
                try:
                    self._heads[index] = [
                        tuple(_evaluate(argument, environment) for argument in rule.head.arguments)
                        for environment, _ in self.environments(rule)
                    ]
                finally:
                    self._open.discard(index)
            values += self._heads[index]
        return list(dict.fromkeys(values))[:MAX_ALTERNATIVES]
