"""Rules as pyDatalog clauses: the budget's checkpoints where the engine relies on them, and queries
of predicates the program does not have refused with what it has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

from backspasm.reasoner.errors import QueryError
from backspasm.reasoner.language import checkpoints
from backspasm.reasoner.language.binding import plan_body
from backspasm.reasoner.language.program import Atom, Variable
from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.to_pydatalog import Compiler

PROGRAM = parse_program(".input edge(a: symbol, b: symbol). two(X, Z) :- edge(X, Y), edge(Y, Z).")


def predicates_of(clause: Any) -> list[str]:
    return [literal.pred.name for literal in clause.body]


@pytest.fixture
def compiler() -> Iterator[Compiler]:
    """A compiler with a fresh pyDatalog ``Logic`` active (literals are made in one), restored after."""
    previous = getattr(Logic.tl, "logic", None)
    Logic.tl.logic = object.__new__(Logic)
    pyEngine.clear()
    try:
        yield Compiler(dict.fromkeys([("edge", 2), ("two", 2)]))
    finally:
        if previous is None:
            del Logic.tl.logic
        else:
            Logic.tl.logic = previous


def test_a_rule_checks_the_budget_after_its_second_atom_and_for_each_row_it_derives(compiler: Compiler) -> None:
    [rule] = PROGRAM.rules
    clause = compiler.clause(rule.head, plan_body(rule.body).order, 0)
    names = predicates_of(clause)
    assert names[0] == names[1] == "edge"
    assert names[2].startswith(checkpoints.STEP) and names[3].startswith(checkpoints.FACT)
    assert len(names) == 4


def test_an_unknown_predicate_or_arity_is_a_query_error_naming_what_there_is(compiler: Compiler) -> None:
    with pytest.raises(QueryError, match="edge takes 2 argument"):
        compiler.atom(Atom("edge", (Variable("X"),)), {})
    with pytest.raises(QueryError, match="path is not a predicate of this program"):
        compiler.atom(Atom("path", (Variable("X"), Variable("Y"))), {})
