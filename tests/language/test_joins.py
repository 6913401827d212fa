"""Join steps over hash-indexed relations: every solution once, across chunk boundaries, under the budget."""

from __future__ import annotations

import pytest

from backspasm.reasoner.language.binding import plan_body
from backspasm.reasoner.language.budget import Budget, BudgetExceeded, Meter
from backspasm.reasoner.language.joins import (
    CHUNK,
    Relation,
    Step,
    absent_step,
    comparison_step,
    scan_step,
    solutions,
)
from backspasm.reasoner.language.program import Atom, Negation
from backspasm.reasoner.language.syntax import parse_query

CHAIN = Relation((number, number + 1) for number in range(3 * CHUNK))


def steps_of(query: str, relations: dict[str, Relation]) -> tuple[list[Step], dict[str, int]]:
    slots: dict[str, int] = {}
    steps: list[Step] = []
    for literal in plan_body(parse_query(query)).order:
        if isinstance(literal, Atom):
            steps.append(scan_step(literal, slots, lambda key=literal.predicate: relations[key]))
        elif isinstance(literal, Negation):
            steps.append(absent_step(literal.atom, slots, lambda key=literal.atom.predicate: relations[key]))
        else:
            steps.append(comparison_step(literal, slots))
    return steps, slots


def rows_of(query: str, relations: dict[str, Relation], budget: Budget | None = None) -> list[tuple[object, ...]]:
    steps, _ = steps_of(query, relations)
    meter = Meter(budget or Budget())
    return [row for chunk in solutions(steps, meter) for row in chunk]


def test_a_join_past_several_chunks_finds_every_solution_once() -> None:
    rows = rows_of("edge(X, Y), edge(Y, Z)", {"edge": CHAIN})
    assert len(rows) == len(set(rows)) == 3 * CHUNK - 1
    assert (0, 1, 2) in rows and (3 * CHUNK - 2, 3 * CHUNK - 1, 3 * CHUNK) in rows


def test_a_bound_position_is_looked_up_in_the_index_and_tests_filter() -> None:
    assert rows_of("edge(X, Y), edge(Y, Z), X < 3", {"edge": CHAIN}) == [(0, 1, 2), (1, 2, 3), (2, 3, 4)]
    assert CHAIN.index((0,))[5] == [(5, 6)]


def test_not_keeps_the_rows_with_no_match() -> None:
    relations = {"edge": Relation([(1, 2), (2, 3), (3, 1), (4, 5)]), "seen": Relation([(2,), (3,)])}
    assert sorted(rows_of("edge(X, Y), not seen(Y)", relations)) == [(3, 1), (4, 5)]


def test_the_budget_stops_a_join_in_the_middle() -> None:
    with pytest.raises(BudgetExceeded):
        rows_of("edge(X, Y), edge(A, B)", {"edge": CHAIN}, Budget(seconds=0.000001))
