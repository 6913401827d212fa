"""Every invariant on every boundary patient: the thresholds are read from the rules themselves.

``reasoner.verify`` walks the parsed program for the comparisons that flip on a numeric
input field and builds every combination of the boundary values around them, then tries
one code of every class the rules can tell apart. Both the Python checks of
tests/properties/invariants.py and the Datalog constraints of kb/verify.dl must hold on
all of them. The count is printed at the end of the run.
"""

from __future__ import annotations

import itertools

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import (
    VerificationReport,
    boundary_records,
    boundary_values,
    code_classes,
    evaluate,
    thresholds,
    verify,
)
from backspasm.reasoner.language.syntax import parse_program
from tests.conftest import record_checked
from tests.properties.asp import clingo_models, differences
from tests.properties.invariants import (
    broken_invariants,
    grid_sample,
    items_without_a_checked_proof,
    rows_with_two_reasons,
)
from tests.strategies import (
    AGE_THRESHOLDS,
    COURSE_DAY_THRESHOLDS,
    GESTATIONAL_WEEK_THRESHOLDS,
    MAOI_STOPPED_THRESHOLDS,
    RELAXANT_DAY_THRESHOLDS,
    SYMPTOM_DAY_THRESHOLDS,
)


def test_thresholds_are_read_from_the_rules_comparisons(advisor: Advisor) -> None:
    found = {(slot, threshold.value) for threshold in thresholds(advisor.kb.program) for slot in [threshold.slot]}
    assert {value for (predicate, _), value in found if predicate == "age"} == set(AGE_THRESHOLDS)
    assert {value for (predicate, _), value in found if predicate == "symptom_days"} == set(SYMPTOM_DAY_THRESHOLDS)
    assert {value for (predicate, _), value in found if predicate == "relaxant_days_taken"} == set(
        RELAXANT_DAY_THRESHOLDS
    )
    assert {value for (predicate, _), value in found if predicate == "medication_stopped_days"} == set(
        MAOI_STOPPED_THRESHOLDS
    )
    assert {value for (predicate, _), value in found if predicate == "relaxant_course_day"} == set(
        COURSE_DAY_THRESHOLDS
    )
    assert {value for (predicate, _), value in found if predicate == "condition_week"} == set(
        GESTATIONAL_WEEK_THRESHOLDS
    )


def test_thresholds_follow_facts_arithmetic_and_other_rules_heads() -> None:
    program = parse_program(
        ".input taken(days: number). .input age(years: number). limit(10). course(4). course(6). "
        "left(L) :- taken(T), limit(M), L = M - T. "
        "full :- left(L), course(C), L >= C. "
        "double :- age(A), A * 2 > 41. "
        "mixed :- taken(T), age(A), T < A."
    )
    found = {(threshold.slot[0], threshold.value, threshold.rule) for threshold in thresholds(program)}
    assert found == {
        ("taken", 6, "full :- left(L), course(C), L >= C."),
        ("taken", 4, "full :- left(L), course(C), L >= C."),
        ("age", 20, "double :- age(A), A * 2 > 41."),
        ("age", 21, "double :- age(A), A * 2 > 41."),
    }


def test_each_threshold_gives_the_values_either_side_and_the_field_limits(advisor: Advisor) -> None:
    assert boundary_values(advisor) == {
        "age": [0, 14, 15, 16, 17, 19, 20, 21, 49, 50, 51, 64, 65, 66, 120],
        "symptom_days": [0, 27, 28, 29, 83, 84, 85, 36500],
        "relaxant_days_taken": [0, 13, 14, 15, 17, 18, 19, 20, 21, 22, 3650],
        "relaxant_course_day": [0, 1, 6, 7, 8, 3650],
        "conditions.gestational_week": [0, 19, 20, 21, 45],
        "medications.days_since_last_dose": [0, 13, 14, 15, 3650],
    }


def test_codes_the_rules_cannot_tell_apart_are_one_class(advisor: Advisor) -> None:
    conditions = advisor.record_spec.field("conditions")
    assert conditions is not None
    classes = code_classes(advisor.kb.program, conditions.codes)
    assert ["hyperthyroidism", "arrhythmia", "heart_block", "recent_myocardial_infarction"] in classes
    assert ["heart_failure"] in classes  # also excludes NSAIDs
    assert ["glaucoma", "urinary_retention"] in classes
    assert ["glaucoma", "urinary_retention"] in classes and ["pregnancy"] in classes and ["osteoporosis"] in classes


