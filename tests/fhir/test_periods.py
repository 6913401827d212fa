"""Days of use from MedicationStatements and MedicationRequests shaped as EHRs send them.

Relaxant days taken and days since the last dose come from a statement's effective[x],
dosage and dateAsserted as they come from a request's authoredOn, supply and dosage; each
day that shaped the record is listed with its resource and element, and a statement that
says the medicine was not taken (not-taken, entered-in-error) never counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backspasm.reasoner.fhir import (
    FhirMapping,
    FhirReading,
    Terminology,
    bundle_to_record,
)
from backspasm.reasoner.fhir.bundle import validate_bundle
from backspasm.reasoner.fhir.periods import Day, statement_period
from tests.fhir_bundles import RXNORM, back_pain, bundle, concept, medication_statement, patient

TODAY = date(2026, 11, 26)
CYCLOBENZAPRINE_TABLET = concept(RXNORM, "828348", "cyclobenzaprine hydrochloride 10 MG Oral Tablet")
PHENELZINE = concept(RXNORM, "8123", "phenelzine")
THREE_A_DAY = {"frequency": 3, "period": 1, "periodUnit": "d"}


def read(mapping: FhirMapping, terminology: Terminology, *resources: dict[str, Any]) -> FhirReading:
    episode = back_pain("2026-11-01")
    return bundle_to_record(bundle(patient(), episode, *resources), mapping, today=TODAY, terminology=terminology)


def dosage(**repeat: Any) -> list[dict[str, Any]]:
    """A dosage as the HL7 R4 MedicationStatement examples write it: text, timing, route, dose."""
    return [
        {
            "sequence": 1,
            "text": "10 mg three times a day",
            "timing": {"repeat": repeat},
            "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral Route"}]},
            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "TAB", "system": "http://unitsofmeasure.org"}}],
        }
    ]


def statement(code: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
    return medication_statement(
        code,
        status,
        id=f"ms-{status}",
        informationSource={"reference": "Patient/p1"},
        category={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/medication-statement-category",
                    "code": "patientspecified",
                }
            ]
        },
        **extra,
    )


def gave(reading: FhirReading) -> list[tuple[str, str, str, str]]:
    return [(item.resource, item.element, item.value, item.gave) for item in reading.readings]


# -- relaxant days taken -----------------------------------------------------------
def test_a_completed_course_counts_the_days_its_dosage_bounds(mapping: FhirMapping, terminology: Terminology) -> None:
    course = statement(
        CYCLOBENZAPRINE_TABLET,
        "completed",
        effectivePeriod={"start": "2026-11-10T08:00:00Z"},
        dateAsserted="2026-11-20",
        dosage=dosage(boundsDuration={"value": 5, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}),
    )
    reading = read(mapping, terminology, course)
    assert reading.record["relaxant_days_taken"] == 5
    assert (
        "MedicationStatement/ms-completed",
        "effectivePeriod.start; effectivePeriod.start and dosage[0].timing.repeat.boundsDuration",
        "2026-11-10 to 2026-11-14",
        "days counted toward relaxant_days_taken",
    ) in gave(reading)
    assert reading.assumptions == ()


def test_a_course_of_counted_doses_lasts_the_doses_over_the_frequency(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    course = statement(
        CYCLOBENZAPRINE_TABLET, "completed", effectiveDateTime="2026-11-20", dosage=dosage(count=21, **THREE_A_DAY)
    )
    reading = read(mapping, terminology, course)
    assert reading.record["relaxant_days_taken"] == 7  # 21 tablets, three a day: 20 to 26 November


def test_an_active_statement_with_an_effective_date_time_counts_from_it_to_today(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    taking = statement(CYCLOBENZAPRINE_TABLET, "active", effectiveDateTime="2026-11-23", dosage=dosage(**THREE_A_DAY))
    reading = read(mapping, terminology, taking)
    assert reading.record["relaxant_days_taken"] == 4
    assert reading.not_understood == () and reading.assumptions == ()


def test_an_active_statement_with_only_its_assertion_date_counts_from_it_and_says_so(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(mapping, terminology, statement(CYCLOBENZAPRINE_TABLET, "active", dateAsserted="2026-11-24"))
    assert reading.record["relaxant_days_taken"] == 3
    assert reading.assumptions == (
        "MedicationStatement/ms-active: active with no effective date; counted from dateAsserted (2026-11-24), "
        "days before it are not known",
    )


def test_a_stopped_course_without_an_end_counts_to_its_assertion_date(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    stopped = statement(
        CYCLOBENZAPRINE_TABLET, "stopped", effectivePeriod={"start": "2026-11-12"}, dateAsserted="2026-11-15"
    )
    reading = read(mapping, terminology, stopped)
    assert reading.record["relaxant_days_taken"] == 4  # 12 to 15 November at most
    assert "the latest its last dose can be" in reading.assumptions[0]


def test_a_stopped_course_without_any_last_day_is_not_understood(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(
        mapping, terminology, statement(CYCLOBENZAPRINE_TABLET, "stopped", effectivePeriod={"start": "2026-11-12"})
    )
    assert [item.element for item in reading.not_understood] == ["effective[x]"]
    assert reading.record["relaxant_days_taken"] == 0


@pytest.mark.parametrize("status", ["not-taken", "entered-in-error"])
def test_a_statement_that_says_not_taken_never_counts(
    mapping: FhirMapping, terminology: Terminology, status: str
) -> None:
    never = statement(
        CYCLOBENZAPRINE_TABLET,
        status,
        effectivePeriod={"start": "2026-11-02", "end": "2026-11-20"},
        dosage=dosage(**THREE_A_DAY),
    )
    reading = read(mapping, terminology, never)
    assert reading.record["relaxant_days_taken"] == 0
    assert gave(reading)[-1] == (f"MedicationStatement/ms-{status}", "status", status, "not a medicine taken: left out")


def test_a_request_counts_the_days_of_its_dosage_when_no_supply_is_given(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": CYCLOBENZAPRINE_TABLET,
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2026-11-05",
        "dosageInstruction": dosage(boundsDuration={"value": 1, "unit": "week", "code": "wk"}, **THREE_A_DAY),
    }
    reading = read(mapping, terminology, request)
    assert reading.record["relaxant_days_taken"] == 7
    assert gave(reading)[-1][1:3] == (
        "authoredOn; authoredOn and dosageInstruction[0].timing.repeat.boundsDuration",
        "2026-11-05 to 2026-11-11",
    )


# -- days since the last dose ------------------------------------------------------
def test_a_stopped_medicine_ends_where_its_dosage_bounds_end(mapping: FhirMapping, terminology: Terminology) -> None:
    stopped = statement(
        PHENELZINE,
        "stopped",
        effectivePeriod={"start": "2026-10-01"},
        dosage=dosage(boundsPeriod={"start": "2026-10-01", "end": "2026-11-15"}),
    )
    reading = read(mapping, terminology, stopped)
    assert reading.record["medications"] == [{"code": "maoi", "days_since_last_dose": 11}]
    assert gave(reading)[-1] == (
        "MedicationStatement/ms-stopped",
        "dosage[0].timing.repeat.boundsPeriod.end",
        "2026-11-15",
        "days_since_last_dose: 11",
    )


def test_a_stopped_medicine_with_only_its_assertion_date_is_at_most_that_many_days_ago(
    mapping: FhirMapping, terminology: Terminology
) -> None:
    reading = read(mapping, terminology, statement(PHENELZINE, "completed", dateAsserted="2026-11-16T10:00:00Z"))
    assert reading.record["medications"] == [{"code": "maoi", "days_since_last_dose": 10}]
    assert reading.assumptions[0] == (
        "MedicationStatement/ms-completed: completed with no end date; the last dose taken as no later than "
        "dateAsserted (2026-11-16)"
    )


def test_an_end_after_today_is_taken_now(mapping: FhirMapping, terminology: Terminology) -> None:
    planned = statement(PHENELZINE, "stopped", effectiveDateTime="2026-11-20", dosage=dosage(count=30, **THREE_A_DAY))
    assert read(mapping, terminology, planned).record["medications"] == ["maoi"]  # 30 doses last to 29 November


@pytest.mark.parametrize("status", ["not-taken", "entered-in-error"])
def test_a_maoi_recorded_not_taken_is_not_a_medication(
    mapping: FhirMapping, terminology: Terminology, status: str
) -> None:
    reading = read(mapping, terminology, statement(PHENELZINE, status, effectiveDateTime="2026-11-20"))
    assert "medications" not in reading.record


STATUSES = ["active", "completed", "stopped", "on-hold", "intended", "unknown", "not-taken", "entered-in-error"]
DAYS = st.dates(date(2026, 9, 1), date(2026, 12, 31)).map(date.isoformat)


@settings(max_examples=60, deadline=None)
@given(
    status=st.sampled_from(STATUSES),
    start=st.one_of(st.none(), DAYS),
    end=st.one_of(st.none(), DAYS),
    asserted=st.one_of(st.none(), DAYS),
    count=st.one_of(st.none(), st.integers(1, 90)),
)
def test_days_come_from_the_statement_and_never_from_a_statement_of_no_use(
    mapping: FhirMapping,
    terminology: Terminology,
    status: str,
    start: str | None,
    end: str | None,
    asserted: str | None,
    count: int | None,
) -> None:
    extra: dict[str, Any] = {}
    if start or end:
        extra["effectivePeriod"] = {key: value for key, value in (("start", start), ("end", end)) if value}
    if asserted:
        extra["dateAsserted"] = asserted
    if count:
        extra["dosage"] = dosage(count=count, **THREE_A_DAY)
    reading = read(mapping, terminology, statement(CYCLOBENZAPRINE_TABLET, status, **extra))
    days = reading.record["relaxant_days_taken"]
    assert 0 <= days <= reading.record["symptom_days"]
    if status in ("not-taken", "entered-in-error"):
        assert days == 0 and not any("counted" in item.gave for item in reading.readings)
    elif days:
        [counted] = [item for item in reading.readings if item.gave == "days counted toward relaxant_days_taken"]
        assert counted.resource == f"MedicationStatement/ms-{status}"


# -- the period itself -------------------------------------------------------------
def model(resource: dict[str, Any]) -> Any:
    return validate_bundle(bundle(resource))[0].model


def test_the_period_prefers_the_effective_period_to_the_dosage_and_the_assertion() -> None:
    found = statement_period(
        model(
            statement(
                PHENELZINE,
                "stopped",
                effectivePeriod={"start": "2026-10-01", "end": "2026-10-20"},
                dateAsserted="2026-10-10",
                dosage=dosage(boundsPeriod={"start": "2026-09-01", "end": "2026-11-01"}),
            )
        ),
        stopped=True,
    )
    assert (found.start, found.end) == (
        Day(date(2026, 10, 1), "effectivePeriod.start"),
        Day(date(2026, 10, 20), "effectivePeriod.end"),
    )


def test_a_medicine_taken_now_has_no_last_day_from_its_assertion() -> None:
    found = statement_period(model(statement(PHENELZINE, "active", dateAsserted="2026-10-10")), stopped=False)
    assert found.start == Day(date(2026, 10, 10), "dateAsserted") and found.end is None
