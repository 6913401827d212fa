"""Semi-naive, bottom-up evaluation of one recursive component, with hash-indexed joins.

pyDatalog 0.22.4's tabled resolution loops forever on some recursive programs (right
recursion over a cyclic relation) and is slow on the others, so the engine never gives
it a recursive rule. A recursive component (predicates that depend on each other) is
computed here instead, to its fixpoint, in rounds:

* the rules of the component with no literal of the component run once;
* each later round runs, for every rule and every literal of the component in its body,
  a *variant* of the rule in which that literal reads only the facts new in the last round
  (the delta) and the others read every fact so far; a round's new facts are the next
  round's delta, and the fixpoint is reached when a round finds nothing new.

Every body is evaluated in the order :func:`reasoner.binding.plan_body` gives (positive
atoms in source order, each test as soon as its variables are bound). A join step looks
its candidate rows up in a hash index on the argument positions already bound, so a
round costs what it derives, not the product of the relations' sizes. Indexes of the
component's own relations grow with each round; indexes of the delta are built per round.

Predicates below the component (inputs, non-recursive rules, earlier components) are read
once, whole, through the ``lower`` callback. The query's :class:`reasoner.budget.Meter`
is charged for every candidate row of every join step and every new fact, so a runaway
program stops within its budget, in the middle of a round if need be.
"""

from __future__ import annotations

import operator as python_operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from reasoner.binding import plan_body
from reasoner.budget import Meter
from reasoner.errors import EvaluationError
from reasoner.program import (
    Atom,
    BodyLiteral,
    Comparison,
    Constant,
    Expression,
    Negation,
    PredicateKey,
    Rule,
    Value,
    Variable,
)

Row = tuple[Value, ...]
Env = list[Value]
Lower = Callable[[PredicateKey], Iterable[Row]]
"""The rows of a predicate below the component, read once per fixpoint."""

_ORDERING: dict[str, Callable[[Value, Value], bool]] = {
    "<": python_operator.lt,
    "<=": python_operator.le,
    ">": python_operator.gt,
    ">=": python_operator.ge,
    "=": python_operator.eq,
    "!=": python_operator.ne,
}


