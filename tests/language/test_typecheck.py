"""The ``type`` check: argument types inferred through rules and facts; numbers where ordering needs them."""

from __future__ import annotations

from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.typecheck import check_types, infer_types


def test_types_are_inferred_through_rules_and_facts() -> None:
    program = parse_program(".input d(n: number).\nlimit(21).\nleft(X) :- d(D), limit(L), X = L - D.")
    types = infer_types(program)
    assert types[(("left", 1), 0)] == {"number"}
    assert types[(("limit", 1), 0)] == {"number"}


def test_an_output_declared_number_that_the_rules_can_make_a_symbol_is_an_error() -> None:
    program = parse_program(".input c(x: symbol).\n.output o(v: number).\no(X) :- c(X).", "kb.dl")
    assert [str(problem) for problem in check_types(program)] == [
        "kb.dl:2:1: error: v of o is declared number but the rules can give it a symbol [type]"
    ]


def test_arithmetic_on_a_symbol_constant_is_an_error_at_the_operand() -> None:
    program = parse_program(".input d(n: number).\np(X) :- d(D), X = D + a.", "kb.dl")
    [problem] = check_types(program)
    assert problem.check == "type" and "a is a symbol" in problem.message
