"""Evaluation on pyDatalog: full models, recursion, negation, arithmetic and queries."""

from __future__ import annotations

import re

import pytest

from backspasm.reasoner import QueryError, load_kb
from backspasm.reasoner.language.budget import Budget, BudgetExceeded
from backspasm.reasoner.language.program import Atom, Constant, Variable
from tests.programs import REACHABILITY

EDGES = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f")]
NODES = ["a", "b", "c", "d", "e", "f", "g"]


def reachability_facts() -> list[tuple[str, tuple[str, ...]]]:
    return [("edge", edge) for edge in EDGES] + [("node", (node,)) for node in NODES]


def test_recursive_program_with_stratified_negation_has_its_full_model() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(reachability_facts()) as session:
        cycle = ["a", "b", "c"]
        assert session.query("reach", None, None) == sorted(
            [(x, y) for x in cycle for y in [*cycle, "d"]] + [("e", "f")]
        )
        assert session.query("on_cycle", None) == [("a",), ("b",), ("c",)]
        assert session.query("isolated", None) == [("g",)]
        reach = set(session.query("reach", None, None))
        expected_unreachable = sorted((x, y) for x in NODES for y in NODES if x != y and (x, y) not in reach)
        assert session.query("unreachable", None, None) == expected_unreachable


def test_mutual_recursion_and_negation_above_it() -> None:
    kb = load_kb(
        text="""
        .input edge(a: symbol, b: symbol).
        odd(X, Y) :- edge(X, Y).
        odd(X, Z) :- edge(X, Y), even(Y, Z).
        even(X, Z) :- edge(X, Y), odd(Y, Z).
        no_even_loop(X) :- edge(X, _), not even(X, X).
        .output no_even_loop(x: symbol).
        """
    )
    with kb.session([("edge", pair) for pair in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")]]) as s:
        assert s.query("no_even_loop", None) == [("d",)]
        assert s.query("even", "a", None) == [("a", "a"), ("a", "b"), ("a", "c"), ("a", "d"), ("a", "e")]


def test_recursion_that_never_ends_is_stopped_by_the_fact_budget() -> None:
    kb = load_kb(text=".input start(n: number).\nn(X) :- start(X).\nn(Y) :- n(X), Y = X + 1.\n.output n(x: number).")
    with (
        kb.session([("start", (0,))], Budget(facts=500)) as session,
        pytest.raises(BudgetExceeded, match="--max-facts"),
    ):
        session.query("n", None)


def test_anonymous_variable_inside_negation_means_no_tuple_at_all() -> None:
    kb = load_kb(
        text=".input p(a: symbol, b: symbol).\n.input q(a: symbol).\nlonely(X) :- q(X), not p(X, _).\n"
        ".output lonely(a: symbol)."
    )
    with kb.session([("q", ("x",)), ("q", ("y",)), ("p", ("x", "anything"))]) as session:
        assert session.query("lonely", None) == [("y",)]


def test_each_anonymous_variable_is_distinct() -> None:
    kb = load_kb(text=".input p(a: symbol, b: symbol).\nany :- p(_, _).\n.output any().")
    with kb.session([("p", ("x", "y"))]) as session:
        assert session.holds("any")


def test_arithmetic_in_comparisons_and_assignment() -> None:
    kb = load_kb(
        text=".input taken(d: number).\n"
        "course(D) :- taken(T), D = 7, T + D <= 21.\n"
        "course(D) :- taken(T), T + 7 > 21, D = 21 - T, D > 0.\n"
        ".output course(d: number)."
    )
    for taken, expected in [(0, [(7,)]), (14, [(7,)]), (15, [(6,)]), (20, [(1,)]), (21, []), (30, [])]:
        with kb.session([("taken", (taken,))]) as session:
            assert session.query("course", None) == expected, taken


def test_queries_bind_some_arguments_and_return_sorted_plain_values() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(reachability_facts()) as session:
        assert session.query("reach", "c", None) == [("c", "a"), ("c", "b"), ("c", "c"), ("c", "d")]
        assert session.holds("reach", "a", "d")
        assert not session.holds("reach", "d", "a")
        assert session.ask("reach(a, X), not on_cycle(X)") == [{"X": "d"}]
        assert session.ask("node(X), X != a, not reach(X, a), not isolated(X)") == [
            {"X": "d"},
            {"X": "e"},
            {"X": "f"},
        ]


def test_numbers_sort_before_symbols_and_a_quoted_number_stays_a_symbol() -> None:
    kb = load_kb(text='v(b). v(10). v(2). v(a). v("10").')
    with kb.session() as session:
        assert session.query("v", None) == [(2,), (10,), ("10",), ("a",), ("b",)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("reach(a)", "reach takes 2 argument(s), not 1"),
        ("rech(a, X)", "rech is not a predicate of this program"),
        ("reach(a, X), X < Y", "variable Y in the comparison `X < Y` is not bound by a positive body literal"),
    ],
)
def test_bad_queries_get_a_clear_error(query: str, message: str) -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(reachability_facts()) as session, pytest.raises(QueryError, match=re.escape(message)):
        session.ask(query)


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        (("edge", ("a",)), "edge/1 is not an input predicate of this program; declared inputs: edge/2, node/1"),
        (("reach", ("a", "b")), "reach/2 is not an input predicate"),
        (("node", (3,)), "node: name must be a symbol, not int 3"),
        (("edge", ("a", True)), "edge: to must be a symbol, not bool True"),
    ],
)
def test_input_facts_are_checked_against_the_declarations(fact: tuple[str, tuple[object, ...]], message: str) -> None:
    kb = load_kb(text=REACHABILITY)
    with pytest.raises(QueryError, match=re.escape(message)):
        kb.session([fact])  # type: ignore[list-item]