class _Relation:
    """A set of rows with the hash indexes the joins ask for, kept up to date as rows are added."""

    __slots__ = ("indexes", "rows")

    def __init__(self, rows: Iterable[Row] = ()) -> None:
        self.rows: set[Row] = set(rows)
        self.indexes: dict[tuple[int, ...], dict[tuple[Value, ...], list[Row]]] = {}

    def index(self, positions: tuple[int, ...]) -> dict[tuple[Value, ...], list[Row]]:
        found = self.indexes.get(positions)
        if found is None:
            found = defaultdict(list)
            for row in self.rows:
                found[tuple(row[position] for position in positions)].append(row)
            self.indexes[positions] = found
        return found

    def add_all(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.rows.add(row)
            for positions, index in self.indexes.items():
                index[tuple(row[position] for position in positions)].append(row)


@dataclass
class _Scan:
    """Join with a relation: look up the rows matching what is bound, bind the rest."""

    relation: Callable[[], _Relation]
    key_positions: tuple[int, ...]
    key_values: tuple[tuple[bool, int | Value], ...]
    """For each key position: (is a slot, slot number or constant)."""
    binds: tuple[tuple[int, int], ...]
    """(argument position, slot) pairs that this step binds."""
    checks: tuple[tuple[int, int], ...]
    """(argument position, slot) pairs repeating a variable bound earlier in the same atom."""

    def run(self, env: Env, meter: Meter) -> Iterator[None]:
        key = tuple(env[value] if is_slot else value for is_slot, value in self.key_values)  # type: ignore[index]
        for row in self.relation().index(self.key_positions).get(key, ()):
            meter.step()
            for position, slot in self.binds:
                env[slot] = row[position]
            if all(row[position] == env[slot] for position, slot in self.checks):
                yield None


@dataclass
class _Absent:
    """``not atom``: no row of a lower relation matches the bound arguments."""

    relation: Callable[[], _Relation]
    key_positions: tuple[int, ...]
    key_values: tuple[tuple[bool, int | Value], ...]

    def run(self, env: Env, meter: Meter) -> Iterator[None]:
        key = tuple(env[value] if is_slot else value for is_slot, value in self.key_values)  # type: ignore[index]
        if key not in self.relation().index(self.key_positions):
            yield None


@dataclass
class _Test:
    left: Callable[[Env, Meter], Value]
    operator: str
    right: Callable[[Env, Meter], Value]

    def run(self, env: Env, meter: Meter) -> Iterator[None]:
        left, right = self.left(env, meter), self.right(env, meter)
        try:
            holds = _ORDERING[self.operator](left, right)
        except TypeError:
            raise EvaluationError(f"cannot compare {left!r} {self.operator} {right!r}") from None
        if holds:
            yield None


@dataclass
class _Assign:
    slot: int
    value: Callable[[Env, Meter], Value]

    def run(self, env: Env, meter: Meter) -> Iterator[None]:
        env[self.slot] = self.value(env, meter)
        yield None


_Step = _Scan | _Absent | _Test | _Assign


@dataclass
class _Variant:
    """One way to run a rule: its steps, and how to build the head row from the slots."""

    head: PredicateKey
    steps: list[_Step]
    head_values: tuple[tuple[bool, int | Value], ...]
    slots: int


@dataclass
class _Plan:
    base: list[_Variant] = field(default_factory=list)
    recursive: list[_Variant] = field(default_factory=list)


def fixpoint(
    rules: Sequence[Rule], component: frozenset[PredicateKey], lower: Lower, meter: Meter
) -> dict[PredicateKey, frozenset[Row]]:
    """Every fact of the ``component``'s predicates that ``rules`` derive, given ``lower``."""
    full = {key: _Relation() for key in component}
    delta = {key: _Relation() for key in component}
    lower_relations: dict[PredicateKey, _Relation] = {}

    def lower_relation(key: PredicateKey) -> Callable[[], _Relation]:
        def read() -> _Relation:
            relation = lower_relations.get(key)
            if relation is None:
                relation = lower_relations[key] = _Relation(lower(key))
            return relation

        return read

    plan = _Plan()
    for rule in rules:
        order = plan_body(rule.body).order
        recursive = [i for i, literal in enumerate(order) if isinstance(literal, Atom) and literal.key in component]
        if not recursive:
            plan.base.append(_compile(rule.head, order, {}, full, lower_relation))
        for position in recursive:
            plan.recursive.append(_compile(rule.head, order, {position: delta}, full, lower_relation))

    new = _run(plan.base, full, meter)
    while any(new.values()):
        for key, rows in new.items():
            delta[key] = _Relation(rows)
            full[key].add_all(rows)
        new = _run(plan.recursive, full, meter)
    return {key: frozenset(relation.rows) for key, relation in full.items()}


def _run(variants: list[_Variant], full: dict[PredicateKey, _Relation], meter: Meter) -> dict[PredicateKey, set[Row]]:
    """The facts the variants derive that are not known yet."""
    new: dict[PredicateKey, set[Row]] = {key: set() for key in full}
    for variant in variants:
        known, found = full[variant.head].rows, new[variant.head]
        for env in _solutions(variant.steps, variant.slots, meter):
            row = tuple(env[value] if is_slot else value for is_slot, value in variant.head_values)  # type: ignore[index]
            if row not in known and row not in found:
                found.add(row)
                meter.derived()
    return new


def _solutions(steps: list[_Step], slots: int, meter: Meter) -> Iterator[Env]:
    """Every assignment of the slots satisfying all steps, by backtracking without recursion.

    Each step binds only slots no earlier step binds, so backtracking needs no undo, and a
    body of hundreds of literals needs no deep Python stack.
    """
    env: Env = [0] * slots
    if not steps:
        yield env
        return
    last = len(steps) - 1
    iterators: list[Iterator[None]] = [iter(())] * len(steps)
    iterators[0] = steps[0].run(env, meter)
    depth = 0
    done = object()
    while depth >= 0:
        if next(iterators[depth], done) is done:
            depth -= 1
            continue
        if depth == last:
            yield env
        else:
            depth += 1
            iterators[depth] = steps[depth].run(env, meter)


def _compile(
    head: Atom,
    order: tuple[BodyLiteral, ...],
    reads: dict[int, dict[PredicateKey, _Relation]],
    full: dict[PredicateKey, _Relation],
    lower_relation: Callable[[PredicateKey], Callable[[], _Relation]],
) -> _Variant:
    """The steps of one variant of a rule; literal ``i`` reads ``reads[i]`` (the delta) when given."""
    slots: dict[str, int] = {}
    steps: list[_Step] = []

    def relation_of(position: int, key: PredicateKey) -> Callable[[], _Relation]:
        source = reads.get(position, full if key in full else None)
        if source is None:
            return lower_relation(key)
        return lambda: source[key]

    for position, literal in enumerate(order):
        if isinstance(literal, Atom):
            steps.append(_scan(literal, slots, relation_of(position, literal.key)))
        elif isinstance(literal, Negation):
            steps.append(_absent(literal.atom, slots, lower_relation(literal.atom.key)))
        else:
            steps.append(_comparison(literal, slots))
    head_values = tuple(_value_of(argument, slots) for argument in head.arguments)
    return _Variant(head.key, steps, head_values, max(len(slots), 1))


def _value_of(term: Expression, slots: dict[str, int]) -> tuple[bool, int | Value]:
    if isinstance(term, Constant):
        return (False, term.value)
    if isinstance(term, Variable) and term.name in slots:
        return (True, slots[term.name])
    raise EvaluationError(f"{term} is not bound where it is read")


def _scan(atom: Atom, slots: dict[str, int], relation: Callable[[], _Relation]) -> _Scan:
    key_positions: list[int] = []
    key_values: list[tuple[bool, int | Value]] = []
    binds: list[tuple[int, int]] = []
    checks: list[tuple[int, int]] = []
    bound_here: set[str] = set()
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Constant) or (
            isinstance(argument, Variable) and argument.name in slots and argument.name not in bound_here
        ):
            key_positions.append(position)
            key_values.append(_value_of(argument, slots))
        elif isinstance(argument, Variable) and not argument.is_anonymous:
            if argument.name in bound_here:
                checks.append((position, slots[argument.name]))
            else:
                slots[argument.name] = len(slots)
                bound_here.add(argument.name)
                binds.append((position, slots[argument.name]))
    return _Scan(relation, tuple(key_positions), tuple(key_values), tuple(binds), tuple(checks))


