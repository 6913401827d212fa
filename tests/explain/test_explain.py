"""Why a fact holds: the smallest proof, all proofs within a limit, cycles, negation, arithmetic."""

from __future__ import annotations

import pytest

from backspasm.reasoner import QueryError, load_kb
from backspasm.reasoner.explain.explanation import Absence, Check, Proof
from backspasm.reasoner.explain.tracer import check_proof, why
from tests.explaining import EDGES, TRIAGE_KB, branches, fact, graph, leaf_texts, nodes_of
from tests.programs import REACHABILITY, TRIAGE

TWO_WAYS = """
.input a(x: number).
.input b(x: number).
goal(X) :- long(X).
goal(X) :- short(X).
long(X) :- a(X), middle(X).
middle(X) :- b(X), X > 0.
short(X) :- a(X).
tie(X) :- a(X).
tie(X) :- b(X).
"""


def test_the_smallest_proof_is_chosen_even_when_a_bigger_one_comes_from_an_earlier_rule() -> None:
    kb = load_kb(text=TWO_WAYS)
    with kb.session([("a", (1,)), ("b", (1,))]) as session:
        [proof] = why(session, fact("goal(1)"))
        assert str(proof.rule) == "goal(X) :- short(X)."
        assert proof.size == 3
        assert check_proof(session, proof) == []


def test_equally_small_proofs_go_to_the_earlier_rule() -> None:
    kb = load_kb(text=TWO_WAYS)
    with kb.session([("a", (1,)), ("b", (1,))]) as session:
        [proof] = why(session, fact("tie(1)"))
        assert str(proof.rule) == "tie(X) :- a(X)."


def test_all_proofs_come_smallest_first() -> None:
    kb = load_kb(text=TWO_WAYS)
    with kb.session([("a", (1,)), ("b", (1,))]) as session:
        proofs = why(session, fact("goal(1)"), all_proofs=True)
        assert [str(proof.rule) for proof in proofs] == ["goal(X) :- short(X).", "goal(X) :- long(X)."]
        assert [proof.size for proof in proofs] == [3, 6]


def test_all_proofs_are_bounded_by_the_limit_and_each_one_checks() -> None:
    complete = [(x, y) for x in "abcd" for y in "abcd" if x != y]
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(complete, list("abcd"))) as session:
        proofs = why(session, fact("reach(a, d)"), all_proofs=True, limit=4)
        assert len(proofs) == 4
        assert len(set(proofs)) == 4
        assert [proof.size for proof in proofs] == sorted(proof.size for proof in proofs)
        assert leaf_texts(proofs[0]) == ["edge(a, d)"]
        assert all(check_proof(session, proof) == [] for proof in proofs)


def test_a_proof_on_a_cycle_never_uses_its_own_conclusion() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(EDGES)) as session:
        for goal in ["on_cycle(a)", "reach(a, a)", "reach(b, d)"]:
            proofs = why(session, fact(goal), all_proofs=True, limit=50)
            assert proofs, goal
            for proof in proofs:
                assert all(len(branch) == len(set(branch)) for branch in branches(proof)), goal
                assert check_proof(session, proof) == []
        [proof] = why(session, fact("on_cycle(a)"))
        assert leaf_texts(proof) == ["edge(a, b)", "edge(b, c)", "edge(c, a)"]


def test_the_smallest_proof_around_a_long_cycle_follows_the_only_simple_path() -> None:
    ring = [(f"v{index}", f"v{(index + 1) % 12}") for index in range(12)]
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(ring, [])) as session:
        [proof] = why(session, fact("reach(v0, v11)"))
        assert proof.size == 22
        assert why(session, fact("reach(v0, v11)"), all_proofs=True) == [proof]
        assert check_proof(session, proof) == []


def test_a_negated_literal_is_shown_with_why_its_positive_form_does_not_hold() -> None:
    kb = load_kb(text=REACHABILITY)
    with kb.session(graph(EDGES)) as session:
        [proof] = why(session, fact("unreachable(d, a)"))
        absence = proof.steps[-1]
        assert isinstance(absence, Absence)
        assert str(absence.fact) == "reach(d, a)"
        assert absence.why_not.kind == "rules-fail"
        assert [str(failure.instantiated) for attempt in absence.why_not.attempts for failure in attempt.failures] == [
            "edge(d, a)",
            "edge(d, Y)",
        ]


def test_comparisons_and_assignments_show_their_values_beside_the_written_literal() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session([("days", (10,)), ("taken", (5,))]) as session:
        [proof] = why(session, fact("offer(course, 16)"))
        checks = [node for node in nodes_of(proof) if isinstance(node, Check)]
        assert [(check.kind, str(check.literal), str(check.instantiated)) for check in checks] == [
            ("comparison", "D < 28", "10 < 28"),
            ("assignment", "R = 21 - T", "16 = 21 - 5"),
            ("comparison", "R > 0", "16 > 0"),
        ]


def test_leaves_say_where_each_fact_comes_from() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,)), ("taken", (5,))]) as session:
        [proof] = why(session, fact("offer(course, 16)"))
        sources = {str(node.fact): node.source for node in nodes_of(proof) if isinstance(node, Proof)}
        assert sources == {
            "offer(course, 16)": "rule",
            "phase(early)": "rule",
            "days(10)": "record",
            "remaining(16)": "rule",
            "taken(5)": "record",
        }
        [tens] = why(session, fact("item(tens, avoid)"))
        assert tens.source == "kb-fact"
        assert tens.rule is not None and tens.rule.rule_id == "item_tens"
        [record] = why(session, fact("days(10)"))
        assert record.source == "record"


def test_a_fact_that_does_not_hold_has_no_proof() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session([("days", (40,))]) as session:
        assert why(session, fact("phase(early)")) == []
        assert why(session, fact("days(41)")) == []


def test_why_needs_a_ground_fact() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session([("days", (40,))]) as session, pytest.raises(QueryError, match="ground fact"):
        why(session, fact("phase(P)"))


def test_every_rule_of_a_proof_from_a_guideline_kb_has_evidence_in_the_registry() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (3,)), ("taken", (1,))]) as session:
        for goal in ["offer(course, 20)", "item(heat, recommend)", "item(tens, avoid)"]:
            [proof] = why(session, fact(goal))
            assert check_proof(session, proof, require_evidence=True, evidence=kb.evidence) == []


def test_the_checker_finds_a_step_that_is_not_true_of_the_subject() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session([("days", (10,)), ("taken", (5,))]) as session:
        [proof] = why(session, fact("phase(early)"))
        forged = Proof(
            proof.fact, "rule", proof.rule, (("D", 30),), (Proof(fact("days(30)"), "record"), proof.steps[1])
        )
        problems = check_proof(session, forged)
        assert "days(30): does not hold for this subject" in problems
        assert "days(30): is marked as from the record but the record does not hold it" in problems
        assert "D < 28: the step should check 30 < 28" in problems


def test_the_checker_refuses_rules_without_evidence_when_asked_to() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session([("days", (10,))]) as session:
        [proof] = why(session, fact("phase(early)"))
        assert check_proof(session, proof, require_evidence=True) == [
            "phase(early) :- days(D), D < 28.: a guideline rule needs @id, @statement and @evidence"
        ]
