"""The bundled back-spasm knowledge base: it loads clean, covers the guideline, and its
answers for the example patients are the reviewed golden answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.knowledge.traceability import check as check_traceability
from backspasm.reasoner.knowledge.traceability import read_traceability
from tests.conftest import EXAMPLES, ROOT
from tests.golden import assert_golden

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
SHARED_GUIDELINE = ROOT.parent / "shared" / "guideline"


def load_example(name: str) -> dict[str, object]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def test_the_knowledge_base_loads_with_no_lint_warning(advisor: Advisor) -> None:
    assert advisor.kb.warnings == ()
    assert advisor.kb.mode == "guideline"


def test_every_rule_has_an_id_evidence_and_a_statement(advisor: Advisor) -> None:
    for rule in advisor.kb.program.rules:
        if not rule.is_fact:
            assert rule.rule_id and rule.metadata.evidence and rule.metadata.statement, str(rule)


def test_every_cited_evidence_exists_and_is_graded(advisor: Advisor) -> None:
    cited = {evidence for rule in advisor.kb.program.rules for evidence in rule.metadata.evidence}
    assert cited <= set(advisor.kb.evidence)
    assert {f"ref{n}" for n in range(1, 8)} <= set(advisor.kb.evidence)
    for entry in advisor.kb.evidence.values():
        assert entry.quality in ("high", "moderate", "low", "very-low")


def test_every_guideline_line_is_encoded_or_recorded_as_not_actionable(advisor: Advisor) -> None:
    assert advisor.kb.root is not None
    traceability = read_traceability(advisor.kb.data["traceability"], advisor.kb.root)
    assert check_traceability(traceability, advisor.kb.program, advisor.kb.data["traceability"]) == []
    assert len(traceability.statements) == len(traceability.source_lines()) == 33


@pytest.mark.skipif(not SHARED_GUIDELINE.exists(), reason="../shared/guideline is not beside this checkout")
def test_the_bundled_sources_are_the_shared_guideline() -> None:
    for name in ("back-spasm-guideline.txt", "clinical-extensions.md"):
        assert (ROOT / "kb" / "sources" / name).read_bytes() == (SHARED_GUIDELINE / name).read_bytes()


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_answers_match_their_golden_files(advisor: Advisor, example: Path) -> None:
    answer = advisor.recommend(json.loads(example.read_text()))
    assert_golden(f"answers/{example.stem}.json", json.dumps(answer.to_json(), indent=2) + "\n")


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_example_answers_break_no_integrity_constraint(advisor: Advisor, example: Path) -> None:
    assert advisor.violations(json.loads(example.read_text())) == []


def kinds(advisor: Advisor, record: dict[str, object]) -> dict[str, str]:
    return advisor.recommend(record).codes()


def test_acute_spasm_gets_heat_movement_and_a_short_relaxant_course(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("acute"))
    assert answer.codes()["heat_therapy"] == "recommend"
    assert answer.codes()["gentle_movement"] == "recommend"
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "consider"
    assert relaxant.parameters["drug"] == "cyclobenzaprine"
    assert (relaxant.parameters["course_days_min"], relaxant.parameters["course_days_max"]) == (3, 7)
    assert answer.codes()["cns_side_effects"] == "warn"
    assert [reference.evidence_id for reference in relaxant.conflicting_evidence] == ["nice_ng59"]


def test_subacute_spasm_is_answered_with_the_evidence_that_covers_it(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("subacute"))
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "consider"
    assert "acp2017" in [reference.evidence_id for reference in relaxant.evidence]
    with advisor.session(load_example("subacute")) as session:
        ((window_rule, _),) = session.derivations("relaxant_window")
    assert window_rule.rule_id == "relaxant_window_subacute"
    assert window_rule.metadata.evidence == ("acp2017",)


def test_chronic_spasm_gets_a_relaxant_only_in_a_flare_up(advisor: Advisor) -> None:
    assert kinds(advisor, load_example("chronic-flare"))["muscle_relaxant_short_course"] == "consider"
    no_flare = advisor.recommend(load_example("chronic-no-flare")).item("muscle_relaxant_short_course")
    assert no_flare is not None and no_flare.kind == "avoid"
    assert no_flare.parameters["reasons"] == ("chronic_without_flare_up",)


@pytest.mark.parametrize(
    ("taken", "longest", "shortest"),
    [(0, 7, 3), (14, 7, 3), (15, 6, 3), (18, 3, 3)],
)
def test_the_course_is_shortened_so_taken_plus_offered_stays_within_21(
    advisor: Advisor, taken: int, longest: int, shortest: int
) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 25, "relaxant_days_taken": taken}
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "consider"
    assert (relaxant.parameters["course_days_max"], relaxant.parameters["course_days_min"]) == (longest, shortest)


@pytest.mark.parametrize("taken", [19, 20])
def test_with_fewer_than_3_days_left_no_new_course_starts_stop_and_reassess(advisor: Advisor, taken: int) -> None:
    answer = advisor.recommend({"id": "t", "age": 40, "symptom_days": 25, "relaxant_days_taken": taken})
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid"
    assert relaxant.parameters["reasons"] == ("fewer_than_3_days_left",)
    assert answer.codes()["relaxant_stop_and_reassess"] == "warn"


@pytest.mark.parametrize(
    ("taken", "day", "offered"),
    [(5, 5, 2), (1, 1, 6), (6, 6, 1), (19, 5, 2), (20, 2, 1)],
)
def test_a_course_under_way_continues_to_day_7_within_21_days(
    advisor: Advisor, taken: int, day: int, offered: int
) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 25, "relaxant_days_taken": taken, "relaxant_course_day": day}
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "consider"
    assert relaxant.parameters["course_days_max"] == offered
    assert relaxant.parameters["current_course_day"] == day
    assert "course_days_min" not in relaxant.parameters


@pytest.mark.parametrize("day", [7, 8])
def test_a_course_at_day_7_is_complete_stop_and_reassess(advisor: Advisor, day: int) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 25, "relaxant_days_taken": 9, "relaxant_course_day": day}
    answer = advisor.recommend(record)
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid"
    assert relaxant.parameters["reasons"] == ("course_complete",)
    assert answer.codes()["relaxant_stop_and_reassess"] == "warn"


@pytest.mark.parametrize("taken", [21, 22, 25])
def test_no_relaxant_once_21_days_are_reached(advisor: Advisor, taken: int) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 27, "relaxant_days_taken": taken}
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid"
    assert relaxant.parameters["reasons"] == ("cumulative_limit_reached",)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"conditions": ["hyperthyroidism"]}, "hyperthyroidism"),
        ({"conditions": ["arrhythmia"]}, "arrhythmia"),
        ({"conditions": ["heart_block"]}, "heart_block"),
        ({"conditions": ["heart_failure"]}, "heart_failure"),
        ({"conditions": ["recent_myocardial_infarction"]}, "recent_myocardial_infarction"),
        (
            {"conditions": [{"code": "hepatic_impairment", "severity": "severe"}]},
            "hepatic_impairment_moderate_or_severe",
        ),
        ({"medications": ["maoi"]}, "maoi_within_14_days"),
        ({"medications": [{"code": "maoi", "days_since_last_dose": 13}]}, "maoi_within_14_days"),
        ({"allergies": ["cyclobenzaprine"]}, "cyclobenzaprine_hypersensitivity"),
        ({"age": 14}, "under_15"),
        ({"age": 65}, "age_65_or_over"),
    ],
)
def test_a_contraindicated_relaxant_is_never_offered_and_the_answer_says_why(
    advisor: Advisor, change: dict[str, object], reason: str
) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 10, "relaxant_days_taken": 0, **change}
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid"
    assert reason in relaxant.parameters["reasons"]  # type: ignore[operator]


def test_an_maoi_stopped_14_days_ago_no_longer_blocks_the_relaxant(advisor: Advisor) -> None:
    record = {
        "id": "t",
        "age": 40,
        "symptom_days": 10,
        "relaxant_days_taken": 0,
        "medications": [{"code": "maoi", "days_since_last_dose": 14}],
    }
    assert kinds(advisor, record)["muscle_relaxant_short_course"] == "consider"
    assert "serotonin_syndrome_risk" not in kinds(advisor, record)  # stopped past its washout


def test_a_stopped_medicine_without_a_sourced_washout_still_warns(advisor: Advisor) -> None:
    answer = kinds(advisor, load_example("stopped-medicines"))
    assert answer["serotonin_syndrome_risk"] == "warn"  # the SSRI: no washout is sourced, so it still counts
    item = advisor.recommend(load_example("stopped-medicines")).item("serotonin_syndrome_risk")
    assert item is not None and item.parameters["drugs"] == ("ssri",)  # the MAOI stopped 30 days ago does not


@pytest.mark.parametrize(
    ("flags", "tier", "condition"),
    [
        (["saddle_anaesthesia"], "emergency", "suspected cauda equina syndrome"),
        (["bowel_dysfunction"], "emergency", "suspected cauda equina syndrome"),
        (["progressive_neurological_deficit"], "emergency", "severe or progressive neurological deficit"),
        (["fever", "iv_drug_use"], "emergency", "suspected spinal infection"),
        (["fever"], "urgent", "suspected spinal infection"),
        (["cancer_history"], "urgent", "suspected malignancy"),
        (["major_trauma"], "urgent", "suspected fracture"),
        (["long_term_corticosteroids"], "urgent", "suspected fracture"),
    ],
)
def test_a_red_flag_gives_its_tier_and_suspected_condition_and_withholds_the_routine_plan(
    advisor: Advisor, flags: list[str], tier: str, condition: str
) -> None:
    answer = advisor.recommend({"id": "t", "age": 40, "symptom_days": 5, "relaxant_days_taken": 0, "red_flags": flags})
    referral = answer.items[0]
    assert (referral.code, referral.kind) == ("urgent_evaluation", "refer")
    assert referral.parameters["tier"] == tier
    assert condition in referral.parameters["suspected_conditions"]  # type: ignore[operator]
    assert referral.parameters["timeframe"] and referral.parameters["action"]
    codes = answer.codes()
    for withheld in ("muscle_relaxant_short_course", "spinal_manipulation", "massage", "supervised_exercise"):
        assert codes[withheld] == "avoid", withheld
    assert codes["heat_therapy"] == "recommend" and codes["analgesic"] == "consider"  # symptom relief stays


def test_age_alone_is_a_screening_prompt_not_a_referral(advisor: Advisor) -> None:
    codes = kinds(advisor, {"id": "t", "age": 70, "symptom_days": 5, "relaxant_days_taken": 0})
    assert codes["red_flag_screening"] == "warn" and "urgent_evaluation" not in codes


def test_osteoporosis_excludes_spinal_manipulation(advisor: Advisor) -> None:
    item = advisor.recommend(load_example("osteoporosis")).item("spinal_manipulation")
    assert item is not None and item.kind == "avoid" and item.parameters["reasons"] == ("osteoporosis",)


@pytest.mark.parametrize(("week", "drug_class"), [(19, "paracetamol"), (20, "paracetamol"), (None, "paracetamol")])
def test_pregnancy_gets_paracetamol_and_no_routine_relaxant(
    advisor: Advisor, week: int | None, drug_class: str
) -> None:
    pregnancy: object = "pregnancy" if week is None else {"code": "pregnancy", "gestational_week": week}
    record = {"id": "t", "age": 30, "symptom_days": 5, "relaxant_days_taken": 0, "conditions": [pregnancy]}
    answer = advisor.recommend(record)
    analgesic = answer.item("analgesic")
    assert analgesic is not None and analgesic.parameters["drug_class"] == drug_class
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid" and "pregnancy" in relaxant.parameters["reasons"]  # type: ignore[operator]


@pytest.mark.parametrize(("week", "offered"), [(19, "nsaid"), (20, None), (None, None)])
def test_with_a_paracetamol_allergy_in_pregnancy_an_nsaid_only_before_20_weeks(
    advisor: Advisor, week: int | None, offered: str | None
) -> None:
    pregnancy: object = "pregnancy" if week is None else {"code": "pregnancy", "gestational_week": week}
    record = {
        "id": "t",
        "age": 30,
        "symptom_days": 5,
        "relaxant_days_taken": 0,
        "conditions": [pregnancy],
        "allergies": ["paracetamol"],
    }
    analgesic = advisor.recommend(record).item("analgesic")
    assert analgesic is not None
    if offered is None:
        assert analgesic.kind == "avoid"
    else:
        assert analgesic.kind == "consider" and analgesic.parameters["drug_class"] == offered


@pytest.mark.parametrize("excluding", [{"conditions": ["heart_failure"]}, {"allergies": ["nsaid"]}])
def test_with_nsaids_excluded_outside_pregnancy_paracetamol_is_the_analgesic(
    advisor: Advisor, excluding: dict[str, list[str]]
) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 5, "relaxant_days_taken": 0, **excluding}
    analgesic = advisor.recommend(record).item("analgesic")
    assert analgesic is not None and analgesic.kind == "consider"
    assert analgesic.parameters["drug_class"] == "paracetamol"


@pytest.mark.parametrize(("age", "reasons"), [(14, ("under_15",)), (15, None)])
def test_the_under_15_relaxant_exclusion_ends_at_15(advisor: Advisor, age: int, reasons: object) -> None:
    # At 15 the patient is still referred (under 16) and offered no relaxant, but not for being under 15.
    relaxant = advisor.recommend({"id": "t", "age": age, "symptom_days": 5, "relaxant_days_taken": 0}).item(
        "muscle_relaxant_short_course"
    )
    assert (relaxant.parameters["reasons"] if relaxant is not None else None) == reasons


@pytest.mark.parametrize(("course_day", "shown"), [(0, None), (1, 1)])
def test_the_course_day_is_shown_only_for_a_course_under_way(
    advisor: Advisor, course_day: int, shown: int | None
) -> None:
    record = {"id": "t", "age": 40, "symptom_days": 5, "relaxant_days_taken": 2, "relaxant_course_day": course_day}
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "consider"
    assert relaxant.parameters.get("current_course_day") == shown


@pytest.mark.parametrize(("age", "cautioned"), [(64, False), (65, True)])
def test_an_nsaid_carries_the_age_caution_from_65(advisor: Advisor, age: int, cautioned: bool) -> None:
    analgesic = advisor.recommend({"id": "t", "age": age, "symptom_days": 5, "relaxant_days_taken": 0}).item(
        "analgesic"
    )
    assert analgesic is not None and analgesic.parameters["drug_class"] == "nsaid"
    cautions = analgesic.parameters.get("cautions", ())
    assert ("age_65_or_over_short_use_with_gastroprotection" in cautions) is cautioned  # type: ignore[operator]


def test_allergies_exclude_their_class_and_say_so(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("allergies"))
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.parameters["reasons"] == ("tricyclic_hypersensitivity",)
    analgesic = answer.item("analgesic")
    assert analgesic is not None and analgesic.kind == "avoid"
    assert analgesic.parameters["reasons"] == ("nsaid_hypersensitivity", "paracetamol_hypersensitivity")


def test_a_chronic_flare_gets_an_nsaid_first(advisor: Advisor) -> None:
    analgesic = advisor.recommend(load_example("chronic-flare")).item("analgesic")
    assert analgesic is not None and analgesic.kind == "consider" and analgesic.parameters["drug_class"] == "nsaid"


def test_under_16_the_guideline_does_not_cover_the_patient(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("child"))
    assert answer.items[0].code == "paediatric_assessment" and answer.items[0].kind == "refer"
    assert [item.code for item in answer.items if item.kind in ("recommend", "consider")] == []


def test_an_opioid_withholds_the_relaxant_with_the_boxed_warning(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("opioid"))
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.kind == "avoid"
    assert relaxant.parameters["reasons"] == ("opioid_or_benzodiazepine", "two_or_more_cns_depressants")
    assert answer.codes()["opioid_benzodiazepine_boxed_warning"] == "warn"
    assert answer.codes()["cns_depressant_interaction"] == "warn"  # stays: it guards a prescription made elsewhere


def test_two_cns_depressants_without_an_opioid_withhold_the_relaxant(advisor: Advisor) -> None:
    record = {
        "id": "t",
        "age": 40,
        "symptom_days": 5,
        "relaxant_days_taken": 0,
        "medications": ["alcohol", "other_cns_depressant"],
    }
    relaxant = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert relaxant is not None and relaxant.parameters["reasons"] == ("two_or_more_cns_depressants",)


def test_age_65_gets_the_beers_warning_and_no_routine_relaxant(advisor: Advisor) -> None:
    answer = kinds(advisor, load_example("elderly"))
    assert answer["beers_muscle_relaxant"] == "warn"
    assert answer["muscle_relaxant_short_course"] == "avoid"
    assert "beers_muscle_relaxant" not in kinds(advisor, {**load_example("elderly"), "age": 64})


def test_a_serotonergic_drug_raises_the_serotonin_warning(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("ssri"))
    warning = answer.item("serotonin_syndrome_risk")
    assert warning is not None and warning.parameters["drugs"] == ("ssri",)


def test_a_red_flag_comes_first_names_the_flag_and_marks_the_routine_plan(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("red-flag"))
    first, second = answer.items[0], answer.items[1]
    assert (first.code, first.kind) == ("urgent_evaluation", "refer")
    assert first.parameters["flags"] == ("bladder_dysfunction", "saddle_anaesthesia")
    assert first.parameters["concerns"] == ("possible_cauda_equina_syndrome",)
    assert (second.code, second.kind) == ("routine_plan_not_sufficient", "warn")


def test_pitfalls_are_advised_against_with_their_evidence(advisor: Advisor) -> None:
    answer = advisor.recommend(load_example("acute"))
    for code in ("lumbar_support", "tens", "prolonged_muscle_relaxant"):
        item = answer.item(code)
        assert item is not None and item.kind == "avoid" and item.evidence


def test_the_contested_analgesic_combination_carries_its_conflict(advisor: Advisor) -> None:
    analgesic = advisor.recommend(load_example("acute")).item("analgesic")
    assert analgesic is not None
    assert analgesic.parameters["combine_with"] == "muscle_relaxant_short_course"
    assert [reference.evidence_id for reference in analgesic.conflicting_evidence] == ["friedman2015"]


def test_the_strength_of_a_recommendation_is_shown_beside_the_quality(advisor: Advisor) -> None:
    beers = advisor.kb.evidence["beers2023"]
    assert beers.grade == "moderate (moderate-quality evidence, strong recommendation); strong recommendation against"
    assert advisor.kb.evidence["ref1"].recommendation is None  # the summary states no strength