def _absent(atom: Atom, slots: dict[str, int], relation: Callable[[], _Relation]) -> _Absent:
    key_positions: list[int] = []
    key_values: list[tuple[bool, int | Value]] = []
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Variable) and argument.is_anonymous:
            continue
        key_positions.append(position)
        key_values.append(_value_of(argument, slots))
    return _Absent(relation, tuple(key_positions), tuple(key_values))


def _comparison(literal: Comparison, slots: dict[str, int]) -> _Step:
    if literal.operator == "=":
        for side, other in ((literal.left, literal.right), (literal.right, literal.left)):
            if isinstance(side, Variable) and not side.is_anonymous and side.name not in slots:
                value = _expression(other, slots)
                slots[side.name] = len(slots)
                return _Assign(slots[side.name], value)
    return _Test(_expression(literal.left, slots), literal.operator, _expression(literal.right, slots))


def _expression(expression: Expression, slots: dict[str, int]) -> Callable[[Env, Meter], Value]:
    if isinstance(expression, Constant):
        constant = expression.value
        return lambda env, meter: constant
    if isinstance(expression, Variable):
        slot = _value_of(expression, slots)[1]
        assert isinstance(slot, int)
        return lambda env, meter: env[slot]
    left, right, operator = (
        _expression(expression.left, slots),
        _expression(expression.right, slots),
        expression.operator,
    )

    def compute(env: Env, meter: Meter) -> Value:
        a, b = left(env, meter), right(env, meter)
        if not (isinstance(a, int) and isinstance(b, int)):
            raise EvaluationError(f"{a!r} {operator} {b!r}: arithmetic needs two integers")
        return meter.compute(operator, a, b)

    return compute


__all__ = ["Lower", "fixpoint"]
