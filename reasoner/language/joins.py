"""Joins for bottom-up evaluation: relations with hash indexes, and a rule body as a list of join steps.

A body, in the order :func:`.binding.plan_body` gives, becomes one step per literal:
a positive atom a scan that looks its candidate rows up in a hash index of the
relation on the argument positions already bound; ``not p(...)`` an absence test; a
comparison a test, or an assignment when it binds a variable. :func:`solutions` runs the
steps set-at-a-time on lists of partial rows, depth first by chunks of :data:`CHUNK`,
without recursion, so memory stays bounded and a body of hundreds of literals needs no
deep Python stack. The query's :class:`.budget.Meter` is charged for every candidate row.
"""

from __future__ import annotations

import operator as python_operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from ..errors import EvaluationError
from .budget import Meter
from .program import Atom, Comparison, Constant, Expression, Value, Variable

Row = tuple[Value, ...]

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


def key_of(parts: Sequence[tuple[bool, int | Value]]) -> Key:
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
    return key_of([(True, position) for position in positions])


class Relation:
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


class _Scan(NamedTuple):
    """Join with a relation: look up the rows matching what is bound, append the values it binds."""

    relation: Callable[[], Relation]
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


class _Absent(NamedTuple):
    """``not atom``: no row of a lower relation matches the bound arguments."""

    relation: Callable[[], Relation]
    positions: tuple[int, ...]
    key: Key

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        index, key = self.relation().index(self.positions), self.key
        stop = min(len(rows), start + CHUNK)
        out += [partial for partial in rows[start:stop] if key(partial) not in index]
        meter.step()
        return stop


class _Test(NamedTuple):
    """A comparison of two values computed from the slots: keeps the partial rows that pass."""

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


class _Assign(NamedTuple):
    """``Variable = expression`` on a new variable: appends the value as a new slot."""

    value: Callable[[Partial, Meter], Value]

    def process(self, rows: list[Partial], start: int, out: list[Partial], meter: Meter) -> int:
        stop = min(len(rows), start + CHUNK)
        value = self.value
        out += [partial + (value(partial, meter),) for partial in rows[start:stop]]
        meter.step()
        return stop


Step = _Scan | _Absent | _Test | _Assign


def solutions(steps: list[Step], meter: Meter) -> Iterator[list[Partial]]:
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


def value_of(term: Expression, slots: dict[str, int]) -> tuple[bool, int | Value]:
    if isinstance(term, Constant):
        return (False, term.value)
    if isinstance(term, Variable) and term.name in slots:
        return (True, slots[term.name])
    raise EvaluationError(f"{term} is not bound where it is read")


def scan_step(atom: Atom, slots: dict[str, int], relation: Callable[[], Relation]) -> _Scan:
    positions: list[int] = []
    key_parts: list[tuple[bool, int | Value]] = []
    binds: list[int] = []
    checks: list[tuple[int, int]] = []
    first_position: dict[str, int] = {}
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Constant) or (isinstance(argument, Variable) and argument.name in slots):
            positions.append(position)
            key_parts.append(value_of(argument, slots))
        elif isinstance(argument, Variable) and not argument.is_anonymous:
            if argument.name in first_position:
                checks.append((position, first_position[argument.name]))
            else:
                first_position[argument.name] = position
                binds.append(position)
    for name in first_position:
        slots[name] = len(slots)
    return _Scan(relation, tuple(positions), key_of(key_parts), tuple(binds), tuple(checks))


def absent_step(atom: Atom, slots: dict[str, int], relation: Callable[[], Relation]) -> _Absent:
    positions: list[int] = []
    key_parts: list[tuple[bool, int | Value]] = []
    for position, argument in enumerate(atom.arguments):
        if isinstance(argument, Variable) and argument.is_anonymous:
            continue
        positions.append(position)
        key_parts.append(value_of(argument, slots))
    return _Absent(relation, tuple(positions), key_of(key_parts))


def comparison_step(literal: Comparison, slots: dict[str, int]) -> Step:
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
        slot = value_of(expression, slots)[1]
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
