"""How long each runaway program takes to stop at the default query budget.

    python bench/budget_stops.py [--seconds 60] [--facts 1000000] [--digits 1000]

Each program would run for minutes or exhaust memory without a budget (issue: "Datalog
resource limits are incomplete"). Prints, per program, the limit that stopped it (or the
answer) and the wall-clock time from opening the session to the error. Figures only; the
tests (tests/test_budget.py) assert the errors with small limits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backspasm.reasoner import load_kb  # noqa: E402
from backspasm.reasoner.errors import ReasonerError  # noqa: E402
from backspasm.reasoner.language.budget import Budget, BudgetExceeded  # noqa: E402

SIXTY = [("f", (number,)) for number in range(60)]
PROGRAMS: list[tuple[str, str, list[tuple[str, tuple[int, ...]]], str, int]] = [
    (
        "n(Z) :- n(X), n(Y), Z = X + Y (recursive)",
        ".input start(n: number).\nn(X) :- start(X).\nn(Z) :- n(X), n(Y), Z = X + Y.",
        [("start", (1,))],
        "n",
        1,
    ),
    (
        "4-way cross product of 60 facts",
        ".input f(n: number).\np(A, B, C, D) :- f(A), f(B), f(C), f(D).",
        SIXTY,
        "p",
        4,
    ),
    (
        "4-way cross product deriving nothing",
        ".input f(n: number).\np(A) :- f(A), f(B), f(C), f(D), A + B + C + D < 0.",
        SIXTY,
        "p",
        1,
    ),
    (
        "squaring, recursive",
        ".input start(n: number).\nn(X) :- start(X).\nn(Y) :- n(X), Y = X * X.",
        [("start", (2,))],
        "n",
        1,
    ),
    (
        "squaring, 40 non-recursive rules",
        ".input start(n: number).\ns0(X) :- start(X).\n"
        + "".join(f"s{i + 1}(Y) :- s{i}(X), Y = X * X.\n" for i in range(40)),
        [("start", (3,))],
        "s40",
        1,
    ),
    (
        "300-literal body over 2 facts",
        ".input f(n: number).\np(X0) :- " + ", ".join(f"f(X{i})" for i in range(300)) + ".",
        [("f", (1,)), ("f", (2,))],
        "p",
        1,
    ),
    ("20 000-term sum", "p(X) :- X = " + " + ".join(["1"] * 20_000) + ".", [], "p", 1),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Budget()
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--facts", type=int, default=defaults.facts)
    parser.add_argument("--digits", type=int, default=defaults.digits)
    options = parser.parse_args()
    budget = Budget(options.seconds, options.facts, options.digits)
    print(f"budget: {budget.seconds:g} s, {budget.facts} facts, {budget.digits} digits")
    print("| program | stopped by | time to stop |")
    print("|---|---|---:|")
    for name, text, facts, predicate, arity in PROGRAMS:
        start = time.perf_counter()
        try:
            kb = load_kb(text=text)
            with kb.session(facts, budget) as session:
                rows = session.query(predicate, *([None] * arity))
            outcome = f"answered ({len(rows)} rows)"
        except BudgetExceeded as error:
            outcome = f"{error.limit} limit"
        except ReasonerError as error:
            outcome = f"{type(error).__name__}: {str(error)[:60]}"
        print(f"| {name} | {outcome} | {time.perf_counter() - start:.1f} s |")


if __name__ == "__main__":
    main()
