"""Literals that pyDatalog resolves by calling back into Python: budget checks and arithmetic.

pyDatalog's engine is compiled (Cython) and offers no hook inside its resolution loop, but
it resolves a predicate listed in ``pyEngine.Python_resolvers`` by calling a Python
function with the literal's terms. The engine uses that for two things:

* **checkpoints**: ``budget step(V1, ..., Vn)`` after every positive body atom past the
  first and ``budget fact(Rule, V1, ..., Vn)`` at the end of every body, with the
  variables bound so far, so every partial join row and every derived row passes through
  :meth:`.budget.Meter.step` or :meth:`~.budget.Meter.derived`;
* **arithmetic**: ``arith +(Left, Right, Result)`` (and ``-``, ``*``) instead of
  pyDatalog's own operations, so the result's size is checked before it is computed and
  an error is raised, never turned into a data value (pyDatalog's ``Operation`` catches
  every exception, MemoryError included, and returns it as a constant).

The predicate names contain a space, which no program can spell, so registering them in
pyDatalog's process-wide table changes nothing for other pyDatalog users.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyDatalog import pyEngine

from ..errors import EvaluationError
from . import budget

STEP = "budget step"
FACT = "budget fact"
ARITHMETIC = "arith {operator}"

_registered: set[str] = set()


def _step(*terms: Any) -> Iterator[tuple[Any, ...]]:
    budget.current().step()
    yield tuple(term.id for term in terms)


def _fact(*terms: Any) -> Iterator[tuple[Any, ...]]:
    budget.current().derived()
    yield tuple(term.id for term in terms)


def _arithmetic(operator: str) -> Any:
    def resolve(left: Any, right: Any, result: Any) -> Iterator[tuple[Any, ...]]:
        if not (left.is_const() and right.is_const()):
            raise EvaluationError(f"an operand of {operator} is unbound; the rule's body order is wrong")
        if not (_is_integer(left.id) and _is_integer(right.id)):
            raise EvaluationError(f"{left.id!r} {operator} {right.id!r}: arithmetic needs two integers")
        yield (left.id, right.id, budget.current().compute(operator, left.id, right.id))

    return resolve


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _register(name: str, arity: int, resolver: Any) -> str:
    key = f"{name}/{arity}"
    if key not in _registered:
        pyEngine.Python_resolvers[key] = resolver
        _registered.add(key)
    return name


def step_literal(terms: list[Any]) -> Any:
    """A checkpoint for one unit of join work, given the terms bound so far."""
    return pyEngine.Literal(_register(STEP, len(terms), _step), terms)


def fact_literal(rule: int, terms: list[Any]) -> Any:
    """A checkpoint for one derived row of rule number ``rule``."""
    all_terms = [pyEngine.Const(rule), *terms]
    return pyEngine.Literal(_register(FACT, len(all_terms), _fact), all_terms)


def arithmetic_literal(operator: str, left: Any, right: Any, result: Any) -> Any:
    """``result = left operator right``, computed under the query's budget."""
    name = ARITHMETIC.format(operator=operator)
    return pyEngine.Literal(_register(name, 3, _arithmetic(operator)), [left, right, result])
