"""Why a fact does not hold: each rule's first failing literal, and why it fails."""

from __future__ import annotations

from backspasm.reasoner import load_kb
from backspasm.reasoner.explain.explanation import Attempt, WhyNot
from backspasm.reasoner.explain.tracer import why_not
from backspasm.reasoner.language.engine import Fact
from tests.explaining import EDGES, TRIAGE_KB, fact, graph
from tests.programs import REACHABILITY


def only_attempt(explanation: WhyNot) -> Attempt:
    [attempt] = explanation.attempts
    return attempt


def test_a_missing_input_fact_is_named_with_the_values_looked_for() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("taken", (5,))]) as session:
        explanation = why_not(session, fact("phase(early)"))
        assert explanation.kind == "rules-fail"
        attempt = only_attempt(explanation)
        assert attempt.rule.rule_id == "phase_early"
        assert str(attempt.literal) == "days(D)"
        [failure] = attempt.failures
        assert (failure.reason, str(failure.instantiated)) == ("missing-input", "days(D)")


def test_a_false_comparison_is_shown_with_its_values() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (40,))]) as session:
        attempt = only_attempt(why_not(session, fact("phase(early)")))
        assert str(attempt.literal) == "D < 28"
        [failure] = attempt.failures
        assert (failure.reason, str(failure.instantiated), failure.bindings) == (
            "false-comparison",
            "40 < 28",
            (("D", 40),),
        )


def test_a_false_comparison_is_shown_for_the_first_few_bindings_and_the_rest_are_counted() -> None:
    kb = load_kb(text=".input n(x: number).\nbig :- n(X), X > 100.")
    with kb.session([("n", (value,)) for value in range(1, 6)]) as session:
        attempt = only_attempt(why_not(session, fact("big")))
        assert [str(failure.instantiated) for failure in attempt.failures] == ["1 > 100", "2 > 100", "3 > 100"]
        assert attempt.more == 2


def test_a_negated_literal_whose_positive_form_holds_comes_with_that_proof() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,)), ("taken", (5,)), ("flag", ("fever",))]) as session:
        attempt = only_attempt(why_not(session, fact("offer(course, 16)")))
        assert str(attempt.literal) == "not blocked"
        [failure] = attempt.failures
        assert failure.reason == "negation-holds"
        assert failure.proof is not None
        assert failure.proof.rule is not None and failure.proof.rule.rule_id == "blocked_by_flag"
        assert [str(step.fact) for step in failure.proof.steps] == ["flag(fever)"]  # type: ignore[union-attr]


def test_a_derived_atom_that_does_not_hold_is_explained_in_turn() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (40,)), ("taken", (5,))]) as session:
        attempt = only_attempt(why_not(session, fact("offer(course, 16)")))
        assert str(attempt.literal) == "phase(early)"
        [failure] = attempt.failures
        assert failure.reason == "not-derived"
        assert failure.why_not is not None
        inner = only_attempt(failure.why_not)
        assert (inner.rule.rule_id, str(inner.failures[0].instantiated)) == ("phase_early", "40 < 28")


def test_the_head_values_are_in_place_before_the_body_is_tried() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,)), ("taken", (5,))]) as session:
        attempt = only_attempt(why_not(session, fact("offer(course, 15)")))
        assert attempt.bindings == (("R", 15),)
        assert str(attempt.literal) == "remaining(R)"
        assert attempt.failures[0].why_not is not None
        inner = only_attempt(attempt.failures[0].why_not)
        assert (str(inner.literal), str(inner.failures[0].instantiated)) == ("R = 21 - T", "15 = 21 - 5")


def test_when_no_rule_head_unifies_the_rules_about_the_same_subject_are_cited() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,))]) as session:
        explanation = why_not(session, fact("item(tens, recommend)"))
        assert explanation.kind == "no-rule"
        assert explanation.attempts == ()
        assert [rule.rule_id for rule in explanation.related] == ["item_tens"]
        assert kb.evidence[explanation.related[0].metadata.evidence[0]].direction == "against"


def test_an_input_fact_that_is_absent_is_not_in_the_record_and_the_record_is_shown() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,))]) as session:
        explanation = why_not(session, fact("days(30)"))
        assert (explanation.kind, explanation.record) == ("not-in-record", (Fact("days", (10,)),))


def test_a_fact_that_holds_says_so() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,))]) as session:
        assert why_not(session, fact("phase(early)")).holds


def test_every_rule_that_could_derive_the_fact_is_tried() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(EDGES)) as session:
        explanation = why_not(session, fact("reach(d, a)"))
        assert [(str(attempt.rule), str(attempt.literal)) for attempt in explanation.attempts] == [
            ("reach(X, Y) :- edge(X, Y).", "edge(X, Y)"),
            ("reach(X, Z) :- edge(X, Y), reach(Y, Z).", "edge(X, Y)"),
        ]


def test_recursive_why_not_stops_at_cycles_and_at_the_depth_limit() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(EDGES)) as session:
        explanation = why_not(session, fact("reach(a, e)"), depth=10)
        kinds = _kinds(explanation)
        assert "cycle" in kinds
        shallow = why_not(session, fact("reach(a, e)"), depth=1)
        assert "depth-limit" in _kinds(shallow)


def _kinds(explanation: WhyNot) -> set[str]:
    kinds = {explanation.kind}
    for attempt in explanation.attempts:
        for failure in attempt.failures:
            if failure.why_not is not None:
                kinds |= _kinds(failure.why_not)
    return kinds


def test_a_pattern_with_variables_means_no_fact_of_that_shape() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("taken", (25,))]) as session:
        attempt = only_attempt(why_not(session, fact("remaining(R)")))
        assert attempt.bindings == ()
        assert [(failure.reason, str(failure.instantiated)) for failure in attempt.failures] == [
            ("false-comparison", "-4 > 0")
        ]


def test_a_variable_repeated_in_the_pattern_must_take_one_value() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph([("a", "b"), ("b", "c")], ["a", "b", "c"])) as session:
        explanation = why_not(session, fact("reach(X, X)"))
        direct = explanation.attempts[0]
        assert str(direct.literal) == "X = Y"
        assert [str(failure.instantiated) for failure in direct.failures] == ["a = b", "b = c"]
