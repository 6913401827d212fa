"""What would change an answer, and when: the counterfactuals of the bundled guideline.

Each test is a clinical question and its answer, as ``backspasm why-not`` gives it: the
record, the item, and the smallest change (fewest changes, then soonest) with the day
and the values reached then, or why there is none. Every option's record is answered
again here, so a test also shows the change really does what it says.
"""

from __future__ import annotations

from typing import Any

import pytest

from backspasm.reasoner import QueryError
from backspasm.reasoner.advisor.changes import Changes
from backspasm.reasoner.api import Advisor

RELAXANT = "muscle_relaxant_short_course"
ADULT = {"id": "case", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}


def changes_of(advisor: Advisor, record: dict[str, Any], code: str = RELAXANT, kind: str = "consider") -> Changes:
    found = advisor.changes(record, code, kind)
    for option in found.options:
        codes = advisor.recommend(dict(option.record)).codes()
        assert (codes.get(code) == kind) != found.holds, f"{option} does not change {found.fact}"
    return found


def options(found: Changes) -> list[tuple[list[str], int, list[str]]]:
    return [
        ([change.text for change in option.changes], option.days, [reached.text for reached in option.reached])
        for option in found.options
    ]


def test_an_maoi_stopped_10_days_ago_allows_the_relaxant_in_4_days(advisor: Advisor) -> None:
    record = {**ADULT, "medications": [{"code": "maoi", "days_since_last_dose": 10}]}
    found = changes_of(advisor, record)
    assert not found.holds and found.direction == "make-hold"
    assert options(found) == [([], 4, ["monoamine oxidase inhibitor was last taken 14 days before"])]
    [reached] = found.options[0].reached
    assert (reached.field, reached.attribute, reached.code, reached.value) == (
        "medications",
        "days_since_last_dose",
        "maoi",
        14,
    )
    assert "relaxant_contraindicated_maoi_recent" in reached.rules
    assert found.options[0].record["symptom_days"] == 14


def test_an_maoi_taken_now_must_be_stopped_and_then_washed_out(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "medications": ["maoi"]})
    assert options(found) == [
        (["monoamine oxidase inhibitor is stopped"], 14, ["monoamine oxidase inhibitor was last taken 14 days before"])
    ]
    assert found.options[0].changes[0].connective == "if"


def test_at_80_never_under_this_guideline_naming_beers(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "age": 80})
    assert found.never and found.options == ()
    [blocker] = found.blockers
    assert blocker.record == ("age 80",)
    assert blocker.fact == "relaxant_excluded(age_65_or_over)"
    assert blocker.rules == ("relaxant_excluded_elderly",) and blocker.evidence == ("beers2023",)
    assert blocker.statement is not None and "Beers" in blocker.statement
    assert blocker.blocks == ("relaxant_consider",)
    assert blocker.fixed == ("age changes only with time",)  # changes.yaml's reason age is not a change


def test_a_red_flag_not_before_it_is_evaluated(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "red_flags": ["fever"]})
    [option] = found.options
    [change] = option.changes
    assert (change.field, change.action, change.codes, change.connective, option.days) == (
        "red_flags",
        "clear",
        ("fever",),
        "not before",
        0,
    )
    assert change.text == "the red flags are evaluated and explained (fever or chills)"
    assert "red_flags" not in option.record


def test_a_held_relaxant_with_14_days_taken_and_a_course_under_way_ends_when_the_course_is_complete(
    advisor: Advisor,
) -> None:
    record = {**ADULT, "symptom_days": 20, "relaxant_days_taken": 14, "relaxant_course_day": 3}
    found = changes_of(advisor, record)
    assert found.holds and found.direction == "remove"
    assert options(found) == [([], 4, ["the current course reaches day 7"])]
    assert found.options[0].record["relaxant_days_taken"] == 18  # relaxant days grow only while the course runs


def test_relaxant_days_do_not_grow_without_a_course(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "symptom_days": 20, "relaxant_days_taken": 14})
    assert options(found) == [([], 65, ["the spasm has lasted 85 days"])]
    assert found.options[0].record["relaxant_days_taken"] == 14


