"""The safety invariants of docs/safety.md, each checked on generated patients.

Each test reads as its invariant; the strategies (tests/strategies.py) put the patients
at the rules' thresholds, and shrinking reports a minimal failing patient.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import find, given, settings

from backspasm.reasoner.api import Advisor
from tests.conftest import EXAMPLES
from tests.properties import invariants
from tests.properties.invariants import broken_invariants
from tests.properties.seeded_faults import SeededFault, with_fault
from tests.strategies import chronic_patients, elderly_patients, patients

Record = dict[str, Any]


@given(patients())
def test_1_no_relaxant_past_21_cumulative_days(advisor: Advisor, patient: Record) -> None:
    invariants.no_relaxant_past_21_days(patient, advisor.recommend(patient))


@given(chronic_patients())
def test_2_chronic_phase_relaxant_only_in_a_flare_up(advisor: Advisor, patient: Record) -> None:
    invariants.chronic_relaxant_only_in_flare_up(patient, advisor.recommend(patient))


@given(patients())
def test_3_no_relaxant_with_a_contraindication(advisor: Advisor, patient: Record) -> None:
    invariants.no_relaxant_with_contraindication(patient, advisor.recommend(patient))


@given(patients())
def test_4_lumbar_support_tens_and_prolonged_relaxant_are_only_avoided(advisor: Advisor, patient: Record) -> None:
    invariants.pitfalls_never_recommended(patient, advisor.recommend(patient))


@given(patients())
def test_5_a_red_flag_comes_first_as_urgent_evaluation_naming_it(advisor: Advisor, patient: Record) -> None:
    invariants.red_flag_referred_first(patient, advisor.recommend(patient))


@given(patients())
def test_6_relaxant_serotonin_and_beers_warnings_are_given(advisor: Advisor, patient: Record) -> None:
    invariants.warnings_given(patient, advisor.recommend(patient))


@given(elderly_patients())
def test_6_at_65_or_over_beers_warning_and_no_routine_relaxant(advisor: Advisor, patient: Record) -> None:
    invariants.warnings_given(patient, advisor.recommend(patient))


@given(patients())
def test_7_no_code_is_both_offered_and_avoided(advisor: Advisor, patient: Record) -> None:
    invariants.never_offered_and_avoided(patient, advisor.recommend(patient))


@given(patients())
def test_8_every_patient_gets_a_non_empty_answer(advisor: Advisor, patient: Record) -> None:
    invariants.answer_not_empty(patient, advisor.recommend(patient))


@given(patients())
def test_9_every_item_has_a_proof_that_checks(advisor: Advisor, patient: Record) -> None:
    assert invariants.items_without_a_checked_proof(advisor, patient) == []


def test_9_every_item_of_the_example_answers_has_a_proof_that_checks(advisor: Advisor) -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        assert invariants.items_without_a_checked_proof(advisor, json.loads(path.read_text())) == [], path.name


@given(patients())
def test_the_integrity_constraints_of_verify_dl_hold(advisor: Advisor, patient: Record) -> None:
    assert advisor.violations(patient) == []


def test_the_integrity_constraints_allow_what_the_guideline_allows_at_their_edges(advisor: Advisor) -> None:
    # Before 20 weeks, a pregnant patient allergic to paracetamol may have an NSAID: the check on an
    # NSAID in a pregnancy of unknown week must not fire for a known week.
    pregnant = {
        "id": "t",
        "age": 30,
        "symptom_days": 5,
        "relaxant_days_taken": 0,
        "conditions": [{"code": "pregnancy", "gestational_week": 19}],
        "allergies": ["paracetamol"],
    }
    analgesic = advisor.recommend(pregnant).item("analgesic")
    assert analgesic is not None and analgesic.parameters["drug_class"] == "nsaid"
    assert advisor.violations(pregnant) == []


@given(patients())
def test_A_the_relaxant_is_offered_exactly_when_allowed_and_otherwise_avoided_with_reasons(
    advisor: Advisor, patient: Record
) -> None:
    invariants.relaxant_decision_follows_the_guideline(patient, advisor.recommend(patient))


@given(patients())
def test_B_every_patient_gets_heat_and_supervised_exercise(advisor: Advisor, patient: Record) -> None:
    invariants.first_line_care_for_everyone(patient, advisor.recommend(patient))


@given(patients())
def test_C_red_flag_screening_exactly_over_50_or_under_20(advisor: Advisor, patient: Record) -> None:
    invariants.red_flag_screening_by_age(patient, advisor.recommend(patient))


@given(patients())
def test_11_a_red_flag_withholds_the_routine_plan(advisor: Advisor, patient: Record) -> None:
    invariants.red_flag_withholds_the_routine_plan(patient, advisor.recommend(patient))


@given(patients())
def test_12_no_manipulation_with_osteoporosis(advisor: Advisor, patient: Record) -> None:
    invariants.no_manipulation_with_osteoporosis(patient, advisor.recommend(patient))


@given(patients())
def test_13_the_analgesic_class_is_safe(advisor: Advisor, patient: Record) -> None:
    invariants.analgesic_class_is_safe(patient, advisor.recommend(patient))


@given(patients())
def test_14_under_16_not_covered(advisor: Advisor, patient: Record) -> None:
    invariants.not_covered_under_16(patient, advisor.recommend(patient))


@given(patients())
def test_15_the_course_stays_within_its_limits(advisor: Advisor, patient: Record) -> None:
    invariants.course_stays_within_its_limits(patient, advisor.recommend(patient))


@pytest.mark.parametrize(
    ("example", "cited"),
    [
        ("chronic-no-flare", {"ref2"}),
        ("elderly", {"ref2", "beers2023"}),
        ("contraindicated", {"ref2", "fda_cyclobenzaprine"}),
        ("opioid", {"ref2", "fda_opioid_benzodiazepine2016"}),
        ("day-19", {"ref2", "ref5"}),
    ],
)
def test_17_relaxant_exclusions_cite_their_own_source(advisor: Advisor, example: str, cited: set[str]) -> None:
    relaxant = advisor.recommend(json.loads((EXAMPLES / f"{example}.json").read_text())).item(
        "muscle_relaxant_short_course"
    )
    assert relaxant is not None and relaxant.kind == "avoid"
    assert {reference.evidence_id for reference in relaxant.evidence} == cited


def test_shrinking_reports_a_minimal_patient_at_the_threshold(advisor: Advisor) -> None:
    """With the Beers exclusion removed, the search lands on 65 exactly and shrinks everything else away."""
    broken = with_fault(advisor, SeededFault("", ("relaxant_excluded_elderly",), "", {}))

    def breaks_invariant_6(patient: Record) -> bool:
        return any(
            problem.startswith("warnings_given") for problem in broken_invariants(patient, broken.recommend(patient))
        )

    minimal = find(patients(), breaks_invariant_6, settings=settings(max_examples=500, database=None))
    assert minimal == {"id": "generated", "age": 65, "symptom_days": 0, "relaxant_days_taken": 0}
