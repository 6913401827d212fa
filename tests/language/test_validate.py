"""Load-time validation: each mistake has its own error naming file, line and column."""

from __future__ import annotations

import pytest

from backspasm.reasoner import KnowledgeBaseError, load_kb
from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.validate import check


def errors_of(text: str, **options: object) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        program = parse_program(text, "kb.dl")
        from backspasm.reasoner.language.validate import validate

        validate(program, **options)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def warnings_of(text: str) -> list[str]:
    return [str(p) for p in check(parse_program(text, "kb.dl")) if p.severity == "warning"]


def test_range_restriction_of_head_variables() -> None:
    assert errors_of(".input q(x: number).\np(X, Y) :- q(X).") == [
        "kb.dl:2:6: error: variable Y in the head of p is not bound by a positive body literal [range-restriction]"
    ]


def test_range_restriction_of_negated_and_compared_variables() -> None:
    assert errors_of(".input q(x: number).\n.input r(x: number).\np(X) :- q(X), not r(Y), X < Z.") == [
        "kb.dl:3:21: error: variable Y in the negation `not r(Y)` is not bound by a positive body literal "
        "[range-restriction]",
        "kb.dl:3:29: error: variable Z in the comparison `X < Z` is not bound by a positive body literal "
        "[range-restriction]",
    ]


def test_an_equality_with_one_unbound_variable_binds_it() -> None:
    kb = load_kb(text=".input taken(d: number).\nleft(D) :- taken(T), D = 21 - T.")
    with kb.session([("taken", (19,))]) as session:
        assert session.query("left", None) == [(2,)]


def test_stratification_rejects_recursion_through_negation() -> None:
    assert errors_of(".input q(x: number).\np(X) :- q(X), not r(X).\nr(X) :- q(X), not p(X).") == [
        "kb.dl:2:15: error: p/1 depends on `not r(X)` which depends back on p/1: recursion through negation "
        "cannot be stratified [stratification]",
        "kb.dl:3:15: error: r/1 depends on `not p(X)` which depends back on r/1: recursion through negation "
        "cannot be stratified [stratification]",
    ]


def test_a_predicate_has_one_arity() -> None:
    assert errors_of(".input q(x: number).\np(X) :- q(X).\ns :- p(1, 2).") == [
        "kb.dl:3:6: error: p is used here with 2 argument(s) but with 1 at kb.dl:2:1; a predicate has one arity [arity]"
    ]


def test_an_undefined_predicate_in_a_guideline_is_an_error_with_a_suggestion() -> None:
    text = "@id a\n@evidence e\n@statement Acute.\nacute :- symptom_days(D), symptom_day(D), D < 28."
    assert errors_of(".input symptom_days(d: number).\n" + text, guideline=True) == [
        "kb.dl:5:27: error: symptom_day/1 is used but never defined by a rule or fact nor declared with .input; "
        "did you mean symptom_days? [undefined]"
    ]


def test_an_undefined_predicate_in_a_program_is_a_warning_and_an_empty_relation() -> None:
    text = ".input symptom_days(d: number).\nacute :- symptom_days(D), symptom_day(D), D < 28.\n.output acute()."
    assert warnings_of(text) == [
        "kb.dl:2:27: warning: symptom_day/1 is used but never defined by a rule or fact nor declared with .input; "
        "it is read as an empty relation; did you mean symptom_days? [undefined]"
    ]
    kb = load_kb(text=text + "\nquiet :- symptom_days(D), not symptom_day(D).\n.output quiet().")
    with kb.session([("symptom_days", (3,))]) as session:
        assert not session.holds("acute")
        assert session.holds("quiet")
        assert session.query("symptom_day", None) == []


def test_an_input_predicate_cannot_also_be_defined() -> None:
    assert errors_of(".input q(x: number).\nq(1).") == [
        "kb.dl:2:1: error: q/1 is declared .input (at kb.dl:1:1) and so comes only from the input record; it "
        "cannot also be defined by a rule or fact [declaration]"
    ]


def test_duplicate_rule_ids() -> None:
    assert errors_of("@id same\np(1).\n@id same\np(2).") == [
        "kb.dl:3:1: error: @id same is already used at kb.dl:1:1; ids must be unique [duplicate-id]"
    ]


def test_guideline_rules_need_id_evidence_and_statement() -> None:
    text = ".input q(x: number).\n@id only_id\np(X) :- q(X).\n.output p(x: number)."
    assert errors_of(text, guideline=True) == [
        "kb.dl:3:1: error: rule for p has no @evidence and no @statement; every rule of a guideline knowledge "
        "base needs an id, its evidence and a one-line statement [metadata]"
    ]


def test_evidence_must_exist_in_the_registry() -> None:
    text = "@id r\n@evidence ref1, rfe2\n@statement s.\np(1)."
    assert errors_of(text, evidence_ids={"ref1", "ref2"}) == [
        "kb.dl:1:1: error: @evidence cites rfe2, which the evidence registry does not hold; did you mean ref2? "
        "[unknown-evidence]"
    ]


def test_ordering_a_symbol_is_a_type_error() -> None:
    assert errors_of(".input code(c: symbol).\np(C) :- code(C), C < 3.") == [
        "kb.dl:2:18: error: C can hold a symbol; `C < 3` needs numbers there (< <= > >= and + - * work on "
        "integers) [type]"
    ]


def test_underscore_is_not_allowed_where_a_value_is_needed() -> None:
    assert errors_of(".input q(x: number).\np(_) :- q(_).\nr :- q(X), _ < X.") == [
        "kb.dl:2:3: error: _ cannot appear in a rule head; name the variable [anonymous]",
        "kb.dl:3:12: error: _ cannot appear in a comparison; name the variable [anonymous]",
    ]


def test_facts_must_be_ground() -> None:
    assert errors_of("p(X).") == [
        "kb.dl:1:3: error: a fact cannot contain the variable X; write a constant or add a rule body [ground-fact]"
    ]


def test_every_error_is_reported_at_once() -> None:
    errors = errors_of(".input q(x: number).\np(X, Y) :- q(X).\nr :- q(1), not q(W).")
    assert [error.split(" error: ")[0] for error in errors] == ["kb.dl:2:6:", "kb.dl:3:18:"]


def test_singleton_variables_and_unread_predicates_are_warnings() -> None:
    assert warnings_of(".input q(x: number, y: number).\np(X) :- q(X, Y).") == [
        "kb.dl:2:1: warning: p/1 is defined but no rule reads it and no .output declares it [unused]",
        "kb.dl:2:14: warning: variable Y appears only once in this rule; if that is meant, write _ or _Y [singleton]",
    ]


def test_output_declarations_are_checked_against_the_rules() -> None:
    assert errors_of(".input q(x: number).\np(X) :- q(X).\n.output p(x: symbol).\n.output nothing(x: number).") == [
        "kb.dl:3:1: error: x of p is declared symbol but the rules can give it a number [type]",
        "kb.dl:4:1: error: nothing/1 is declared .output but no rule or fact defines it [declaration]",
    ]
