"""The second edition's record fields read from FHIR: gestational week, course day, bowel
dysfunction and long-term corticosteroids, and none of them read from a record that says no.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.fhir import FhirMapping, FhirReading, Terminology, bundle_to_record
from tests.fhir_bundles import LOCAL, SNOMED, back_pain, bundle, concept, condition, observation, patient, status

TODAY = date(2026, 11, 26)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
PREGNANCY = concept(SNOMED, "77386006", "Pregnancy")
BOWEL = concept(SNOMED, "72042002", "Incontinence of feces")
STEROIDS = concept(ICD10CM, "Z79.52", "Long term (current) use of systemic steroids")
NO = concept(SNOMED, "373067005", "No")


def read(mapping: FhirMapping, terminology: Terminology, *resources: dict[str, Any]) -> FhirReading:
    return bundle_to_record(bundle(patient(), back_pain(), *resources), mapping, today=TODAY, terminology=terminology)


def gestational_age(value: float, unit: str = "wk", code: str = "49051-6", **extra: Any) -> dict[str, Any]:
    return observation(
        concept(LOINC, code, "Gestational age"),
        valueQuantity={"value": value, "unit": unit, "system": UCUM, "code": unit},
        **({"effectiveDateTime": "2026-11-26"} | extra),
    )


# -- gestational week --------------------------------------------------------------
def test_a_gestational_age_gives_the_pregnancy_its_week(
    advisor: Advisor, mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(mapping, terminology, condition(PREGNANCY), gestational_age(21.5))
    assert reading.record["conditions"] == [{"code": "pregnancy", "gestational_week": 21}]
    assert reading.readings[-1].gave == "conditions: pregnancy gestational_week 21"
    advisor.read_record(reading.record)


def test_an_older_gestational_age_is_carried_to_today(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(
        mapping,
        terminology,
        condition(PREGNANCY),
        gestational_age(130, "d", "11884-4", effectiveDateTime="2026-10-01"),  # 18 weeks 4 days then
    )
    assert reading.record["conditions"] == [{"code": "pregnancy", "gestational_week": 26}]  # 186 days today


def test_the_latest_gestational_age_wins(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(
        mapping,
        terminology,
        condition(PREGNANCY),
        gestational_age(19, effectiveDateTime="2026-11-26"),
        gestational_age(10, effectiveDateTime="2026-08-01"),
    )
    assert reading.record["conditions"] == [{"code": "pregnancy", "gestational_week": 19}]


@pytest.mark.parametrize(
    ("resources", "element"),
    [
        ([gestational_age(20)], "valueQuantity"),  # no pregnancy Condition
        (
            [condition(PREGNANCY, verificationStatus=status("condition-ver-status", "refuted")), gestational_age(20)],
            "valueQuantity",
        ),
        ([condition(PREGNANCY), gestational_age(20, "mo")], "valueQuantity"),  # months are not read
        ([condition(PREGNANCY), gestational_age(20, effectiveDateTime="2025-01-01")], "valueQuantity"),  # 117 weeks
        ([condition(PREGNANCY), gestational_age(20, effectiveDateTime="2026-11")], "effective[x]"),
    ],
    ids=["no-pregnancy", "refuted-pregnancy", "unit", "an-earlier-pregnancy", "partial-date"],
)
def test_a_gestational_age_that_cannot_be_a_current_week_is_not_understood(
    mapping: FhirMapping, terminology: Terminology, resources: list[dict[str, Any]], element: str
) -> None:
    reading = read(mapping, terminology, *resources)
    weeks = [entry for entry in reading.record.get("conditions", []) if isinstance(entry, dict)]
    assert weeks == []
    assert [item.element for item in reading.not_understood] == [element]


def test_without_a_week_a_pregnancy_stays_without_one(
    advisor: Advisor, mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(mapping, terminology, condition(PREGNANCY))
    assert reading.record["conditions"] == ["pregnancy"]
    answer = advisor.recommend(advisor.read_record(reading.record)).to_json()
    assert "nsaid" not in [item["parameters"].get("drug_class") for item in answer["items"]]


# -- course day ----------------------------------------------------------------------
def test_the_course_day_comes_from_its_observation(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(
        mapping,
        terminology,
        observation(concept(LOCAL, "relaxant-days-taken"), valueInteger=6),
        observation(concept(LOCAL, "relaxant-course-day"), valueQuantity={"value": 2, "code": "d"}),
    )
    assert (reading.record["relaxant_days_taken"], reading.record["relaxant_course_day"]) == (6, 2)


def test_no_course_day_observation_means_no_course_under_way(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology)
    assert "relaxant_course_day" not in reading.record


# -- red flags -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "flag"),
    [
        (BOWEL, "bowel_dysfunction"),
        (concept(ICD10CM, "R15.9", "Full incontinence of feces"), "bowel_dysfunction"),
        (concept(LOCAL, "bowel-dysfunction"), "bowel_dysfunction"),
        (STEROIDS, "long_term_corticosteroids"),
        (concept(LOCAL, "long-term-corticosteroids"), "long_term_corticosteroids"),
    ],
)
def test_the_new_red_flags_are_read_from_conditions(
    mapping: FhirMapping, terminology: Terminology, code: dict[str, Any], flag: str
) -> None:
    assert read(mapping, terminology, condition(code)).record["red_flags"] == [flag]


def test_inhaled_steroids_are_not_long_term_corticosteroids(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, condition(concept(ICD10CM, "Z79.51", "Long term use of inhaled steroids")))
    assert "red_flags" not in reading.record and [item.element for item in reading.not_understood] == ["code"]


@pytest.mark.parametrize(
    "negative",
    [
        observation(BOWEL, valueCodeableConcept=NO),
        observation(BOWEL, valueBoolean=False),
        observation(
            concept(LOCAL, "bowel-dysfunction"),
            interpretation=[concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "NEG")],
        ),
        observation(BOWEL, status="entered-in-error"),
        observation(concept(LOCAL, "long-term-corticosteroids"), valueCodeableConcept=NO),
        condition(BOWEL, verificationStatus=status("condition-ver-status", "refuted")),
        condition(STEROIDS, clinicalStatus=status("condition-clinical", "resolved")),
        condition(STEROIDS, verificationStatus=status("condition-ver-status", "entered-in-error")),
    ],
    ids=[
        "bowel-answered-no",
        "bowel-false",
        "bowel-negative",
        "bowel-entered-in-error",
        "steroids-answered-no",
        "bowel-refuted",
        "steroids-resolved",
        "steroids-entered-in-error",
    ],
)
def test_a_new_red_flag_recorded_absent_is_never_read_as_present(
    mapping: FhirMapping, terminology: Terminology, negative: dict[str, Any]
) -> None:
    assert "red_flags" not in read(mapping, terminology, negative).record
