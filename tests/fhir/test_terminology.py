"""What an EHR's record says, read as it says it: products, coded "No", vital signs, ICD-10-CM.

A negative finding is never read as positive, a product code counts as its ingredient, a
body temperature gives the fever red flag at the knowledge base's threshold, and each
reading that shaped the record is listed with the resource it came from.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.datafile import DataFile
from backspasm.reasoner.errors import KnowledgeBaseError
from backspasm.reasoner.fhir import (
    FhirMapping,
    FhirReading,
    Terminology,
    bundle_to_record,
)
from backspasm.reasoner.fhir.terminology import read_terminology
from tests.fhir_bundles import (
    LOCAL,
    RXNORM,
    SNOMED,
    back_pain,
    bundle,
    concept,
    condition,
    medication_statement,
    observation,
    patient,
)

TODAY = date(2026, 11, 26)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
FEVER = concept(SNOMED, "386661006", "Fever")
NO = concept(SNOMED, "373067005", "No")
YES = concept(SNOMED, "373066001", "Yes")


def read(mapping: FhirMapping, terminology: Terminology, *resources: dict[str, Any]) -> FhirReading:
    return bundle_to_record(bundle(patient(), back_pain(), *resources), mapping, today=TODAY, terminology=terminology)


def temperature(value: float, unit: str = "Cel") -> dict[str, Any]:
    return observation(
        concept(LOINC, "8310-5", "Body temperature"), valueQuantity={"value": value, "system": UCUM, "code": unit}
    )


# -- negative findings -----------------------------------------------------------
def test_a_fever_observation_answered_no_is_not_a_red_flag(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, observation(FEVER, valueCodeableConcept=NO))
    assert "red_flags" not in reading.record
    assert [(item.element, item.gave) for item in reading.readings if item.element == "valueCodeableConcept"] == [
        ("valueCodeableConcept", "http://snomed.info/sct|386661006 (Fever) absent")
    ]


def test_a_fever_observation_answered_yes_is_a_red_flag(mapping: FhirMapping, terminology: Terminology) -> None:
    assert read(mapping, terminology, observation(FEVER, valueCodeableConcept=YES)).record["red_flags"] == ["fever"]


def test_a_negative_interpretation_keeps_the_finding_out(mapping: FhirMapping, terminology: Terminology) -> None:
    negative = observation(FEVER, interpretation=[concept(INTERPRETATION, "NEG")])
    assert "red_flags" not in read(mapping, terminology, negative).record


def test_an_answer_nobody_listed_is_not_understood_and_not_read_as_present(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    odd = observation(FEVER, valueCodeableConcept=concept(SNOMED, "1234567", "Maybe"))
    reading = read(mapping, terminology, odd)
    assert "red_flags" not in reading.record
    assert [item.element for item in reading.not_understood] == ["valueCodeableConcept"]


def test_a_finding_with_a_free_text_value_is_not_understood(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, observation(FEVER, valueString="none today"))
    assert "red_flags" not in reading.record
    assert [item.element for item in reading.not_understood] == ["value[x]"]


def test_without_the_terminology_a_coded_no_is_still_not_read_as_present(mapping: FhirMapping) -> None:
    reading = bundle_to_record(
        bundle(patient(), back_pain(), observation(FEVER, valueCodeableConcept=NO)), mapping, today=TODAY
    )
    assert "red_flags" not in reading.record and len(reading.not_understood) == 1


NEGATIVES = [
    {"valueBoolean": False},
    {"valueCodeableConcept": NO},
    {"valueCodeableConcept": concept(SNOMED, "260385009", "Negative")},
    {"valueCodeableConcept": concept(SNOMED, "2667000", "Absent")},
    {"valueCodeableConcept": concept("http://terminology.hl7.org/CodeSystem/v2-0136", "N")},
    {"interpretation": [concept(INTERPRETATION, "NEG")]},
    {"interpretation": [concept(INTERPRETATION, "ND")], "valueCodeableConcept": YES},
]
RED_FLAG_CODES = [
    concept(SNOMED, "386661006"),
    concept(SNOMED, "363346000"),
    concept(LOCAL, "saddle-anaesthesia"),
    concept(LOCAL, "bladder-dysfunction"),
    concept(ICD10CM, "R50.9"),
    concept(SNOMED, "72042002"),  # Incontinence of feces: bowel dysfunction
    concept(LOCAL, "bowel-dysfunction"),
    concept(ICD10CM, "Z79.52"),  # Long term (current) use of systemic steroids
    concept(LOCAL, "long-term-corticosteroids"),
]


@settings(max_examples=60, deadline=None)
@given(
    findings=st.lists(st.tuples(st.sampled_from(RED_FLAG_CODES), st.sampled_from(NEGATIVES)), min_size=1, max_size=5),
)
def test_a_negative_finding_is_never_read_as_positive(
    mapping: FhirMapping, terminology: Terminology, findings: list[tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    reading = read(mapping, terminology, *(observation(code, **negative) for code, negative in findings))
    assert reading.record.get("red_flags", []) == []


# -- vital signs -----------------------------------------------------------------
@pytest.mark.parametrize(("value", "unit"), [(38.6, "Cel"), (38.0, "Cel"), (101.5, "[degF]")])
def test_a_body_temperature_at_the_threshold_gives_fever(
    mapping: FhirMapping, terminology: Terminology, value: float, unit: str
) -> None:
    reading = read(mapping, terminology, temperature(value, unit))
    assert reading.record["red_flags"] == ["fever"]
    assert any(item.gave.startswith("red_flags: fever") for item in reading.readings)


@pytest.mark.parametrize(("value", "unit"), [(37.9, "Cel"), (99.0, "[degF]")])
def test_a_normal_temperature_gives_no_fever(
    mapping: FhirMapping, terminology: Terminology, value: float, unit: str
) -> None:
    assert "red_flags" not in read(mapping, terminology, temperature(value, unit)).record


def test_a_temperature_in_an_unknown_unit_is_not_understood(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, temperature(311.0, "K"))
    assert "red_flags" not in reading.record
    assert [item.element for item in reading.not_understood] == ["valueQuantity"]


# -- conditions ------------------------------------------------------------------
def test_icd10cm_hyperthyroidism_is_understood(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, condition(concept(ICD10CM, "E05.90", "Hyperthyroidism, unspecified")))
    assert reading.record["conditions"] == ["hyperthyroidism"] and reading.not_understood == ()


# -- medications -----------------------------------------------------------------
def test_a_product_code_is_read_through_its_ingredient(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, medication_statement(concept(RXNORM, "312940")))
    assert reading.record["medications"] == ["ssri"] and reading.not_understood == ()
    assert [item.gave for item in reading.readings if item.element == "medication"] == [
        "sertraline 25 MG Oral Tablet contains http://www.nlm.nih.gov/research/umls/rxnorm|36437",
        "medications: ssri",
    ]


def test_a_relaxant_product_counts_its_days(mapping: FhirMapping, terminology: Terminology) -> None:
    taken = medication_statement(concept(RXNORM, "828348"), effectivePeriod={"start": "2026-11-20"}, status="active")
    assert read(mapping, terminology, taken).record["relaxant_days_taken"] == 7


def test_a_contained_medication_is_read_through_its_ingredient(mapping: FhirMapping, terminology: Terminology) -> None:
    statement = medication_statement(concept(RXNORM, "0"), status="active")
    del statement["medicationCodeableConcept"]
    statement |= {
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"text": "house formulary sertraline"},
                "ingredient": [{"itemCodeableConcept": concept(RXNORM, "36437", "sertraline")}],
            }
        ],
        "medicationReference": {"reference": "#med"},
    }
    assert read(mapping, terminology, statement).record["medications"] == ["ssri"]


def test_an_unlisted_product_stays_not_understood(mapping: FhirMapping, terminology: Terminology) -> None:
    reading = read(mapping, terminology, medication_statement(concept(RXNORM, "999999999", "sertraline 50 MG")))
    assert "medications" not in reading.record
    assert [item.element for item in reading.not_understood] == ["medication"]


# -- the data file ---------------------------------------------------------------
def test_every_table_names_its_source(terminology: Terminology) -> None:
    assert set(terminology.sources) == {"products", "answers", "vital_signs"}
    assert all(source for source in terminology.sources.values())


def test_a_table_without_a_source_is_refused_naming_it(advisor: Advisor) -> None:
    data = DataFile("terminology.yaml", {"systems": {"snomed": SNOMED}, "answers": {"absent": ["snomed|373067005"]}})
    with pytest.raises(KnowledgeBaseError, match="answers: each table is a mapping that names its published source"):
        read_terminology(data, advisor.record_spec)


def test_a_code_both_absent_and_present_is_refused(advisor: Advisor) -> None:
    data = DataFile(
        "terminology.yaml",
        {"systems": {"snomed": SNOMED}, "answers": {"source": "x", "absent": ["snomed|1"], "present": ["snomed|1"]}},
    )
    with pytest.raises(KnowledgeBaseError, match="both absent and present"):
        read_terminology(data, advisor.record_spec)


# -- medication requests: dates and quantities -----------------------------------
def medication_request(code: dict[str, Any], status_code: str = "active", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": status_code,
        "intent": "order",
        "medicationCodeableConcept": code,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }


def test_relaxant_days_count_from_a_request_and_its_supply_duration(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    supply = {"expectedSupplyDuration": {"value": 3, "unit": "days", "code": "d"}}
    request = medication_request(concept(RXNORM, "828348"), authoredOn="2026-11-20", dispenseRequest=supply)
    reading = read(mapping, terminology, request)
    assert reading.record["relaxant_days_taken"] == 3  # 20, 21 and 22 November


def test_relaxant_days_count_from_the_quantity_over_the_daily_dose(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    tablets = {"value": 1, "unit": "tablet"}
    dosage = {
        "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": tablets}],
    }
    request = medication_request(
        concept(RXNORM, "21949"),
        authoredOn="2026-11-18",
        dosageInstruction=[dosage],
        dispenseRequest={"quantity": {"value": 12, "unit": "tablet"}},
    )
    assert read(mapping, terminology, request).record["relaxant_days_taken"] == 4  # 12 tablets at 3 a day


def test_an_active_relaxant_request_without_a_supply_counts_to_today_and_says_so(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(mapping, terminology, medication_request(concept(RXNORM, "21949"), authoredOn="2026-11-24"))
    assert reading.record["relaxant_days_taken"] == 3
    assert any("no supply or end date" in assumption for assumption in reading.assumptions)


@pytest.mark.parametrize("status_code", ["entered-in-error", "cancelled", "draft"])
def test_a_request_not_in_force_is_not_a_medication_taken(
    mapping: FhirMapping, terminology: Terminology, status_code: str
) -> None:
    reading = read(mapping, terminology, medication_request(concept(RXNORM, "36437"), status_code))
    assert "medications" not in reading.record


def test_a_stopped_request_gives_the_days_since_its_supply_ran_out(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    supply = {"expectedSupplyDuration": {"value": 5, "unit": "days", "code": "d"}}
    request = medication_request(concept(RXNORM, "8123"), "stopped", authoredOn="2026-11-10", dispenseRequest=supply)
    assert read(mapping, terminology, request).record["medications"] == [{"code": "maoi", "days_since_last_dose": 12}]


# -- the product table ----------------------------------------------------------
def test_every_listed_product_reads_as_the_classes_of_all_its_ingredients(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    """Each ingredient is a class of medications, or the relaxant whose days are counted (cyclobenzaprine)."""
    table = mapping.codes["medications"]
    counted = [field.days_of for field in mapping.observations if field.days_of is not None]
    for product in terminology.products.values():
        if all(any(days.lookup(ingredient) for days in counted) for ingredient in product.ingredients):
            taken = medication_statement({"coding": [vars(product.coding)]}, effectivePeriod={"start": "2026-11-20"})
            assert read(mapping, terminology, taken).record["relaxant_days_taken"] == 7, product.name
            continue
        classes = {table.lookup(ingredient) for ingredient in product.ingredients}
        assert None not in classes, f"{product.coding} ({product.name}) has an ingredient fhir.yaml does not map"
        reading = read(mapping, terminology, medication_statement({"coding": [vars(product.coding)]}))
        assert set(reading.record["medications"]) == classes, product.name
        assert reading.not_understood == ()


@pytest.mark.parametrize(
    ("code", "classes"),
    [
        ("1049221", ["paracetamol", "opioid"]),  # acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet
        ("836395", ["paracetamol", "tramadol"]),  # acetaminophen 325 MG / tramadol hydrochloride 37.5 MG Oral Tablet
        ("858778", ["opioid", "nsaid"]),  # hydrocodone bitartrate 5 MG / ibuprofen 200 MG Oral Tablet
        ("865206", ["maoi"]),  # 24 HR selegiline 0.25 MG/HR Transdermal System
        ("197591", ["benzodiazepine"]),  # diazepam 5 MG Oral Tablet
        ("897666", ["verapamil"]),  # verapamil hydrochloride 120 MG Oral Tablet
    ],
)
def test_a_product_code_gives_each_class_of_its_ingredients(
    mapping: FhirMapping, terminology: Terminology, code: str, classes: list[str]
) -> None:
    reading = read(mapping, terminology, medication_statement(concept(RXNORM, code)))
    assert reading.record["medications"] == classes


def test_a_paracetamol_combination_is_refused_to_a_patient_allergic_to_paracetamol(
    advisor: Advisor, mapping: FhirMapping, terminology: Terminology
) -> None:
    allergy = {
        "resourceType": "AllergyIntolerance",
        "code": concept(RXNORM, "161"),
        "patient": {"reference": "Patient/p1"},
    }
    reading = read(mapping, terminology, allergy, medication_statement(concept(RXNORM, "857002")))
    assert reading.record["allergies"] == ["paracetamol"]
    assert reading.record["medications"] == ["paracetamol", "opioid"]
