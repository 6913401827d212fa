"""The knowledge-base language: what parses, into what, and how syntax errors read."""

from __future__ import annotations

import pytest

from backspasm.reasoner.language.program import (
    Arithmetic,
    Atom,
    Comparison,
    Constant,
    Declaration,
    Negation,
    Parameter,
    Variable,
)
from backspasm.reasoner.language.syntax import parse_program, parse_query
from tests.programs import only_rule, syntax_error


def test_a_fact_has_bare_quoted_and_integer_constants() -> None:
    rule = only_rule('dose(cyclobenzaprine, "5 mg three times a day", -3, 10).')
    assert rule.is_fact
    assert rule.head == Atom(
        "dose",
        (Constant("cyclobenzaprine"), Constant("5 mg three times a day"), Constant(-3), Constant(10)),
    )


def test_bare_and_quoted_symbols_are_the_same_value() -> None:
    assert only_rule("p(acute).").head == only_rule('p("acute").').head


def test_a_rule_body_holds_atoms_negations_and_comparisons_with_arithmetic() -> None:
    rule = only_rule("left(D) :- taken(T), not stopped, T + D <= 21, D = 21 - T * 1.")
    assert rule.body == (
        Atom("taken", (Variable("T"),)),
        Negation(Atom("stopped")),
        Comparison(Arithmetic(Variable("T"), "+", Variable("D")), "<=", Constant(21)),
        Comparison(Variable("D"), "=", Arithmetic(Constant(21), "-", Arithmetic(Variable("T"), "*", Constant(1)))),
    )


def test_multiplication_binds_tighter_than_addition_and_parentheses_group() -> None:
    rule = only_rule("p :- q(X), X = (1 + 2) * 3 - 4.")
    comparison = rule.body[1]
    assert isinstance(comparison, Comparison)
    assert comparison.right == Arithmetic(
        Arithmetic(Arithmetic(Constant(1), "+", Constant(2)), "*", Constant(3)), "-", Constant(4)
    )


def test_percent_starts_a_comment_outside_strings_and_annotations() -> None:
    program = parse_program('% a comment\np("100 %"). % another\n')
    assert program.rules[0].head.arguments == (Constant("100 %"),)


def test_declarations_give_the_interface_with_types() -> None:
    program = parse_program(".input symptom_days(days: number).\n.output phase(name: symbol).")
    assert program.declarations == (
        Declaration("input", "symptom_days", (Parameter("days", "number"),)),
        Declaration("output", "phase", (Parameter("name", "symbol"),)),
    )


def test_positions_point_at_file_line_and_column() -> None:
    program = parse_program("\n  p(X) :- q(X),\n      X > 3.\n", "kb.dl")
    rule = program.rules[0]
    assert str(rule.position) == "kb.dl:2:3"
    assert str(rule.body[1].position) == "kb.dl:3:7"


def test_a_query_is_a_body_with_an_optional_full_stop() -> None:
    assert parse_query("item(C, K), not skip(C)") == parse_query("item(C, K), not skip(C).")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p(X) :- q(X)", "kb.dl:1:12: error: syntax error: unexpected end of input; expected ',' or '.'"),
        ("p(x) q(y).", "kb.dl:1:6: error: syntax error: unexpected 'q'; expected '.' or ':-'"),
        ("P(x).", "kb.dl:1:1: error: syntax error: unexpected 'P'"),
        ("p(x) :- q(x), X < .", "kb.dl:1:19: error: syntax error: unexpected '.'"),
        ("p(x) :- q(x) $ r.", "kb.dl:1:14: error: syntax error: unexpected '$'"),
    ],
)
def test_syntax_errors_name_file_line_column_and_what_was_expected(text: str, expected: str) -> None:
    message = syntax_error(text)
    assert message.startswith(expected)
    assert "expected" in message
