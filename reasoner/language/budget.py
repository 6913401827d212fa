"""A resource budget for every query: time, derived facts and integer size.

A Datalog program from a user can ask for unbounded work: ``n(Z) :- n(X), n(Y), Z = X + Y``
never reaches a fixpoint, a cross product of a few relations has billions of rows, and
squaring rules grow integers until memory runs out. Every query therefore runs under a
:class:`Budget`, and the evaluation checks it *while it works*, not after a round:

* the semi-naive evaluator of recursive components (``.seminaive``) checks at
  every join step and every new fact;
* in rules pyDatalog evaluates, the engine inserts checkpoint literals (after every
  positive atom past the first, and at the end of every body) that pyDatalog resolves by
  calling :func:`checkpoint`; arithmetic is computed by :func:`arithmetic`, which checks
  the size of the result *before* computing it, so no operation can exhaust memory and
  pyDatalog never turns an error inside an operation into a data value.

Going past a limit raises :class:`BudgetExceeded`, whose message names the limit and how
to raise it. The meter is thread-local: each thread evaluates its own queries.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import EvaluationError

DEFAULT_SECONDS = 60.0
DEFAULT_FACTS = 1_000_000
DEFAULT_DIGITS = 1_000

_BITS_PER_DIGIT = math.log2(10)


@dataclass(frozen=True)
class Budget:
    """The most one query may spend. Raise a limit with ``Budget(facts=5_000_000)``.

    ``seconds``: wall-clock time of the query. ``facts``: facts derived by rules (each
    distinct fact of a recursive component, each distinct rule-body solution elsewhere).
    ``digits``: decimal digits of any integer the query computes.
    """

    seconds: float = DEFAULT_SECONDS
    facts: int = DEFAULT_FACTS
    digits: int = DEFAULT_DIGITS

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"a budget's seconds must be positive, not {self.seconds!r}")
        for name in ("facts", "digits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"a budget's {name} must be a positive integer, not {value!r}")


LIMITS = {
    "seconds": ("--max-seconds", "seconds"),
    "facts": ("--max-facts", "facts"),
    "digits": ("--max-digits", "digits"),
}
"""Each limit's command-line option and :class:`Budget` field, named in every error."""


class BudgetExceeded(EvaluationError):
    """A query went past one limit of its budget; ``limit`` names it (seconds, facts or digits)."""

    def __init__(self, limit: str, detail: str) -> None:
        option, field_name = LIMITS[limit]
        super().__init__(
            f"the query stopped: {detail}; raise the limit with {option} on the command line "
            f"or Budget({field_name}=...) in the API"
        )
        self.limit = limit


_default = Budget()
_local = threading.local()


def default_budget() -> Budget:
    """The budget of a query that names none; the command line's options change it."""
    return _default


def set_default_budget(budget: Budget) -> None:
    """Make ``budget`` the default for every later query of this process."""
    global _default
    _default = budget


class Meter:
    """What one query has spent so far, against its budget."""

    __slots__ = ("budget", "deadline", "facts", "max_bits")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds
        self.facts = 0
        self.max_bits = math.ceil(budget.digits * _BITS_PER_DIGIT)

    def step(self) -> None:
        """One unit of join work: check the clock."""
        if time.monotonic() > self.deadline:
            raise BudgetExceeded("seconds", f"it ran past its time limit of {self.budget.seconds:g} seconds")

    def derived(self, count: int = 1) -> None:
        """``count`` new facts: check the fact limit and the clock."""
        self.facts += count
        if self.facts > self.budget.facts:
            raise BudgetExceeded("facts", f"it derived more than {self.budget.facts} facts, its limit")
        self.step()

    def compute(self, operator: str, left: int, right: int) -> int:
        """``left operator right``, refused before it is computed when the result would be too large.

        Operands are already within the limit, so a sum or difference is cheap to compute
        and check; a product's size is known from its operands' before any work is done.
        """
        if operator == "*":
            if left.bit_length() + right.bit_length() - 1 > self.max_bits:
                raise self._too_large()
            result = left * right
        elif operator == "+":
            result = left + right
        else:
            result = left - right
        return self.check_integer(result)

    def check_integer(self, value: int) -> int:
        if value.bit_length() > self.max_bits:
            raise self._too_large()
        return value

    def _too_large(self) -> BudgetExceeded:
        return BudgetExceeded("digits", f"an integer would grow past {self.budget.digits} digits, its limit")


def current() -> Meter:
    """The meter of the query running in this thread."""
    meter: Meter | None = getattr(_local, "meter", None)
    if meter is None:
        raise EvaluationError("a budget checkpoint was reached outside a query")
    return meter


@contextmanager
def metered(budget: Budget | None) -> Iterator[Meter]:
    """Run one query under ``budget`` (the default when None) in this thread."""
    previous: Meter | None = getattr(_local, "meter", None)
    meter = Meter(budget or _default)
    _local.meter = meter
    try:
        yield meter
    finally:
        _local.meter = previous
