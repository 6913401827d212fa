"""How much an explanation costs next to the query whose answer it explains.

For a few subjects of the test guideline (tests/kbs/triage) and of the reachability
program, time in a fresh session each: the query that produces the answer, ``why`` of
one answer and ``why_not`` of an absent fact; print medians and their ratios. Figures
only, no thresholds: timing is not asserted anywhere.

    python bench/explain_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from backspasm.reasoner import KnowledgeBase, Session, load_kb
from backspasm.reasoner.explain.tracer import why, why_not
from backspasm.reasoner.language.program import Atom
from backspasm.reasoner.language.syntax import parse_query

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = ROOT / "tests" / "kbs" / "triage"
REACHABILITY = """
.input edge(from: symbol, to: symbol).
.input node(name: symbol).
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- edge(X, Y), reach(Y, Z).
unreachable(X, Y) :- node(X), node(Y), X != Y, not reach(X, Y).
"""

Record = list[tuple[str, tuple[int | str, ...]]]
Case = tuple[str, KnowledgeBase, Record, tuple[str, int], str, str]


def ring(size: int) -> Record:
    names = [f"v{index}" for index in range(size)]
    edges = [(names[index], names[(index + 1) % size]) for index in range(size)]
    edges += [(names[index], names[(index + 3) % size]) for index in range(size)]
    return [("edge", edge) for edge in edges] + [("node", (name,)) for name in names] + [("node", ("alone",))]


def cases() -> list[Case]:
    triage = load_kb(TRIAGE)
    reach = load_kb(text=REACHABILITY)
    found: list[Case] = []
    for days, taken in [(3, 0), (10, 5), (20, 12), (27, 20)]:
        record: Record = [("days", (days,)), ("taken", (taken,))]
        found.append(
            (
                f"triage days={days} taken={taken}",
                triage,
                record,
                ("offer", 2),
                f"offer(course, {21 - taken})",
                f"offer(course, {22 - taken})",
            )
        )
    for size in (10, 20):
        found.append(
            (f"reach ring of {size}", reach, ring(size), ("reach", 2), f"reach(v0, v{size - 1})", "reach(alone, v0)")
        )
    return found


def atom(text: str) -> Atom:
    [literal] = parse_query(text)
    assert isinstance(literal, Atom)
    return literal


def median_seconds(kb: KnowledgeBase, record: Record, action: Callable[[Session], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        with kb.session(record) as session:
            start = time.perf_counter()
            action(session)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _query(session: Session, predicate: str, pattern: list[None]) -> object:
    return session.query(predicate, *pattern)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    print(f"{'case':28} {'query ms':>9} {'why ms':>8} {'why/q':>6} {'whynot ms':>10} {'whynot/q':>9}")
    for name, kb, record, (predicate, arity), held, absent in cases():
        pattern, held_fact, absent_fact = [None] * arity, atom(held), atom(absent)
        query = median_seconds(kb, record, partial(_query, predicate=predicate, pattern=pattern), repeats)
        proof = median_seconds(kb, record, partial(why, atom=held_fact), repeats)
        failure = median_seconds(kb, record, partial(why_not, atom=absent_fact), repeats)
        print(
            f"{name:28} {query * 1000:9.2f} {proof * 1000:8.2f} {proof / query:6.1f} "
            f"{failure * 1000:10.2f} {failure / query:9.1f}"
        )


if __name__ == "__main__":
    main()
