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
round costs what it derives, not the product of the relations' sizes. Indexes of the
component's own relations grow with each round; indexes of the delta are built per round.

Predicates below the component (inputs, non-recursive rules, earlier components) are read
once, whole, through the ``lower`` callback. The query's :class:`.budget.Meter`
is charged for every candidate row of every join step and every new fact, so a runaway
program stops within its budget, in the middle of a round if need be.
"""

from __future__ import annotations

import operator as python_operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import EvaluationError
from .binding import plan_body
from .budget import Meter
from .program import (
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


CHUNK = 4096
"""Partial rows one join step produces before the next step consumes them.

Steps run set-at-a-time on lists of partial rows (fast in Python), depth first by
chunks, so memory stays bounded by the body's length times the chunk, and the budget is
checked after every chunk."""

Key = Callable[[Sequence[Value]], object]


def _key_of(parts: Sequence[tuple[bool, int | Value]]) -> Key:
    """A function giving a row's (or partial row's) index key: the value alone for one part, else a tuple.

    Each part is (True, position) for a value read at ``position`` or (False, constant).
    """
    if all(is_position for is_position, _ in parts):
        positions = [int(value) for _, value in parts]
        if not positions:
            return lambda row: ()
        return python_operator.itemgetter(*positions)
    if len(parts) == 1:
        constant = parts[0][1]
        return lambda row: constant
    return lambda row: tuple(row[value] if is_position else value for is_position, value in parts)  # type: ignore[index]


def _positions_key(positions: tuple[int, ...]) -> Key:
    return _key_of([(True, position) for position in positions])


class _Relation:
    """A set of rows with the hash indexes the joins ask for, kept up to date as rows are added."""

    __slots__ = ("indexes", "rows")

    def __init__(self, rows: Iterable[Row] = ()) -> None:
        self.rows: set[Row] = set(rows)
        self.indexes: dict[tuple[int, ...], dict[object, list[Row]]] = {}

    def index(self, positions: tuple[int, ...]) -> dict[object, list[Row]]:
        found = self.indexes.get(positions)
        if found is None:
            found = defaultdict(list)
            key = _positions_key(positions)
            for row in self.rows:
                found[key(row)].append(row)
            self.indexes[positions] = found
        return found

    def add_all(self, rows: Iterable[Row]) -> None:
        rows = list(rows)
        self.rows.update(rows)
        for positions, index in self.indexes.items():
            key = _positions_key(positions)
            for row in rows:
                index[key(row)].append(row)


Partial = tuple[Value, ...]
"""The values of the slots bound so far, slot ``i`` at index ``i``."""


@dataclass
class _Scan:
    """Join with a relation: look up the rows matching what is bound, append the values it binds."""

    relation: Callable[[], _Relation]
    positions: tuple[int, ...]
    """The atom's argument positions known before the lookup (constants and bound variables)."""
    key: Key
    """The lookup key of a partial row, in the shape of the index on ``positions``."""
    binds: tuple[int, ...]
    """Argument positions whose values become new slots, in slot order."""
    checks: tuple[tuple[int, int], ...]
    """(argument position, earlier argument position) pairs of a variable repeated in the atom."""

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        index = self.relation().index(self.positions)
        key, binds, checks = self.key, self.binds, self.checks
        extract = _extractor(binds)
        end = len(rows)
        while start < end and len(out) < CHUNK:
            partial = rows[start]
            start += 1
            matches = index.get(key(partial))
            if not matches:
                continue
            if checks:
                out += [partial + extract(row) for row in matches if all(row[a] == row[b] for a, b in checks)]
            elif len(binds) == 1:  # the common case, without a call per row
                position = binds[0]
                out += [(*partial, row[position]) for row in matches]
            elif not binds:  # every argument known: a test that the row exists
                out.append(partial)
            else:
                out += [partial + extract(row) for row in matches]
        meter.step()
        return start


def _extractor(positions: tuple[int, ...]) -> Callable[[Row], Partial]:
    if not positions:
        return lambda row: ()
    if len(positions) == 1:
        position = positions[0]
        return lambda row: (row[position],)
    getter = python_operator.itemgetter(*positions)
    return lambda row: getter(row)


@dataclass
class _Absent:
    """``not atom``: no row of a lower relation matches the bound arguments."""

    relation: Callable[[], _Relation]
    positions: tuple[int, ...]
    key: Key

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        index, key = self.relation().index(self.positions), self.key
        stop = min(len(rows), start + CHUNK)
        out += [partial for partial in rows[start:stop] if key(partial) not in index]
        meter.step()
        return stop


@dataclass
class _Test:
    left: Callable[[Partial, Meter], Value]
    operator: str
    right: Callable[[Partial, Meter], Value]

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        stop = min(len(rows), start + CHUNK)
        compare, left, right = _ORDERING[self.operator], self.left, self.right
        try:
            out += [partial for partial in rows[start:stop] if compare(left(partial, meter), right(partial, meter))]
        except TypeError as error:
            raise EvaluationError(f"cannot compare values with {self.operator}: {error}") from None
        meter.step()
        return stop


@dataclass
class _Assign:
    value: Callable[[Partial, Meter], Value]

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        stop = min(len(rows), start + CHUNK)
        value = self.value
        out += [partial + (value(partial, meter),) for partial in rows[start:stop]]
        meter.step()
        return stop