def test_chronic_spasm_without_a_flare_up_if_a_flare_up_occurs(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "symptom_days": 150})
    assert options(found) == [(["a flare-up occurs"], 0, [])]


def test_a_15_year_old_is_covered_by_the_guideline_at_16(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "age": 15}, "heat_therapy", "recommend")
    assert options(found) == [([], 365, ["the patient is 16"])]


def test_an_nsaid_in_pregnancy_ends_at_20_weeks(advisor: Advisor) -> None:
    record = {**ADULT, "conditions": [{"code": "pregnancy", "gestational_week": 18}], "allergies": ["paracetamol"]}
    found = changes_of(advisor, record, "analgesic", "consider")
    assert found.holds
    assert options(found) == [([], 14, ["the pregnancy reaches 20 weeks"])]


def test_a_recent_myocardial_infarction_once_its_recovery_phase_is_over(advisor: Advisor) -> None:
    found = changes_of(advisor, {**ADULT, "conditions": ["recent_myocardial_infarction"]})
    assert options(found) == [(["the acute recovery phase after the myocardial infarction is over"], 0, [])]
    assert found.options[0].changes[0].connective == "once"


def test_pregnancy_and_allergies_are_not_changes_to_suggest(advisor: Advisor) -> None:
    pregnant = changes_of(advisor, {**ADULT, "conditions": ["pregnancy"]})
    assert [blocker.record for blocker in pregnant.blockers] == [("pregnancy",)]
    allergic = changes_of(advisor, {**ADULT, "allergies": ["cyclobenzaprine"]})
    assert [blocker.record for blocker in allergic.blockers] == [("cyclobenzaprine",)]


def test_two_blocking_facts_are_both_named(advisor: Advisor) -> None:
    record = {**ADULT, "conditions": ["hyperthyroidism", {"code": "hepatic_impairment", "severity": "severe"}]}
    found = changes_of(advisor, record)
    assert sorted(blocker.record for blocker in found.blockers) == [
        ("hepatic impairment (give severity), severity severe",),
        ("hyperthyroidism",),
    ]


def test_no_rule_gives_it_means_never(advisor: Advisor) -> None:
    found = changes_of(advisor, ADULT, "tens", "recommend")
    assert found.never and found.blockers == ()
    assert found.why_not is not None and found.why_not.kind == "no-rule"


def test_never_without_a_proven_blocker_says_where_the_rules_fail(advisor: Advisor) -> None:
    found = changes_of(advisor, ADULT, "paediatric_assessment", "refer")
    assert found.never and found.blockers == ()
    assert found.why_not is not None and found.why_not.kind == "rules-fail"


def test_nothing_ends_heat_therapy_for_a_covered_adult(advisor: Advisor) -> None:
    found = changes_of(advisor, ADULT, "heat_therapy", "recommend")
    assert found.holds and found.never


def test_the_horizon_and_the_number_of_changes_bound_the_search(advisor: Advisor) -> None:
    record = {**ADULT, "medications": [{"code": "maoi", "days_since_last_dose": 10}]}
    within_3_days = advisor.changes(record, RELAXANT, "consider", horizon_days=3)
    assert within_3_days.never and within_3_days.horizon_days == 3
    assert [blocker.fact for blocker in within_3_days.blockers] == ["relaxant_excluded(maoi_within_14_days)"]
    no_change = advisor.changes({**ADULT, "red_flags": ["fever"]}, RELAXANT, "consider", max_changes=0)
    assert no_change.never and no_change.max_changes == 0


def test_a_bad_code_kind_or_bound_is_a_query_error(advisor: Advisor) -> None:
    with pytest.raises(QueryError, match="unknown answer code 'relaxant'"):
        advisor.changes(ADULT, "relaxant", "consider")
    with pytest.raises(QueryError, match="unknown kind 'maybe'"):
        advisor.changes(ADULT, RELAXANT, "maybe")
    with pytest.raises(QueryError, match="horizon_days must be 0 or more, not -1"):
        advisor.changes(ADULT, RELAXANT, "consider", horizon_days=-1)