def test_every_boundary_patient_keeps_every_invariant(boundary_report: VerificationReport) -> None:
    failures = [
        (dict(outcome.record), broken)
        for outcome in boundary_report.outcomes
        if (broken := broken_invariants(dict(outcome.record), outcome.answer))
    ]
    assert boundary_report.records > 2000
    assert failures == [], f"{len(failures)} of {boundary_report.records} boundary patients fail: {failures[:3]}"


def test_every_boundary_patient_breaks_no_integrity_constraint(boundary_report: VerificationReport) -> None:
    assert boundary_report.ok, boundary_report.summary() + f"; first: {boundary_report.violations[:3]}"


def test_D_no_fact_of_the_grid_patients_is_derived_by_two_rules(advisor: Advisor) -> None:
    sample = list(grid_sample(advisor))
    assert [(record, found) for record in sample if (found := rows_with_two_reasons(advisor, record))] == []
    for name, values in boundary_values(advisor).items():
        if "." not in name:
            assert {record[name] for record in sample} == set(values), f"the sample misses values of {name}"


@pytest.mark.parametrize("week", [19, 20, None])
def test_D_no_fact_of_pregnant_patients_with_exclusions_is_derived_by_two_rules(
    advisor: Advisor, week: int | None
) -> None:
    # The grid carries no code fields; the analgesic's cases in pregnancy turn on them.
    pregnancy: object = "pregnancy" if week is None else {"code": "pregnancy", "gestational_week": week}
    records = [
        {
            "id": "t",
            "age": 30,
            "symptom_days": days,
            "relaxant_days_taken": 0,
            "conditions": [pregnancy, *more],
            "allergies": allergies,
        }
        for days in (5, 100)
        for more in ([], ["heart_failure"])
        for allergies in ([], ["nsaid"], ["paracetamol"], ["nsaid", "paracetamol"])
    ]
    assert [(record, found) for record in records if (found := rows_with_two_reasons(advisor, record))] == []


def test_9_every_item_of_the_grid_patients_has_a_proof_that_checks(advisor: Advisor) -> None:
    assert [
        (record, found) for record in grid_sample(advisor) if (found := items_without_a_checked_proof(advisor, record))
    ] == []


def test_a_broken_answer_is_reported_by_its_constraint(advisor: Advisor) -> None:
    """The constraints bite: with the Beers exclusion rule gone, the constraint at 65 fires."""
    from dataclasses import replace

    program = advisor.kb.program
    rules = tuple(rule for rule in program.rules if rule.rule_id != "relaxant_excluded_elderly")
    broken = replace(advisor, kb=replace(advisor.kb, program=replace(program, rules=rules)))
    patient = {"id": "p", "age": 70, "symptom_days": 5, "relaxant_days_taken": 0}
    report = verify(broken, [patient])
    assert not report.ok
    assert "relaxant_offered_at_65_or_over" in report.violations[0][1]


@pytest.mark.slow
def test_the_full_boundary_product_keeps_every_invariant_in_both_engines(
    advisor: Advisor, request: pytest.FixtureRequest
) -> None:
    """Every code option with every grid patient (about 48 000), in chunks so memory stays small."""
    records = boundary_records(advisor, "full")
    checked = 0
    while chunk := list(itertools.islice(records, 2000)):
        outcomes = [evaluate(advisor, record) for record in chunk]
        for outcome in outcomes:
            record = dict(outcome.record)
            assert broken_invariants(record, outcome.answer) == [], record
            assert outcome.violations == (), record
        models = clingo_models(advisor.kb.program, [advisor.read_record(record).facts for record in chunk])
        for outcome, model in zip(outcomes, models, strict=True):
            assert differences(outcome.model, model) == {}, outcome.record
        checked += len(chunk)
    record_checked(request.config, f"exhaustive check covered {checked} boundary patients (full level, both engines)")
    assert checked > 40000
