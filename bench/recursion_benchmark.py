"""Recursive Datalog against clingo, in the same run: transitive closure and a points-to analysis.

    python bench/recursion_benchmark.py [--repeat 5] [--edges 1000] [--scale 1]

Two seeded programs, each answered by the engine (a session over input facts, the query
of the whole recursive relation, as ``backspasm query`` runs it) and by clingo on the
translation of ``reasoner/to_asp.py`` (grounding and solving, in-process):

* ``closure``: ``path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z).`` over a
  random graph of ``--edges`` edges on as many nodes;
* ``points-to``: an Andersen-style analysis (``new``, ``assign``, ``load``, ``store``),
  about 2 700 input facts at ``--scale 1``, once with statements mostly inside one
  method (``local``, as real code is) and once with every statement joining random
  variables (``dense``: nearly every variable points to nearly every object, a worst case).

Prints the median time of each engine, the ratio engine/clingo, and the number of facts
derived; the run fails unless both derive the same rows. Figures only: no test asserts a
time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import clingo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backspasm.reasoner import load_kb  # noqa: E402
from backspasm.reasoner.language.budget import Budget  # noqa: E402
from backspasm.reasoner.language.engine import Fact, Row  # noqa: E402
from backspasm.reasoner.language.to_asp import facts_to_asp, to_asp  # noqa: E402

CLOSURE = """
.input edge(from: number, to: number).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
.output path(from: number, to: number).
"""

POINTS_TO = """
.input new(variable: number, object: number).
.input assign(to: number, from: number).
.input load(to: number, base: number, field: number).
.input store(base: number, field: number, from: number).
% v = new O
points_to(V, O) :- new(V, O).
% v = w
points_to(V, O) :- assign(V, W), points_to(W, O).
% v = w.f
points_to(V, O) :- load(V, W, F), points_to(W, B), heap_points_to(B, F, O).
% v.f = w
heap_points_to(B, F, O) :- store(V, F, W), points_to(V, B), points_to(W, O).
.output points_to(variable: number, object: number).
"""


@dataclass(frozen=True)
class Case:
    name: str
    program: str
    facts: list[Fact]
    predicate: str


def closure_case(edges: int, rng: random.Random) -> Case:
    pairs = set()
    while len(pairs) < edges:
        pairs.add((rng.randrange(edges), rng.randrange(edges)))
    return Case(f"closure, {edges} edges", CLOSURE, [Fact("edge", pair) for pair in sorted(pairs)], "path")


def points_to_case(scale: int, rng: random.Random, local: bool) -> Case:
    """Variables in methods of 20; ``local``: 95 % of statements stay inside one method, as in real code.

    Without locality (``dense``) the assignments join almost every variable to almost every
    object: a worst case, not a typical program.
    """
    variables, objects, fields, method = 1000 * scale, 200 * scale, 8, 20
    facts: set[Fact] = set()

    def some(count: int, make: Callable[[], Fact]) -> None:
        for _ in range(count):
            facts.add(make())

    def variable() -> int:
        return rng.randrange(variables)

    def near(other: int) -> int:
        if not local or rng.random() < 0.05:
            return variable()
        return other - other % method + rng.randrange(method)

    def pair() -> tuple[int, int]:
        first = variable()
        return first, near(first)

    some(600 * scale, lambda: Fact("new", (variable(), rng.randrange(objects))))
    some(1500 * scale, lambda: Fact("assign", pair()))
    some(300 * scale, lambda: Fact("load", (*pair(), rng.randrange(fields))))
    some(300 * scale, lambda: Fact("store", (pair()[0], rng.randrange(fields), pair()[1])))
    ordered = sorted(facts, key=lambda fact: (fact.predicate, fact.arguments))
    kind = "local" if local else "dense"
    return Case(f"points-to ({kind}), {len(ordered)} facts", POINTS_TO, ordered, "points_to")


def run_engine(case: Case) -> tuple[float, list[Row]]:
    kb = load_kb(text=case.program)
    arity = next(arity for name, arity in kb.program.outputs() if name == case.predicate)
    start = time.perf_counter()
    with kb.session(case.facts, Budget(seconds=3600)) as session:
        rows = session.query(case.predicate, *([None] * arity))
    return time.perf_counter() - start, rows


def run_clingo(case: Case) -> tuple[float, list[Row]]:
    kb = load_kb(text=case.program)
    text = to_asp(kb.program) + facts_to_asp(case.facts)
    start = time.perf_counter()
    control = clingo.Control(["--warn=none"])
    control.add("base", [], text)
    control.ground([("base", [])])
    rows: list[Row] = []

    def on_model(model: clingo.Model) -> None:
        for symbol in model.symbols(atoms=True):
            if symbol.name == case.predicate:
                rows.append(tuple(argument.number for argument in symbol.arguments))

    control.solve(on_model=on_model)
    return time.perf_counter() - start, sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each engine per case (median)")
    parser.add_argument("--edges", type=int, default=1000, help="edges of the closure's random graph")
    parser.add_argument("--scale", type=int, default=1, help="size of the points-to program (1: about 2 700 facts)")
    options = parser.parse_args()
    rng = random.Random(20261203)
    cases = [
        closure_case(options.edges, rng),
        points_to_case(options.scale, rng, local=True),
        points_to_case(options.scale, rng, local=False),
    ]
    print("| case | engine median | clingo median | engine/clingo | facts derived | same rows |")
    print("|---|---:|---:|---:|---:|---|")
    failed = False
    for case in cases:
        engine_times, clingo_times = [], []
        engine_rows: list[Row] = []
        clingo_rows: list[Row] = []
        for _ in range(options.repeat):
            elapsed, engine_rows = run_engine(case)
            engine_times.append(elapsed)
            elapsed, clingo_rows = run_clingo(case)
            clingo_times.append(elapsed)
        engine_median, clingo_median = statistics.median(engine_times), statistics.median(clingo_times)
        same = sorted(engine_rows) == clingo_rows
        failed |= not same
        print(
            f"| {case.name} | {engine_median * 1000:.0f} ms | {clingo_median * 1000:.0f} ms "
            f"| {engine_median / clingo_median:.1f}x | {len(engine_rows)} | {'yes' if same else 'NO'} |"
        )
    if failed:
        sys.exit("the engine and clingo derived different rows")


if __name__ == "__main__":
    main()
