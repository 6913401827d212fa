"""Seeded faults: each integrity constraint of kb/verify.dl must catch the fault it guards against.

A constraint that never fires on the real knowledge base could be dead. Each fault here
breaks the knowledge base on purpose (rules removed by id, wrong clauses added) and names
a patient at the constraint's boundary and the violation that must then be reported.
The test suite runs them against the real constraints; the mutation check runs them
against every mutant, so a constraint weakened at its boundary is caught too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import evaluate
from backspasm.reasoner.language.program import Program
from backspasm.reasoner.language.syntax import parse_program


@dataclass(frozen=True)
class SeededFault:
    violation: str
    remove: tuple[str, ...]
    """Rule ids to remove, or ``head:<predicate>`` for every rule of a predicate."""
    add: str
    patient: dict[str, Any]


def _patient(**fields: Any) -> dict[str, Any]:
    return {"id": "seeded", "age": 40, "symptom_days": 10, "relaxant_days_taken": 0, **fields}


NO_CONTRAINDICATIONS = ("relaxant_excluded_contraindication",)
NO_LIMIT = ("relaxant_excluded_limit_reached", "relaxant_days_left", "relaxant_excluded_fewer_than_3_days_left")
ONE_DAY_LEFT_ALWAYS = "relaxant_days_left(1) :- relaxant_days_taken(_)."

SEEDED_FAULTS = (
    SeededFault(
        "relaxant_past_cumulative_limit",
        NO_LIMIT,
        ONE_DAY_LEFT_ALWAYS,
        _patient(symptom_days=25, relaxant_days_taken=21),
    ),
    SeededFault(
        "course_exceeds_cumulative_limit",
        ("relaxant_course_full", "relaxant_course_shortened"),
        "relaxant_course_max(7) :- relaxant_days_left(_).",
        _patient(symptom_days=20, relaxant_days_taken=15),
    ),
    SeededFault(
        "relaxant_in_chronic_without_flare_up",
        ("relaxant_excluded_chronic_without_flare", "relaxant_window_chronic_flare"),
        "relaxant_window :- phase(chronic).",
        _patient(symptom_days=85),
    ),
    SeededFault(
        "relaxant_offered_despite_contraindication", NO_CONTRAINDICATIONS, "", _patient(conditions=["arrhythmia"])
    ),
    SeededFault(
        "relaxant_offered_with_contraindicating_condition",
        NO_CONTRAINDICATIONS,
        "",
        _patient(conditions=["heart_block"]),
    ),
    SeededFault(
        "relaxant_offered_in_hepatic_impairment",
        NO_CONTRAINDICATIONS,
        "",
        _patient(conditions=[{"code": "hepatic_impairment", "severity": "moderate"}]),
    ),
    SeededFault("relaxant_offered_with_maoi", NO_CONTRAINDICATIONS, "", _patient(medications=["maoi"])),
    SeededFault(
        "relaxant_offered_with_maoi",
        NO_CONTRAINDICATIONS,
        "",
        _patient(medications=[{"code": "maoi", "days_since_last_dose": 13}]),
    ),
    SeededFault("relaxant_offered_despite_allergy", NO_CONTRAINDICATIONS, "", _patient(allergies=["cyclobenzaprine"])),
    SeededFault(
        "relaxant_offered_under_15",
        ("relaxant_excluded_child", "head:plan_phase"),
        "plan_phase(P) :- phase(P).",
        _patient(age=14),
    ),
    SeededFault("lumbar_support_not_avoided", (), "item(lumbar_support, recommend).", _patient()),
    SeededFault("tens_not_avoided", (), "item(tens, consider).", _patient()),
    SeededFault("prolonged_relaxant_not_avoided", (), "item(prolonged_muscle_relaxant, consider).", _patient()),
    SeededFault("red_flag_not_referred", ("red_flag_named",), "", _patient(red_flags=["fever"])),
    SeededFault(
        "red_flag_without_urgent_evaluation", ("red_flag_urgent_evaluation",), "", _patient(red_flags=["fever"])
    ),
    SeededFault("relaxant_without_cns_warning", ("cns_warning",), "", _patient()),
    SeededFault("elderly_without_beers_warning", ("beers_warning",), "", _patient(age=65)),
    SeededFault("relaxant_offered_at_65_or_over", ("relaxant_excluded_elderly",), "", _patient(age=65)),
    SeededFault("serotonergic_drug_without_warning", ("serotonin_warning",), "", _patient(medications=["ssri"])),
    SeededFault("code_both_offered_and_avoided", (), "item(tens, recommend).", _patient()),
    SeededFault("relaxant_offered_despite_allergy", NO_CONTRAINDICATIONS, "", _patient(allergies=["tricyclic"])),
    SeededFault(
        "relaxant_offered_with_red_flag", ("relaxant_excluded_red_flag",), "", _patient(red_flags=["night_pain"])
    ),
    SeededFault(
        "manipulation_offered_with_red_flag", ("manipulation_excluded_red_flag",), "", _patient(red_flags=["fever"])
    ),
    SeededFault(
        "emergency_flag_without_emergency_tier",
        ("triage_emergency_neurological",),
        "",
        _patient(red_flags=["saddle_anaesthesia"]),
    ),
    SeededFault(
        "emergency_flag_without_emergency_tier",
        ("triage_emergency_infection",),
        "",
        _patient(red_flags=["fever", "iv_drug_use"]),
    ),
    SeededFault(
        "manipulation_offered_with_osteoporosis",
        ("manipulation_excluded_osteoporosis",),
        "",
        _patient(conditions=["osteoporosis"]),
    ),
    SeededFault(
        "nsaid_offered_from_20_weeks",
        ("head:analgesic_choice", "nsaid_excluded_pregnancy_20_weeks"),
        "analgesic_choice(nsaid) :- analgesic_window.",
        _patient(conditions=[{"code": "pregnancy", "gestational_week": 20}]),
    ),
    SeededFault(
        "nsaid_offered_from_20_weeks",
        ("head:analgesic_choice",),
        "analgesic_choice(nsaid) :- analgesic_window.",
        _patient(conditions=["pregnancy"]),
    ),
    SeededFault(
        "analgesic_class_offered_despite_allergy",
        ("nsaid_excluded_hypersensitivity",),
        "",
        _patient(allergies=["nsaid"]),
    ),
    SeededFault(
        "analgesic_class_offered_despite_allergy",
        ("head:analgesic_choice",),
        "analgesic_choice(paracetamol) :- analgesic_window.",
        _patient(allergies=["paracetamol"]),
    ),
    SeededFault(
        "relaxant_offered_in_pregnancy", ("relaxant_excluded_pregnancy",), "", _patient(conditions=["pregnancy"])
    ),
    SeededFault(
        "relaxant_offered_with_opioid_or_benzodiazepine",
        ("relaxant_excluded_opioid_or_benzodiazepine",),
        "",
        _patient(medications=["benzodiazepine"]),
    ),
    SeededFault(
        "new_course_under_3_days",
        ("relaxant_excluded_fewer_than_3_days_left",),
        "",
        _patient(symptom_days=25, relaxant_days_taken=19),
    ),
    SeededFault(
        "course_continued_past_7_days",
        ("head:relaxant_course_room",),
        "relaxant_course_room(7) :- relaxant_course(_, _).",
        _patient(symptom_days=25, relaxant_days_taken=6, relaxant_course_day=6),
    ),
    SeededFault("relaxant_reason_not_named", ("relaxant_avoid_reason_beers",), "", _patient(age=70)),
    SeededFault("adult_plan_under_16", ("head:plan_phase",), "plan_phase(P) :- phase(P).", _patient(age=15)),
    SeededFault("empty_answer", ("head:item",), "", _patient()),
)


def with_fault(advisor: Advisor, fault: SeededFault) -> Advisor:
    """The advisor with the fault applied to its program (the loader's checks are bypassed on purpose)."""
    program = advisor.kb.program
    kept = tuple(
        rule
        for rule in program.rules
        if rule.rule_id not in fault.remove and f"head:{rule.head.predicate}" not in fault.remove
    )
    added = parse_program(fault.add, "<seeded fault>").rules if fault.add else ()
    faulty = Program(kept + added, program.declarations)
    return replace(advisor, kb=replace(advisor.kb, program=faulty))


def missed_faults(advisor: Advisor) -> list[str]:
    """The seeded faults whose violation the advisor's constraints fail to report."""
    missed = []
    for fault in SEEDED_FAULTS:
        outcome = evaluate(with_fault(advisor, fault), fault.patient)
        if fault.violation not in outcome.violations:
            missed.append(f"{fault.violation} for {fault.patient} (reported {list(outcome.violations)})")
    return missed


@dataclass(frozen=True)
class RedundantGuard:
    """A promise kept by two rules: with ``remove`` gone, the other rule alone must still keep it."""

    name: str
    remove: tuple[str, ...]
    patients: tuple[dict[str, Any], ...]
    invariant: str
    """The name of the promise (in ``tests.properties.invariants.INVARIANTS``) that must still hold."""


REDUNDANT_GUARDS = (
    RedundantGuard(
        "the 21-day limit holds through the days left alone (Left > 0), without the exclusion rule",
        ("relaxant_excluded_limit_reached",),
        tuple(_patient(symptom_days=30, relaxant_days_taken=taken) for taken in (20, 21, 22)),
        "no_relaxant_past_21_days",
    ),
)


def broken_guards(advisor: Advisor) -> list[str]:
    """The redundant guards under which some patient breaks an invariant."""
    from tests.properties.invariants import INVARIANTS

    broken = []
    for guard in REDUNDANT_GUARDS:
        fault = SeededFault("", guard.remove, "", {})
        for patient in guard.patients:
            try:
                INVARIANTS[guard.invariant](patient, evaluate(with_fault(advisor, fault), patient).answer)
            except AssertionError as error:
                broken.append(f"{guard.name}: {error} for {patient}")
    return broken
