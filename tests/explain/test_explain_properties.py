"""Properties over generated subjects: every answer has a proof that checks, every why-not is true."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings

from backspasm.reasoner import KnowledgeBase, Session, load_kb
from backspasm.reasoner.explain.explanation import Attempt, WhyNot
from backspasm.reasoner.explain.instantiate import atom_values, ground_atom, value_equalities
from backspasm.reasoner.explain.tracer import check_proof, why, why_not
from backspasm.reasoner.language.program import Atom
from tests.explaining import TRIAGE_KB, fact
from tests.strategies import Facts, subjects

CANDIDATES = [
    "offer(course, 1)",
    "offer(course, 16)",
    "offer(course, 21)",
    "offer(refer, 0)",
    "item(heat, recommend)",
    "item(tens, recommend)",
    "phase(early)",
    "phase(late)",
    "blocked",
]

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def triage_kb() -> KnowledgeBase:
    return load_kb(TRIAGE_KB)


@PROPERTY_SETTINGS
@given(subjects())
def test_every_derived_output_fact_has_a_proof_that_checks(record: Facts) -> None:
    kb = triage_kb()
    with kb.session(record) as session:
        for predicate, arity in kb.program.outputs():
            for row in session.query(predicate, *[None] * arity):
                [proof] = why(session, ground_atom(predicate, row))
                assert check_proof(session, proof, require_evidence=True, evidence=kb.evidence) == []


@PROPERTY_SETTINGS
@given(subjects())
def test_all_proofs_of_an_answer_check_and_come_smallest_first(record: Facts) -> None:
    with triage_kb().session(record) as session:
        for row in session.query("offer", None, None):
            proofs = why(session, ground_atom("offer", row), all_proofs=True, limit=3)
            assert proofs == why(session, ground_atom("offer", row))[:1] + proofs[1:]
            assert [proof.size for proof in proofs] == sorted(proof.size for proof in proofs)
            assert all(check_proof(session, proof) == [] for proof in proofs)


@PROPERTY_SETTINGS
@given(subjects())
def test_every_why_not_names_failing_literals_that_are_false_for_the_subject(record: Facts) -> None:
    with triage_kb().session(record) as session:
        for text in CANDIDATES:
            explanation = why_not(session, fact(text))
            atom = fact(text)
            assert explanation.holds == session.holds(atom.predicate, *atom_values(atom))
            assert_failures_are_false(session, explanation)


def assert_failures_are_false(session: Session, explanation: WhyNot) -> None:
    if explanation.kind == "rules-fail":
        assert explanation.attempts
    for attempt in explanation.attempts:
        assert attempt.literal is not None, f"{attempt.rule} has no failing literal"
        assert attempt.failures or attempt.more == 0
        for failure in attempt.failures:
            if failure.reason in ("missing-input", "not-derived"):
                assert isinstance(failure.instantiated, Atom)
                assert session.solve(failure.instantiated) == [], failure
            elif failure.reason == "negation-holds":
                assert failure.proof is not None and session.solve(failure.proof.fact)
            else:
                assert _comparison_is_false(session, attempt, failure.bindings)
            if failure.why_not is not None:
                assert_failures_are_false(session, failure.why_not)


def _comparison_is_false(session: Session, attempt: Attempt, bindings: tuple[tuple[str, int | str], ...]) -> bool:
    assert attempt.literal is not None
    return session.solve(value_equalities(dict(bindings)) + (attempt.literal,)) == []