def test_a_closed_session_answers_nothing() -> None:
    kb = load_kb(text=REACHABILITY)
    session = kb.session(reachability_facts())
    session.close()
    with pytest.raises(QueryError, match="closed"):
        session.query("reach", None, None)


def test_a_query_that_compares_a_symbol_is_refused_before_evaluation() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(reachability_facts()) as session, pytest.raises(QueryError, match="X can hold a symbol"):
        session.ask("node(X), X > 3")


def test_a_query_can_say_which_rule_gives_each_row() -> None:
    kb = load_kb(text=REACHABILITY)
    rules = kb.program.rules
    with kb.session(reachability_facts()) as session:
        derivations = kb.engine.solve_by_rule(session.facts, kb.program.rules[0].head.__class__("reach", ()))
        assert derivations == []  # no such predicate/arity
        by_rule = kb.engine.solve_by_rule(session.facts, session_atom("reach", "c", None))
    assert {(str(rules[index].head), row) for index, row in by_rule} == {
        ("reach(X, Y)", ("c", "a")),
        ("reach(X, Y)", ("c", "d")),
        ("reach(X, Z)", ("c", "a")),
        ("reach(X, Z)", ("c", "b")),
        ("reach(X, Z)", ("c", "c")),
        ("reach(X, Z)", ("c", "d")),
    }


def session_atom(predicate: str, *arguments: str | None) -> Atom:
    return Atom(predicate, tuple(Variable("_") if a is None else Constant(a) for a in arguments))


def test_arithmetic_of_constants_is_computed() -> None:
    kb = load_kb(
        text=".input q(x: number).\nyes :- q(_), 3 + 4 > 5.\nno :- q(_), 2 * 2 = 5.\nsix(X) :- q(_), X = 2 * 3.\n"
        ".output yes().\n.output no().\n.output six(x: number)."
    )
    with kb.session([("q", (1,))]) as session:
        assert session.holds("yes")
        assert not session.holds("no")
        assert session.query("six", None) == [(6,)]
