"""The integrity constraints of kb/verify.dl: one per invariant, and none of them dead.

Each numbered invariant of docs/safety.md that can be said in Datalog has a
``violation(Name)`` rule; each such rule must fire on the fault it guards against
(tests/properties/seeded_faults.py), at the boundary where it matters.
"""

from __future__ import annotations

from backspasm.reasoner.api import Advisor
from tests.properties.seeded_faults import SEEDED_FAULTS, broken_guards, missed_faults

INVARIANT_CONSTRAINTS = {
    1: {"relaxant_past_cumulative_limit", "course_exceeds_cumulative_limit"},
    2: {"relaxant_in_chronic_without_flare_up"},
    3: {
        "relaxant_offered_despite_contraindication",
        "relaxant_offered_with_contraindicating_condition",
        "relaxant_offered_in_hepatic_impairment",
        "relaxant_offered_with_maoi",
        "relaxant_offered_despite_allergy",
        "relaxant_offered_under_15",
    },
    4: {"lumbar_support_not_avoided", "tens_not_avoided", "prolonged_relaxant_not_avoided"},
    5: {"red_flag_not_referred", "red_flag_without_urgent_evaluation"},
    6: {
        "relaxant_without_cns_warning",
        "elderly_without_beers_warning",
        "relaxant_offered_at_65_or_over",
        "serotonergic_drug_without_warning",
    },
    7: {"code_both_offered_and_avoided"},
    8: {"empty_answer"},
    11: {
        "relaxant_offered_with_red_flag",
        "manipulation_offered_with_red_flag",
        "emergency_flag_without_emergency_tier",
    },
    12: {"manipulation_offered_with_osteoporosis"},
    13: {"nsaid_offered_from_20_weeks", "analgesic_class_offered_despite_allergy", "relaxant_offered_in_pregnancy"},
    14: {"adult_plan_under_16"},
    15: {"new_course_under_3_days", "course_continued_past_7_days"},
    16: {"relaxant_offered_with_opioid_or_benzodiazepine"},
    17: {"relaxant_reason_not_named"},
}
"""Invariants 9 (proofs) and 10 (determinism) are about the engine, not one answer: no constraint."""


def constraint_names(advisor: Advisor) -> set[str]:
    return {
        str(rule.head.arguments[0])
        for rule in advisor.kb.program.rules
        if rule.head.predicate == "violation" and rule.head.arguments
    }


def test_every_invariant_that_datalog_can_say_has_a_constraint_in_verify_dl(advisor: Advisor) -> None:
    named = set().union(*INVARIANT_CONSTRAINTS.values())
    assert named == constraint_names(advisor)


def test_every_constraint_has_a_seeded_fault(advisor: Advisor) -> None:
    assert {fault.violation for fault in SEEDED_FAULTS} == constraint_names(advisor)


def test_every_constraint_catches_its_seeded_fault(advisor: Advisor) -> None:
    assert missed_faults(advisor) == []


def test_redundant_guards_each_keep_their_promise_alone(advisor: Advisor) -> None:
    assert broken_guards(advisor) == []