_Step = _Scan | _Absent | _Test | _Assign


@dataclass
class _Variant:
    """One way to run a rule: its steps, and how to build the head row from the slots."""

    head: PredicateKey
    steps: list[_Step]
    head_row: Callable[[Partial], Row]


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
    old = {key: _Relation() for key in component}
    """Every fact but the last round's: what a recursive literal before the delta one reads."""
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
        for number, position in enumerate(recursive):
            # Literals before the delta one read only older facts, so no two variants derive a
            # row from the same combination of facts.
            reads = {earlier: old for earlier in recursive[:number]} | {position: delta}
            plan.recursive.append(_compile(rule.head, order, reads, full, lower_relation))

    new = _run(plan.base, full, meter)
    while any(new.values()):
        for key, rows in new.items():
            old[key].add_all(delta[key].rows)
            delta[key] = _Relation(rows)
            full[key].add_all(rows)
        new = _run(plan.recursive, full, meter)
    return {key: frozenset(relation.rows) for key, relation in full.items()}


def _run(variants: list[_Variant], full: dict[PredicateKey, _Relation], meter: Meter) -> dict[PredicateKey, set[Row]]:
    """The facts the variants derive that are not known yet."""
    new: dict[PredicateKey, set[Row]] = {key: set() for key in full}
    for variant in variants:
        known, found, head_row = full[variant.head].rows, new[variant.head], variant.head_row
        for rows in _solutions(variant.steps, meter):
            before = len(found)
            found.update(row for row in map(head_row, rows) if row not in known)
            meter.derived(len(found) - before)
    return new


def _solutions(steps: list[_Step], meter: Meter) -> Iterator[list[Partial]]:
    """Chunks of complete rows satisfying all steps, depth first by chunks, without recursion.

    A body of hundreds of literals therefore needs no deep Python stack, and at most one
    chunk per step is held at a time.
    """
    if not steps:
        yield [()]
        return
    last = len(steps)
    frames: list[tuple[int, list[Partial], int]] = [(0, [()], 0)]
    while frames:
        level, rows, start = frames.pop()
        out: list[Partial] = []
        start = steps[level].process(rows, start, out, meter)
        if start < len(rows):
            frames.append((level, rows, start))
        if out:
            if level + 1 == last:
                yield out
            else:
                frames.append((level + 1, out, 0))


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
    head_parts = [_value_of(argument, slots) for argument in head.arguments]
    head_key = _key_of(head_parts)
    if len(head_parts) == 1:
        return _Variant(head.key, steps, lambda partial: (head_key(partial),))  # type: ignore[arg-type,return-value]
    return _Variant(head.key, steps, head_key)  # type: ignore[arg-type]


def _value_of(term: Expression, slots: dict[str, int]) -> tuple[bool, int | Value]:
    if isinstance(term, Constant):
        return (False, term.value)
    if isinstance(term, Variable) and term.name in slots:
        return (True, slots[term.name])
    raise EvaluationError(f"{term} is not bound where it is read")


def _scan(atom: Atom, slots: dict[str, int], relation: Callable[[], _Relation]) -> _Scan:
    positions: list[int] = []
    key_parts: list[tuple[bool, int | Value]] = []
    binds: list[int] = []
    checks: list[tuple[int, int]] = []
    first_position: dict[str, int] = {}
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Constant) or (isinstance(argument, Variable) and argument.name in slots):
            positions.append(position)
            key_parts.append(_value_of(argument, slots))
        elif isinstance(argument, Variable) and not argument.is_anonymous:
            if argument.name in first_position:
                checks.append((position, first_position[argument.name]))
            else:
                first_position[argument.name] = position
                binds.append(position)
    for name in first_position:
        slots[name] = len(slots)
    return _Scan(relation, tuple(positions), _key_of(key_parts), tuple(binds), tuple(checks))


def _absent(atom: Atom, slots: dict[str, int], relation: Callable[[], _Relation]) -> _Absent:
    positions: list[int] = []
    key_parts: list[tuple[bool, int | Value]] = []
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Variable) and argument.is_anonymous:
            continue
        positions.append(position)
        key_parts.append(_value_of(argument, slots))
    return _Absent(relation, tuple(positions), _key_of(key_parts))


def _comparison(literal: Comparison, slots: dict[str, int]) -> _Step:
    if literal.operator == "=":
        for side, other in ((literal.left, literal.right), (literal.right, literal.left)):
            if isinstance(side, Variable) and not side.is_anonymous and side.name not in slots:
                value = _expression(other, slots)
                slots[side.name] = len(slots)
                return _Assign(value)
    return _Test(_expression(literal.left, slots), literal.operator, _expression(literal.right, slots))


def _expression(expression: Expression, slots: dict[str, int]) -> Callable[[Partial, Meter], Value]:
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

    def compute(env: Partial, meter: Meter) -> Value:
        a, b = left(env, meter), right(env, meter)
        if not (isinstance(a, int) and isinstance(b, int)):
            raise EvaluationError(f"{a!r} {operator} {b!r}: arithmetic needs two integers")
        return meter.compute(operator, a, b)

    return compute


__all__ = ["Lower", "fixpoint"]
